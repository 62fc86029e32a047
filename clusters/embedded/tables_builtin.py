"""`kubectl get` columns and cells of the built-in kinds, as the apiserver's printers build
them (kubectl 1.37 has no client-side printers left for these)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from clusters.embedded.clock import parse_timestamp
from clusters.embedded.tables_pod import condition_true, pod_cells
from clusters.embedded.tables_time import human_duration, since

__all__ = ["BUILTIN_TABLES", "Column", "human_duration", "since"]

Column = tuple[str, str, int, str]  # name, type, priority, description
Printer = Callable[[dict[str, Any], datetime], list[Any]]


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    value = obj.get("spec")
    return value if isinstance(value, dict) else {}


def _status(obj: dict[str, Any]) -> dict[str, Any]:
    value = obj.get("status")
    return value if isinstance(value, dict) else {}


def _age(obj: dict[str, Any], now: datetime) -> str:
    return since(_meta(obj).get("creationTimestamp"), now)


def _selector_text(selector: Any) -> str:
    """`metav1.FormatLabelSelector`: `app=web,tier in (a,b)` or `<none>`."""
    if not isinstance(selector, dict):
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key", ""), expression.get("operator", "")
        values = ",".join(sorted(expression.get("values") or []))
        if operator == "In":
            parts.append(f"{key} in ({values})")
        elif operator == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif operator == "Exists":
            parts.append(key)
        elif operator == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) if parts else "<none>"


def _map_selector_text(selector: Any) -> str:
    if not isinstance(selector, dict) or not selector:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))


def _containers(obj: dict[str, Any]) -> tuple[str, str]:
    template = _spec(obj).get("template") or {}
    containers = (template.get("spec") or {}).get("containers") or []
    names = ",".join(str(c.get("name", "")) for c in containers if isinstance(c, dict))
    images = ",".join(str(c.get("image", "")) for c in containers if isinstance(c, dict))
    return names, images


# --- other kinds ------------------------------------------------------------------------


def _service_external_ip(spec: dict[str, Any], status: dict[str, Any]) -> str:
    kind = spec.get("type", "ClusterIP")
    external = list(spec.get("externalIPs") or [])
    if kind == "ExternalName":
        return str(spec.get("externalName") or "<none>")
    if kind == "LoadBalancer":
        ingress = (status.get("loadBalancer") or {}).get("ingress") or []
        found = [i.get("ip") or i.get("hostname") for i in ingress if isinstance(i, dict)]
        found = [str(value) for value in found if value] + external
        return ",".join(found) if found else "<pending>"
    return ",".join(external) if external else "<none>"


def _ports_text(ports: list[dict[str, Any]]) -> str:
    parts = []
    for port in ports:
        protocol = port.get("protocol", "TCP")
        if port.get("nodePort"):
            parts.append(f"{port.get('port')}:{port['nodePort']}/{protocol}")
        else:
            parts.append(f"{port.get('port')}/{protocol}")
    return ",".join(parts) if parts else "<none>"


def _service(svc: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = _spec(svc), _status(svc)
    return [
        _meta(svc).get("name", ""),
        spec.get("type", "ClusterIP"),
        spec.get("clusterIP") or "<none>",
        _service_external_ip(spec, status),
        _ports_text([p for p in spec.get("ports") or [] if isinstance(p, dict)]),
        _age(svc, now),
        _map_selector_text(spec.get("selector")),
    ]


def _endpoints(ep: dict[str, Any], now: datetime) -> list[Any]:
    pairs: list[str] = []
    for subset in ep.get("subsets") or []:
        ports = [p.get("port") for p in subset.get("ports") or []] or [None]
        for address in subset.get("addresses") or []:
            for port in ports:
                ip = address.get("ip", "")
                pairs.append(f"{ip}:{port}" if port is not None else str(ip))
    text = ",".join(pairs[:3]) if pairs else "<none>"
    if len(pairs) > 3:
        text += f" + {len(pairs) - 3} more..."
    return [_meta(ep).get("name", ""), text, _age(ep, now)]


def _event(event: dict[str, Any], now: datetime) -> list[Any]:
    first = event.get("firstTimestamp") or event.get("eventTime")
    first_text = since(first, now)
    last_text = since(event.get("lastTimestamp"), now) if event.get("lastTimestamp") else None
    last_text = last_text or first_text
    count = event.get("count") or 1
    series = event.get("series")
    if isinstance(series, dict):
        last_text = since(series.get("lastObservedTime"), now)
        count = series.get("count") or count
    involved = event.get("involvedObject") or {}
    target = str(involved.get("kind", "")).lower()
    if involved.get("name"):
        target = f"{target}/{involved['name']}"
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent") or ""
    instance = source.get("host") or event.get("reportingInstance") or ""
    return [
        last_text,
        event.get("type", ""),
        event.get("reason", ""),
        target,
        involved.get("fieldPath", ""),
        f"{component}, {instance}" if instance else component,
        str(event.get("message", "")).strip(),
        first_text,
        int(count),
        _meta(event).get("name", ""),
    ]


def _deployment(obj: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = _spec(obj), _status(obj)
    names, images = _containers(obj)
    return [
        _meta(obj).get("name", ""),
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
        int(status.get("updatedReplicas", 0)),
        int(status.get("availableReplicas", 0)),
        _age(obj, now),
        names,
        images,
        _selector_text(spec.get("selector")),
    ]


def _replica_set(obj: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = _spec(obj), _status(obj)
    names, images = _containers(obj)
    return [
        _meta(obj).get("name", ""),
        int(spec.get("replicas", 0)),
        int(status.get("replicas", 0)),
        int(status.get("readyReplicas", 0)),
        _age(obj, now),
        names,
        images,
        _selector_text(spec.get("selector")),
    ]


def _job_status(status: dict[str, Any]) -> str:
    for kind, text in (
        ("Failed", "Failed"),
        ("Complete", "Complete"),
        ("Suspended", "Suspended"),
        ("FailureTarget", "FailureTarget"),
        ("SuccessCriteriaMet", "SuccessCriteriaMet"),
    ):
        if condition_true(status, kind):
            return text
    return "Running"


def _job(obj: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = _spec(obj), _status(obj)
    names, images = _containers(obj)
    succeeded = status.get("succeeded", 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    else:
        completions = f"{succeeded}/1 of {spec.get('parallelism', 1)}"
    duration = ""
    started = status.get("startTime")
    if started:
        end = status.get("completionTime")
        end_time = parse_timestamp(end) if end else now
        duration = human_duration((end_time - parse_timestamp(started)).total_seconds())
    return [
        _meta(obj).get("name", ""),
        _job_status(status),
        completions,
        duration,
        _age(obj, now),
        names,
        images,
        _selector_text(spec.get("selector")),
    ]


def _node(node: dict[str, Any], now: datetime) -> list[Any]:
    status = _status(node)
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )
    text = "Ready" if ready else "NotReady"
    if _spec(node).get("unschedulable"):
        text += ",SchedulingDisabled"
    labels = _meta(node).get("labels") or {}
    roles = sorted(
        key.split("/", 1)[1]
        for key in labels
        if key.startswith("node-role.kubernetes.io/") and "/" in key
    )
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or []}
    info = status.get("nodeInfo") or {}
    return [
        _meta(node).get("name", ""),
        text,
        ",".join(roles) if roles else "<none>",
        _age(node, now),
        info.get("kubeletVersion", ""),
        addresses.get("InternalIP") or "<none>",
        addresses.get("ExternalIP") or "<none>",
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _simple(*cells: Callable[[dict[str, Any]], Any]) -> Printer:
    def printer(obj: dict[str, Any], now: datetime) -> list[Any]:
        return [_meta(obj).get("name", ""), *(cell(obj) for cell in cells), _age(obj, now)]

    return printer


def _crd(obj: dict[str, Any], now: datetime) -> list[Any]:
    return [_meta(obj).get("name", ""), _meta(obj).get("creationTimestamp", "")]


_NAME = ("Name", "string", 0, "")
_AGE = ("Age", "string", 0, "")
_WORKLOAD_WIDE = [
    ("Containers", "string", 1, "Names of each container in the template."),
    ("Images", "string", 1, "Images referenced by each container in the template."),
    ("Selector", "string", 1, "Label selector for pods."),
]
BUILTIN_TABLES: dict[tuple[str, str], tuple[list[Column], Printer]] = {
    ("", "Pod"): (
        [
            _NAME,
            (
                "Ready",
                "string",
                0,
                "The aggregate readiness state of this pod for accepting traffic.",
            ),
            ("Status", "string", 0, "The aggregate status of the containers in this pod."),
            (
                "Restarts",
                "string",
                0,
                "The number of times the containers in this pod have "
                "been restarted and when the last container in this pod has restarted.",
            ),
            _AGE,
            ("IP", "string", 1, "The IP address assigned to this pod."),
            ("Node", "string", 1, "The name of the node this pod runs on."),
            ("Nominated Node", "string", 1, "The node the scheduler nominated for preemption."),
            ("Readiness Gates", "string", 1, "Readiness gates that passed, of all declared."),
        ],
        pod_cells,
    ),
    ("", "Namespace"): (
        [_NAME, ("Status", "string", 0, "The status of the namespace"), _AGE],
        _simple(lambda o: _status(o).get("phase", "")),
    ),
    ("", "Node"): (
        [
            _NAME,
            ("Status", "string", 0, "The status of the node"),
            ("Roles", "string", 0, "The roles of the node"),
            _AGE,
            ("Version", "string", 0, "Kubelet Version reported by the node."),
            ("Internal-IP", "string", 1, "List of internal IPs of the node."),
            ("External-IP", "string", 1, "List of external IPs of the node."),
            ("OS-Image", "string", 1, "OS image reported by the node."),
            ("Kernel-Version", "string", 1, "Kernel version reported by the node."),
            ("Container-Runtime", "string", 1, "Container runtime reported by the node."),
        ],
        _node,
    ),
    ("", "Service"): (
        [
            _NAME,
            ("Type", "string", 0, "The type of the service."),
            ("Cluster-IP", "string", 0, "The cluster IP of the service."),
            ("External-IP", "string", 0, "The external IPs of the service."),
            ("Port(s)", "string", 0, "The ports the service exposes."),
            _AGE,
            ("Selector", "string", 1, "Route service traffic to pods with these labels."),
        ],
        _service,
    ),
    ("", "Endpoints"): (
        [_NAME, ("Endpoints", "string", 0, "Endpoints of the service."), _AGE],
        _endpoints,
    ),
    ("", "Event"): (
        [
            ("Last Seen", "string", 0, "Time since the event was last observed."),
            ("Type", "string", 0, "Type of this event (Normal, Warning)."),
            ("Reason", "string", 0, "Why the action was taken."),
            ("Object", "string", 0, "The object this event is about."),
            ("Subobject", "string", 1, "The field of the object this event is about."),
            ("Source", "string", 1, "The component reporting this event."),
            ("Message", "string", 0, "A human-readable description of the status."),
            ("First Seen", "string", 1, "Time since the event was first observed."),
            ("Count", "integer", 1, "How many times the event occurred."),
            ("Name", "string", 1, ""),
        ],
        _event,
    ),
    ("", "ConfigMap"): (
        [_NAME, ("Data", "integer", 0, "Number of keys in the config map."), _AGE],
        _simple(lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {})),
    ),
    ("", "Secret"): (
        [
            _NAME,
            ("Type", "string", 0, "The type of the secret"),
            ("Data", "integer", 0, "The number of keys in the secret."),
            _AGE,
        ],
        _simple(lambda o: o.get("type", "Opaque"), lambda o: len(o.get("data") or {})),
    ),
    ("apps", "Deployment"): (
        [
            _NAME,
            ("Ready", "string", 0, "Number of the pod with ready state"),
            (
                "Up-to-date",
                "integer",
                0,
                "Total number of non-terminated pods targeted by this "
                "deployment that have the desired template spec.",
            ),
            (
                "Available",
                "integer",
                0,
                "Total number of available pods (ready for at least "
                "minReadySeconds) targeted by this deployment.",
            ),
            _AGE,
            *_WORKLOAD_WIDE,
        ],
        _deployment,
    ),
    ("apps", "ReplicaSet"): (
        [
            _NAME,
            ("Desired", "integer", 0, "Replicas is the number of desired replicas."),
            ("Current", "integer", 0, "Replicas is the most recently observed number of replicas."),
            ("Ready", "integer", 0, "The number of ready replicas for this replica set."),
            _AGE,
            *_WORKLOAD_WIDE,
        ],
        _replica_set,
    ),
    ("batch", "Job"): (
        [
            _NAME,
            ("Status", "string", 0, "Status of the job."),
            ("Completions", "string", 0, "The completion status of the job."),
            ("Duration", "string", 0, "Time required to complete the job."),
            _AGE,
            *_WORKLOAD_WIDE,
        ],
        _job,
    ),
    ("apiextensions.k8s.io", "CustomResourceDefinition"): (
        [_NAME, ("Created At", "date", 0, "")],
        _crd,
    ),
}
