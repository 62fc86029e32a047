"""Defaulting for built-in kinds: the values a real apiserver fills in and that `kubectl
describe` and controllers read (protocols, pull policies, strategies, pod spec fields).

Allocation that needs cluster state (ClusterIPs, nodePorts, pod IPs) is the server's job.
"""

from __future__ import annotations

from typing import Any

__all__ = ["apply_defaults"]


def _set(target: dict[str, Any], key: str, value: Any) -> None:
    if target.get(key) is None:
        target[key] = value


def _image_pull_policy(image: str) -> str:
    """`Always` for `:latest` or an untagged image, else `IfNotPresent`."""
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    if ":" not in last or last.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def _probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    for key, value in (
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ):
        _set(probe, key, value)
    http_get = probe.get("httpGet")
    if isinstance(http_get, dict):
        _set(http_get, "scheme", "HTTP")
        _set(http_get, "path", "/")


def _container(container: Any) -> None:
    if not isinstance(container, dict):
        return
    image = container.get("image")
    if isinstance(image, str):
        _set(container, "imagePullPolicy", _image_pull_policy(image))
    _set(container, "terminationMessagePath", "/dev/termination-log")
    _set(container, "terminationMessagePolicy", "File")
    _set(container, "resources", {})
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            _set(port, "protocol", "TCP")
    for env in container.get("env") or []:
        field_ref = (env.get("valueFrom") or {}).get("fieldRef") if isinstance(env, dict) else None
        if isinstance(field_ref, dict):
            _set(field_ref, "apiVersion", "v1")
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(container.get(key))


def pod_spec_defaults(spec: Any) -> None:
    """Defaults of a PodSpec, in a Pod or in a template."""
    if not isinstance(spec, dict):
        return
    _set(spec, "restartPolicy", "Always")
    _set(spec, "dnsPolicy", "ClusterFirst")
    _set(spec, "schedulerName", "default-scheduler")
    _set(spec, "terminationGracePeriodSeconds", 30)
    _set(spec, "securityContext", {})
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or []:
            _container(container)
    for volume in spec.get("volumes") or []:
        if not isinstance(volume, dict):
            continue
        for source in ("configMap", "secret"):
            if isinstance(volume.get(source), dict):
                _set(volume[source], "defaultMode", 420)


def _template(spec: dict[str, Any]) -> None:
    template = spec.get("template")
    if isinstance(template, dict):
        pod_spec_defaults(template.get("spec"))


def _deployment(obj: dict[str, Any], _operation: str) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    _set(spec, "replicas", 1)
    _set(spec, "revisionHistoryLimit", 10)
    _set(spec, "progressDeadlineSeconds", 600)
    strategy = spec.setdefault("strategy", {})
    if isinstance(strategy, dict):
        _set(strategy, "type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            if isinstance(rolling, dict):
                _set(rolling, "maxUnavailable", "25%")
                _set(rolling, "maxSurge", "25%")
    _template(spec)


def _replica_set(obj: dict[str, Any], _operation: str) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        _set(spec, "replicas", 1)
        _template(spec)


def _job(obj: dict[str, Any], _operation: str) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    _set(spec, "parallelism", 1)
    _set(spec, "completions", 1)
    _set(spec, "backoffLimit", 6)
    _set(spec, "completionMode", "NonIndexed")
    _set(spec, "suspend", False)
    _set(spec, "podReplacementPolicy", "TerminatingOrFailed")
    _template(spec)


def _pod(obj: dict[str, Any], operation: str) -> None:
    spec = obj.get("spec")
    pod_spec_defaults(spec)
    if isinstance(spec, dict):
        _set(spec, "enableServiceLinks", True)
        _set(spec, "priority", 0)
        _set(spec, "preemptionPolicy", "PreemptLowerPriority")
        tolerations = spec.setdefault("tolerations", [])
        if isinstance(tolerations, list) and not tolerations:
            for taint in ("not-ready", "unreachable"):
                tolerations.append(
                    {
                        "key": f"node.kubernetes.io/{taint}",
                        "operator": "Exists",
                        "effect": "NoExecute",
                        "tolerationSeconds": 300,
                    }
                )
    if operation == "CREATE":
        status = obj.setdefault("status", {})
        if isinstance(status, dict):
            _set(status, "phase", "Pending")
            _set(status, "qosClass", _qos_class(spec))


def _qos_class(spec: Any) -> str:
    """Guaranteed (limits == requests for cpu and memory everywhere), Burstable or BestEffort."""
    containers = spec.get("containers") if isinstance(spec, dict) else None
    resources = [c.get("resources") or {} for c in containers or [] if isinstance(c, dict)]
    if not any(r.get("limits") or r.get("requests") for r in resources):
        return "BestEffort"
    for r in resources:
        limits, requests = r.get("limits") or {}, r.get("requests") or {}
        for name in ("cpu", "memory"):
            if name not in limits or requests.get(name, limits[name]) != limits[name]:
                return "Burstable"
    return "Guaranteed"


def _service(obj: dict[str, Any], _operation: str) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    _set(spec, "type", "ClusterIP")
    if spec["type"] != "ExternalName":
        _set(spec, "sessionAffinity", "None")
        _set(spec, "internalTrafficPolicy", "Cluster")
    if spec["type"] in ("NodePort", "LoadBalancer"):
        _set(spec, "externalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            _set(port, "protocol", "TCP")
            if port.get("targetPort") is None and port.get("port") is not None:
                port["targetPort"] = port["port"]
    obj.setdefault("status", {}).setdefault("loadBalancer", {})


def _namespace(obj: dict[str, Any], operation: str) -> None:
    metadata = obj.setdefault("metadata", {})
    name = metadata.get("name")
    if isinstance(name, str) and name:
        labels = metadata.setdefault("labels", {})
        if isinstance(labels, dict):
            labels["kubernetes.io/metadata.name"] = name
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        _set(spec, "finalizers", ["kubernetes"])
    if operation == "CREATE":
        status = obj.setdefault("status", {})
        if isinstance(status, dict):
            _set(status, "phase", "Active")


_BY_KIND = {
    ("apps", "Deployment"): _deployment,
    ("apps", "ReplicaSet"): _replica_set,
    ("batch", "Job"): _job,
    ("", "Pod"): _pod,
    ("", "Service"): _service,
    ("", "Namespace"): _namespace,
}


def apply_defaults(group: str, kind: str, obj: dict[str, Any], operation: str = "CREATE") -> None:
    """Fill the defaults of a built-in kind into `obj` in place (no-op for other kinds)."""
    defaulter = _BY_KIND.get((group, kind))
    if defaulter is not None:
        defaulter(obj, operation)
