"""A few semantic checks the apiserver makes in Go for built-in kinds (the ones learners hit
with hand-written manifests), with the apiserver's messages. Everything typed lives in the
schemas; this is only what a schema cannot say."""

from __future__ import annotations

import json
import re
from typing import Any

from clusters.embedded.validation_meta import (
    DNS1123_LABEL_ERROR,
    cause,
    format_value,
    invalid_cause,
)

__all__ = ["rule_causes"]

_PROTOCOLS = ("SCTP", "TCP", "UDP")
_SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
_RESTART_POLICIES = ("Always", "Never", "OnFailure")


def _unsupported(field: str, value: Any, supported: tuple[str, ...]) -> dict[str, str]:
    listed = ", ".join(json.dumps(item) for item in supported)
    return cause(
        "FieldValueNotSupported",
        field,
        f"Unsupported value: {format_value(value)}: supported values: {listed}",
    )


def _required(field: str, detail: str = "") -> dict[str, str]:
    return cause("FieldValueRequired", field, "Required value" + (f": {detail}" if detail else ""))


def _pod_spec(spec: Any, path: str, allowed_restart: tuple[str, ...]) -> list[dict[str, str]]:
    if not isinstance(spec, dict):
        return [_required(path)]
    causes: list[dict[str, str]] = []
    containers = spec.get("containers")
    if not containers:
        causes.append(_required(f"{path}.containers"))
    seen: set[str] = set()
    for group in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(group) or []):
            if not isinstance(container, dict):
                continue
            where = f"{path}.{group}[{index}]"
            name = container.get("name")
            if isinstance(name, str) and name:
                if name in seen:
                    causes.append(
                        cause(
                            "FieldValueDuplicate",
                            f"{where}.name",
                            f"Duplicate value: {json.dumps(name)}",
                        )
                    )
                seen.add(name)
                if len(name) > 63 or not re.fullmatch("[a-z0-9]([-a-z0-9]*[a-z0-9])?", name):
                    causes.append(invalid_cause(f"{where}.name", name, DNS1123_LABEL_ERROR))
            if not container.get("image"):
                causes.append(_required(f"{where}.image"))
            for port_index, port in enumerate(container.get("ports") or []):
                if not isinstance(port, dict):
                    continue
                number = port.get("containerPort")
                if isinstance(number, int) and not 0 < number < 65536:
                    causes.append(
                        invalid_cause(
                            f"{where}.ports[{port_index}].containerPort",
                            number,
                            "must be between 1 and 65535, inclusive",
                        )
                    )
                protocol = port.get("protocol")
                if isinstance(protocol, str) and protocol not in _PROTOCOLS:
                    causes.append(
                        _unsupported(f"{where}.ports[{port_index}].protocol", protocol, _PROTOCOLS)
                    )
    policy = spec.get("restartPolicy")
    if isinstance(policy, str) and policy not in allowed_restart:
        causes.append(_unsupported(f"{path}.restartPolicy", policy, allowed_restart))
    return causes


def _selector_matches(selector: Any, labels: Any) -> bool:
    if not isinstance(selector, dict):
        return False
    labels = labels if isinstance(labels, dict) else {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        if not isinstance(expression, dict):
            continue
        key, operator = expression.get("key"), expression.get("operator")
        values = expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _workload(obj: dict[str, Any], restart: tuple[str, ...]) -> list[dict[str, str]]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return []
    causes: list[dict[str, str]] = []
    selector = spec.get("selector")
    raw_template = spec.get("template")
    template: dict[str, Any] = raw_template if isinstance(raw_template, dict) else {}
    labels = (template.get("metadata") or {}).get("labels")
    if not selector:
        causes.append(_required("spec.selector"))
    elif not (selector.get("matchLabels") or selector.get("matchExpressions")):
        causes.append(
            invalid_cause("spec.selector", selector, "empty selector is invalid for deployment")
        )
    elif not _selector_matches(selector, labels):
        causes.append(
            invalid_cause(
                "spec.template.metadata.labels",
                labels or {},
                "`selector` does not match template `labels`",
            )
        )
    replicas = spec.get("replicas")
    if isinstance(replicas, int) and replicas < 0:
        causes.append(
            invalid_cause("spec.replicas", replicas, "must be greater than or equal to 0")
        )
    causes.extend(_pod_spec(template.get("spec"), "spec.template.spec", restart))
    return causes


def _service(obj: dict[str, Any]) -> list[dict[str, str]]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [_required("spec")]
    causes: list[dict[str, str]] = []
    kind = spec.get("type", "ClusterIP")
    if kind not in _SERVICE_TYPES:
        causes.append(_unsupported("spec.type", kind, _SERVICE_TYPES))
    ports = spec.get("ports") or []
    headless = spec.get("clusterIP") == "None"
    if not ports and kind != "ExternalName" and not headless:
        causes.append(_required("spec.ports"))
    for index, port in enumerate(ports):
        if not isinstance(port, dict):
            continue
        where = f"spec.ports[{index}]"
        if len(ports) > 1 and not port.get("name"):
            causes.append(_required(f"{where}.name"))
        number = port.get("port")
        if isinstance(number, int) and not 0 < number < 65536:
            causes.append(
                invalid_cause(f"{where}.port", number, "must be between 1 and 65535, inclusive")
            )
        protocol = port.get("protocol")
        if isinstance(protocol, str) and protocol not in _PROTOCOLS:
            causes.append(_unsupported(f"{where}.protocol", protocol, _PROTOCOLS))
    return causes


def _immutable(field: str, new: Any, old: Any) -> list[dict[str, str]]:
    if old is None or new == old:
        return []
    return [invalid_cause(field, new, "field is immutable")]


def rule_causes(
    group: str, kind: str, obj: dict[str, Any], old: dict[str, Any] | None = None
) -> list[dict[str, str]]:
    """Semantic field errors of a built-in object (after defaulting)."""
    if (group, kind) in (("apps", "Deployment"), ("apps", "ReplicaSet")):
        causes = _workload(obj, ("Always",))
        if old is not None:
            causes += _immutable(
                "spec.selector",
                (obj.get("spec") or {}).get("selector"),
                (old.get("spec") or {}).get("selector"),
            )
        return causes
    if (group, kind) == ("", "Pod"):
        return _pod_spec(obj.get("spec"), "spec", _RESTART_POLICIES)
    if (group, kind) == ("", "Service"):
        return _service(obj)
    return []
