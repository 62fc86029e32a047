"""`kubectl get` columns and cells of the built-in kinds, as the apiserver's printers build
them (kubectl 1.37 has no client-side printers left for these)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from clusters.embedded.clock import parse_timestamp

__all__ = ["BUILTIN_TABLES", "Column", "human_duration", "since"]

Column = tuple[str, str, int, str]  # name, type, priority, description
Printer = Callable[[dict[str, Any], datetime], list[Any]]


def human_duration(seconds: float) -> str:
    """Go's `duration.HumanDuration`: `5s`, `3m2s`, `15m`, `5h3m`, `2d`, `2y10d`."""
    total = int(seconds)
    if total < -1:
        return "<invalid>"
    if total < 0:
        return "0s"
    if total < 120:
        return f"{total}s"
    minutes = total // 60
    if minutes < 10:
        rest = total % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = total // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y{days}d" if days else f"{years}y"
    return f"{hours // 24 // 365}y"


def since(timestamp: Any, now: datetime) -> str:
    """Age of an RFC 3339 timestamp, or `<unknown>` when absent or unreadable."""
    if not isinstance(timestamp, str) or not timestamp:
        return "<unknown>"
    try:
        moment = parse_timestamp(timestamp)
    except ValueError:
        return "<unknown>"
    return human_duration((now - moment).total_seconds())


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


# --- pods -------------------------------------------------------------------------------


def _condition_true(status: dict[str, Any], kind: str) -> bool:
    return any(
        c.get("type") == kind and c.get("status") == "True"
        for c in status.get("conditions") or []
        if isinstance(c, dict)
    )


def _init_reason(pod: dict[str, Any], status: dict[str, Any]) -> tuple[str | None, int]:
    """The `Init:...` status while init containers run, and their restarts."""
    init_specs = _spec(pod).get("initContainers") or []
    restarts = 0
    for index, container in enumerate(status.get("initContainerStatuses") or []):
        restarts += int(container.get("restartCount") or 0)
        state = container.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        sidecar = index < len(init_specs) and init_specs[index].get("restartPolicy") == "Always"
        if terminated and terminated.get("exitCode", 0) == 0:
            continue
        if sidecar and container.get("started"):
            continue
        if terminated:
            if terminated.get("reason"):
                return "Init:" + terminated["reason"], restarts
            if terminated.get("signal"):
                return f"Init:Signal:{terminated['signal']}", restarts
            return f"Init:ExitCode:{terminated.get('exitCode', 0)}", restarts
        if waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            return "Init:" + waiting["reason"], restarts
        return f"Init:{index}/{len(init_specs)}", restarts
    return None, restarts


def pod_status_text(pod: dict[str, Any]) -> tuple[str, int, int, int, str | None]:
    """(STATUS, ready containers, total containers, restarts, last restart time) as kubectl."""
    status = _status(pod)
    reason = str(status.get("reason") or status.get("phase") or "")
    total = len(_spec(pod).get("containers") or [])
    init_specs = _spec(pod).get("initContainers") or []
    total += sum(1 for c in init_specs if c.get("restartPolicy") == "Always")
    for condition in status.get("conditions") or []:
        if (
            condition.get("type") == "PodScheduled"
            and condition.get("status") == "False"
            and condition.get("reason") == "SchedulingGated"
        ):
            reason = "SchedulingGated"
    init_reason, restarts = _init_reason(pod, status)
    ready = 0
    last_restart: str | None = None
    if init_reason is not None:
        reason = init_reason
    if init_reason is None or _condition_true(status, "Initialized"):
        restarts = 0
        running = False
        for container in reversed(status.get("containerStatuses") or []):
            restarts += int(container.get("restartCount") or 0)
            last = (container.get("lastState") or {}).get("terminated") or {}
            finished = last.get("finishedAt")
            if finished and (last_restart is None or finished > last_restart):
                last_restart = finished
            state = container.get("state") or {}
            waiting, terminated = state.get("waiting") or {}, state.get("terminated")
            if waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated:
                if terminated.get("signal"):
                    reason = f"Signal:{terminated['signal']}"
                else:
                    reason = f"ExitCode:{terminated.get('exitCode', 0)}"
            elif container.get("ready") and state.get("running") is not None:
                running = True
                ready += 1
        if reason == "Completed" and running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"
    metadata = _meta(pod)
    phase = status.get("phase")
    if metadata.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif metadata.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return reason, ready, total, restarts, last_restart


def _pod(pod: dict[str, Any], now: datetime) -> list[Any]:
    reason, ready, total, restarts, last_restart = pod_status_text(pod)
    restarts_text = str(restarts)
    if last_restart:
        restarts_text = f"{restarts} ({since(last_restart, now)} ago)"
    status, spec = _status(pod), _spec(pod)
    gates = spec.get("readinessGates") or []
    gates_text = "<none>"
    if gates:
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        passed = sum(1 for g in gates if conditions.get(g.get("conditionType")) == "True")
        gates_text = f"{passed}/{len(gates)}"
    return [
        _meta(pod).get("name", ""),
        f"{ready}/{total}",
        reason,
        restarts_text,
        _age(pod, now),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_text,
    ]


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
        if _condition_true(status, kind):
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
        _pod,
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
