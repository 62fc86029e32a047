"""Rollout spec validation as the controller reports it (InvalidSpec condition), upstream v1.9.1.

One concept, kept in one module on purpose (~550 lines): the ordered list of rules whose first
failure becomes the InvalidSpec message; splitting it would scatter that order.

Upstream stops at the *first* field error, so each check returns as soon as it fails, in
upstream's order: spec rules (`ValidateRollout`), then referenced objects (Services,
AnalysisTemplates), then checks of those objects. Messages use apimachinery's field.Error
format `<path>: <Type>: <value>: <detail>`; values print as Go does (strings quoted, numbers
bare, objects as JSON).
"""

from __future__ import annotations

import json
import re
from typing import Any

from clusters.embedded.rollouts.analysis_logic import effective_count, parse_go_duration

__all__ = ["FieldError", "check_references", "validate_rollout", "validate_rollout_spec"]

HASH_LABEL = "rollouts-pod-template-hash"
MANAGED_BY = "argo-rollouts.argoproj.io/managed-by-rollouts"
_STEP_MESSAGE = (
    "Step must have one of the following set: "
    "experiment, setWeight, setCanaryScale, plugin or pause"
)
_STEP_KINDS = (
    "experiment",
    "pause",
    "setWeight",
    "analysis",
    "setCanaryScale",
    "setHeaderRoute",
    "setMirrorRoute",
    "plugin",
)
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS_LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_PLACEHOLDER = re.compile(r"{{(.*?)}}")
_ROUTERS_NEEDING_SERVICES = ("smi", "apisix", "ambassador", "nginx", "appMesh", "traefik")


class FieldError(Exception):
    """One apimachinery field.Error; str() is upstream's `path: body` text."""

    def __init__(self, path: str, kind: str, detail: str = "", value: Any = None) -> None:
        self.path, self.kind, self.detail, self.value = path, kind, detail, value
        super().__init__(self.text())

    def text(self) -> str:
        """`<path>: <body>` as field.Error.Error() prints it."""
        if self.kind in ("Required value", "Internal error", "Forbidden"):
            body = self.kind
        else:
            body = f"{self.kind}: {_go_value(self.value)}"
        return f"{self.path}: {body}: {self.detail}" if self.detail else f"{self.path}: {body}"


def _go_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError(path, "Invalid value", detail, value)


def _selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if (
            (op == "In" and (not present or labels[key] not in values))
            or (op == "NotIn" and present and labels[key] in values)
            or (op == "Exists" and not present)
            or (op == "DoesNotExist" and present)
        ):
            return False
    return True


def _check_template(spec: dict[str, Any]) -> None:
    selector = spec.get("selector")
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels")
    path = "spec.template"
    empty = selector is not None and not (
        selector.get("matchLabels") or selector.get("matchExpressions")
    )
    if not empty and not (selector is not None and _selector_matches(selector, labels or {})):
        raise _invalid(
            f"{path}.metadata.labels", labels, "`selector` does not match template `labels`"
        )
    pod = template.get("spec") or {}
    containers = pod.get("containers") or []
    if not containers:
        raise FieldError(f"{path}.spec.containers", "Required value")
    seen: set[str] = set()
    for i, container in enumerate(containers):
        cpath = f"{path}.spec.containers[{i}]"
        name = container.get("name") or ""
        if not name:
            raise FieldError(f"{cpath}.name", "Required value")
        if len(name) > 63 or not _DNS_LABEL.match(name):
            raise _invalid(f"{cpath}.name", name, _DNS_LABEL_MESSAGE)
        if name in seen:
            raise FieldError(f"{cpath}.name", "Duplicate value", value=name)
        seen.add(name)
        if not str(container.get("image") or "").strip():
            raise FieldError(f"{cpath}.image", "Required value")
        for j, port in enumerate(container.get("ports") or []):
            number = port.get("containerPort")
            if not isinstance(number, int) or not 1 <= number <= 65535:
                raise _invalid(
                    f"{cpath}.ports[{j}].containerPort",
                    number,
                    "must be between 1 and 65535, inclusive",
                )
    policy = pod.get("restartPolicy") or "Always"
    if policy != "Always":
        raise FieldError(
            f"{path}.spec.restartPolicy", "Unsupported value", 'supported values: "Always"', policy
        )


def _nonnegative(path: str, value: int) -> None:
    if value < 0:
        raise _invalid(path, value, "must be greater than or equal to 0")


def _check_blue_green(spec: dict[str, Any], blue_green: dict[str, Any]) -> None:
    active = blue_green.get("activeService", "")
    if active == blue_green.get("previewService", ""):
        raise _invalid(
            "spec.strategy.activeService",
            active,
            "This rollout uses the same service for the active and preview services, but two "
            "different services are required.",
        )
    limit = blue_green.get("scaleDownDelayRevisionLimit")
    if limit is not None and int(spec.get("revisionHistoryLimit", 10)) < int(limit):
        raise _invalid(
            "spec.strategy.scaleDownDelayRevisionLimit",
            int(limit),
            "This rollout's revision history limit can not be smaller than the rollout's "
            "scale down limit",
        )
    _check_anti_affinity(blue_green.get("antiAffinity"))


def _check_anti_affinity(anti: dict[str, Any] | None) -> None:
    if anti is None:
        return
    preferred = anti.get("preferredDuringSchedulingIgnoredDuringExecution")
    required = anti.get("requiredDuringSchedulingIgnoredDuringExecution")
    if (preferred is None) == (required is None):
        raise _invalid(
            "spec.strategy.antiAffinity",
            f"antiAffinity.PreferredDuringSchedulingIgnoredDuringExecution: "
            f"{str(preferred is not None).lower()} "
            f"antiAffinity.RequiredDuringSchedulingIgnoredDuringExecution: "
            f"{str(required is not None).lower()}",
            "AntiAffinity must have exactly one strategy listed",
        )
    if preferred is not None and not 1 <= int(preferred.get("weight", 0)) <= 100:
        raise _invalid(
            "spec.strategy.antiAffinity.weight",
            int(preferred.get("weight", 0)),
            "AntiAffinity weight must be between 1-100",
        )


def _percent_or_int(value: Any) -> int:
    if isinstance(value, str):
        match = re.fullmatch(r"([0-9]+)%", value)
        if match:
            return int(match.group(1))
        return int(value) if value.isdigit() else 0
    return int(value or 0)


def _pause_seconds(pause: dict[str, Any]) -> int:
    duration = pause.get("duration")
    if duration is None:
        return 0
    if isinstance(duration, int):
        return duration
    text = str(duration)
    if re.fullmatch(r"[+-]?[0-9]+", text):
        return int(text)
    try:
        return int(parse_go_duration(text))
    except ValueError:
        return -1


def _check_canary(canary: dict[str, Any]) -> None:
    surge = canary.get("maxSurge", "25%")
    unavailable = canary.get("maxUnavailable", "25%")
    if _percent_or_int(surge) == 0 and _percent_or_int(unavailable) == 0:
        raise _invalid(
            "spec.strategy.maxSurge", surge, "MaxSurge and MaxUnavailable both can not be zero"
        )
    stable_svc, canary_svc = canary.get("stableService", ""), canary.get("canaryService", "")
    if stable_svc and canary_svc and stable_svc == canary_svc:
        raise _invalid(
            "spec.strategy.stableService",
            stable_svc,
            "This rollout uses the same service for the stable and canary services, but two "
            "different services are required.",
        )
    routing = canary.get("trafficRouting")
    if routing is not None and _needs_services(canary, routing):
        message = "Canary service and Stable service must to be set to use Traffic Routing"
        if not stable_svc:
            raise _invalid("spec.strategy.stableService", stable_svc, message)
        if not canary_svc:
            raise _invalid("spec.strategy.canaryService", canary_svc, message)
    if routing is None:
        if canary.get("scaleDownDelaySeconds") is not None:
            raise _invalid(
                "spec.strategy.scaleDownDelaySeconds",
                int(canary["scaleDownDelaySeconds"]),
                "Canary scaleDownDelaySeconds can only be used with traffic routing",
            )
        if canary.get("dynamicStableScale"):
            raise _invalid(
                "spec.strategy.dynamicStableScale",
                True,
                "Canary dynamicStableScale can only be used with traffic routing",
            )
    max_weight = int((routing or {}).get("maxTrafficWeight") or 100)
    for i, step in enumerate(canary.get("steps") or []):
        _check_step(i, step, routing, max_weight)
    _check_anti_affinity(canary.get("antiAffinity"))


def _needs_services(canary: dict[str, Any], routing: dict[str, Any]) -> bool:
    ping_pong = canary.get("pingPong")
    if routing.get("alb") is not None and ping_pong is None:
        return True
    istio = routing.get("istio")
    if istio is not None and istio.get("destinationRule") is None and ping_pong is None:
        return True
    return any(routing.get(name) is not None for name in _ROUTERS_NEEDING_SERVICES)


def _check_step(i: int, step: dict[str, Any], routing: Any, max_weight: int) -> None:
    path = f"spec.strategy.steps[{i}]"
    present = {kind: step.get(kind) is not None for kind in _STEP_KINDS}
    main = ("setWeight", "pause", "experiment", "analysis")
    if sum(present[k] for k in main) > 1:
        flags = " ".join(
            f"step.{k[0].upper() + k[1:]}: {str(present[k]).lower()}"
            for k in ("experiment", "pause", "setWeight", "analysis")
        )
        raise _invalid(path, flags, _STEP_MESSAGE)
    if not any(present.values()):
        flags = " ".join(f"step.{k[0].upper() + k[1:]}: true" for k in _STEP_KINDS)
        raise _invalid(path, flags, _STEP_MESSAGE)
    weight = step.get("setWeight")
    if weight is not None and not 0 <= int(weight) <= max_weight:
        raise _invalid(
            f"{path}.setWeight", int(weight), f"SetWeight needs to be between 0 and {max_weight}"
        )
    if step.get("pause") is not None:
        seconds = _pause_seconds(step["pause"])
        if seconds < 0:
            raise _invalid(f"{path}.pause.duration", seconds, "Duration needs to be greater than 0")
    if step.get("setCanaryScale") is not None and routing is None:
        raise FieldError(
            "spec.strategy.trafficRouting",
            "Required value",
            "SetCanaryScale requires TrafficRouting to be set",
        )
    for j, template in enumerate((step.get("experiment") or {}).get("templates") or []):
        if template.get("weight") is not None and routing is None:
            raise _invalid(
                f"{path}.experiment.templates[{j}].weight",
                int(template["weight"]),
                "Experiment template weight cannot be set unless TrafficRouting is enabled",
            )


def validate_rollout_spec(rollout: dict[str, Any]) -> FieldError | None:
    """The first error of upstream ValidateRollout (spec-only rules), or None."""
    spec = rollout.get("spec") or {}
    try:
        _nonnegative(
            "spec.replicas", int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
        )
        workload_ref = spec.get("workloadRef")
        if workload_ref is None:
            selector = spec.get("selector")
            if selector is None:
                raise FieldError(
                    "spec.selector", "Required value", "Rollout has missing field '.spec.selector'"
                )
            if not (selector.get("matchLabels") or selector.get("matchExpressions")):
                raise _invalid(
                    "spec.selector", selector, "empty selector is invalid for deployment"
                )
        elif spec.get("template"):
            raise FieldError(
                "spec.template",
                "Internal error",
                "template must be empty for workload reference rollout",
            )
        if workload_ref is None:
            _check_template(spec)
        min_ready = int(spec.get("minReadySeconds") or 0)
        _nonnegative("spec.minReadySeconds", min_ready)
        _nonnegative("spec.revisionHistoryLimit", int(spec.get("revisionHistoryLimit", 10)))
        deadline = int(spec.get("progressDeadlineSeconds", 600))
        _nonnegative("spec.progressDeadlineSeconds", deadline)
        if deadline <= min_ready:
            raise _invalid(
                "spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"
            )
        strategy = spec.get("strategy") or {}
        blue_green, canary = strategy.get("blueGreen"), strategy.get("canary")
        if blue_green is None and canary is None:
            raise FieldError(
                "spec.strategy.strategy",
                "Required value",
                "Rollout has missing field '.spec.strategy.canary or .spec.strategy.blueGreen'",
            )
        if blue_green is not None and canary is not None:
            raise _invalid(
                "spec.strategy.strategy",
                "blueGreen: true canary: true",
                "Multiple Strategies can not be listed",
            )
        if blue_green is not None:
            _check_blue_green(spec, blue_green)
        else:
            _check_canary(canary or {})
    except FieldError as error:
        return error
    return None


def validate_rollout(
    rollout: dict[str, Any],
    *,
    services: dict[str, dict[str, Any]] | None = None,
    templates: dict[str, dict[str, Any]] | None = None,
    cluster_templates: dict[str, dict[str, Any]] | None = None,
) -> str | None:
    """The InvalidSpec condition message for a Rollout, or None when it is valid.

    `services` / `templates` / `cluster_templates` map names to the objects that exist in the
    rollout's namespace (cluster templates: cluster-wide). Pass None to skip the checks of that
    kind of reference (e.g. a linter that cannot see the cluster).
    """
    error = validate_rollout_spec(rollout)
    if error is None:
        try:
            check_references(rollout, services, templates, cluster_templates)
        except FieldError as ref_error:
            error = ref_error
    if error is None:
        return None
    name = (rollout.get("metadata") or {}).get("name", "")
    return f'The Rollout "{name}" is invalid: {error.text()}'


_SERVICE_PATHS = {
    "activeService": "spec.strategy.blueGreen.activeService",
    "previewService": "spec.strategy.blueGreen.previewService",
    "stableService": "spec.strategy.canary.stableService",
    "canaryService": "spec.strategy.canary.canaryService",
    "pingService": "spec.strategy.canary.pingPong.pingService",
    "pongService": "spec.strategy.canary.pingPong.pongService",
}


def _referenced_services(strategy: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, service name) in upstream's lookup order; empty names are skipped."""
    if strategy.get("blueGreen") is not None:
        source, keys = strategy["blueGreen"], ("activeService", "previewService")
        pairs = [(k, source.get(k, "")) for k in keys]
    else:
        canary = strategy.get("canary") or {}
        pairs = [(k, canary.get(k, "")) for k in ("stableService", "canaryService")]
        ping_pong = canary.get("pingPong")
        if ping_pong is not None:
            pairs += [(k, ping_pong.get(k, "")) for k in ("pingService", "pongService")]
    return [(k, v) for k, v in pairs if v]


def _referenced_analyses(strategy: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, field path, RolloutAnalysis) in upstream's order: steps, then background."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    blue_green = strategy.get("blueGreen")
    if blue_green is not None:
        for key in ("prePromotionAnalysis", "postPromotionAnalysis"):
            if blue_green.get(key) is not None:
                out.append((key, f"spec.strategy.blueGreen.{key}.templates", blue_green[key]))
        return out
    canary = strategy.get("canary") or {}
    for i, step in enumerate(canary.get("steps") or []):
        if step.get("analysis") is not None:
            path = f"spec.strategy.canary.steps[{i}].analysis.templates"
            out.append(("inline", path, step["analysis"]))
    if canary.get("analysis") is not None:
        out.append(("background", "spec.strategy.canary.analysis.templates", canary["analysis"]))
    return out


def _lookup_templates(
    refs: list[dict[str, Any]],
    path: str,
    templates: dict[str, dict[str, Any]],
    cluster_templates: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    """Resolve template refs (nested refs followed, duplicates kept once), raising not-found."""
    found: list[dict[str, Any]] = []
    for ref in refs:
        name = ref.get("templateName", "")
        cluster = bool(ref.get("clusterScope"))
        pool = cluster_templates if cluster else templates
        kind = "ClusterAnalysisTemplate" if cluster else "AnalysisTemplate"
        if name not in pool:
            raise _invalid(path, name, f"{kind} '{name}' not found")
        template = pool[name]
        found.append(template)
        nested = (template.get("spec") or {}).get("templates")
        if nested:
            found += _lookup_templates(nested, "spec.templates", templates, cluster_templates)
    unique: list[dict[str, Any]] = []
    for template in found:
        if all(template is not seen for seen in unique):
            unique.append(template)
    return unique


def _merge_error(found: list[dict[str, Any]], rollout_args: list[dict[str, Any]]) -> str | None:
    """The error of upstream's dry-run run creation from these templates, if any."""
    metric_names: set[str] = set()
    merged: dict[str, dict[str, Any]] = {}
    for template in found:
        spec = template.get("spec") or {}
        for metric in spec.get("metrics") or []:
            if metric.get("name") in metric_names:
                return f"two metrics have the same name '{metric.get('name')}'"
            metric_names.add(metric.get("name"))
        for arg in spec.get("args") or []:
            prior = merged.get(arg["name"])
            value = arg.get("value")
            conflict = prior is not None and prior.get("value") not in (None, value)
            if conflict and value is not None:
                assert prior is not None
                return (
                    f"Argument `{arg['name']}` specified multiple times with different "
                    f"values: '{prior['value']}', '{value}'"
                )
            if prior is None or prior.get("value") is None:
                merged[arg["name"]] = dict(arg)
    for arg in rollout_args:
        if arg.get("name") in merged:
            merged[arg["name"]] = {"name": arg["name"], "value": arg.get("value", "")}
            if arg.get("valueFrom") is not None:
                merged[arg["name"]] = {"name": arg["name"], "valueFrom": arg["valueFrom"]}
    for arg in merged.values():
        if arg.get("value") is None and arg.get("valueFrom") is None:
            return f"args.{arg['name']} was not resolved"
    return None


def _check_template_metrics(name: str, template: dict[str, Any], path: str) -> None:
    """Step/pre/post templates: placeholders must resolve; metrics must not run forever."""
    spec = template.get("spec") or {}
    args: dict[str, Any] = {}
    for arg in spec.get("args") or []:
        if arg.get("valueFrom") is not None and arg.get("value") is not None:
            raise _invalid(
                path,
                name,
                f"AnalysisTemplate {name}: arg '{arg['name']}' has both Value and ValueFrom fields",
            )
        args[arg["name"]] = arg.get("value", "dummy-value")
    for metric in spec.get("metrics") or []:
        text = json.dumps(metric)
        for placeholder in _PLACEHOLDER.findall(text):
            key = placeholder.strip()
            if not (key.startswith("args.") and key[5:] in args):
                raise _invalid(
                    path, name, f"AnalysisTemplate {name}: failed to resolve {{{{{key}}}}}"
                )
    for metric in spec.get("metrics") or []:
        if effective_count(metric) is None:
            count = metric.get("count")
            shown = "<nil>" if count is None else str(count)
            raise _invalid(
                path,
                name,
                f"AnalysisTemplate {name} has metric {metric.get('name')} which runs "
                f"indefinitely. Invalid value for count: {shown}",
            )


def _check_background_args(
    name: str, template: dict[str, Any], path: str, rollout_args: list[dict[str, Any]] | None
) -> None:
    for arg in (template.get("spec") or {}).get("args") or []:
        if arg.get("value") is not None or arg.get("valueFrom") is not None:
            continue
        if rollout_args is None:
            raise _invalid(path, name, "missing analysis arguments in rollout spec")
        if all(a.get("name") != arg["name"] for a in rollout_args):
            raise _invalid(path, name, arg["name"])


def check_references(
    rollout: dict[str, Any],
    services: dict[str, dict[str, Any]] | None,
    templates: dict[str, dict[str, Any]] | None,
    cluster_templates: dict[str, dict[str, Any]] | None,
) -> None:
    """Raise the first FieldError about referenced Services and AnalysisTemplates."""
    spec = rollout.get("spec") or {}
    strategy = spec.get("strategy") or {}
    found_services: list[tuple[str, dict[str, Any]]] = []
    if services is not None:
        for key, name in _referenced_services(strategy):
            if name not in services:
                raise _invalid(_SERVICE_PATHS[key], name, f'service "{name}" not found')
            found_services.append((key, services[name]))
    analyses: list[tuple[str, str, dict[str, Any], list[dict[str, Any]]]] = []
    if templates is not None:
        for kind, path, analysis in _referenced_analyses(strategy):
            found = _lookup_templates(
                analysis.get("templates") or [], path, templates, cluster_templates or {}
            )
            analyses.append((kind, path, analysis, found))
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    for key, service in found_services:
        name = (service.get("metadata") or {}).get("name", "")
        selector = (service.get("spec") or {}).get("selector") or {}
        for label in sorted(selector):
            if label != HASH_LABEL and labels.get(label) != selector[label]:
                raise _invalid(
                    _SERVICE_PATHS[key],
                    name,
                    f'Service "{name}" has unmatch label "{label}" in rollout',
                )
        owner = ((service.get("metadata") or {}).get("annotations") or {}).get(MANAGED_BY)
        if owner is not None and owner != (rollout.get("metadata") or {}).get("name"):
            raise _invalid(
                _SERVICE_PATHS[key], name, f'Service "{name}" is managed by another Rollout'
            )
    for kind, path, analysis, found in analyses:
        names = " ".join((t.get("metadata") or {}).get("name", "") for t in found)
        problem = _merge_error(found, analysis.get("args") or [])
        if problem:
            raise _invalid(path, f"templateNames: [{names}]", problem)
        for template in found:
            name = (template.get("metadata") or {}).get("name", "")
            if kind == "background":
                _check_background_args(name, template, path, analysis.get("args"))
            else:
                _check_template_metrics(name, template, path)
