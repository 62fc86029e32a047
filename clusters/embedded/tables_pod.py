"""The pod row of `kubectl get pods`: READY, the STATUS text kubectl derives from container
states (Running, ContainerCreating, CrashLoopBackOff, Init:0/1, Terminating, ...), RESTARTS."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clusters.embedded.tables_time import since

__all__ = ["condition_true", "pod_cells", "pod_status_text"]


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    value = obj.get("spec")
    return value if isinstance(value, dict) else {}


def _status(obj: dict[str, Any]) -> dict[str, Any]:
    value = obj.get("status")
    return value if isinstance(value, dict) else {}


def condition_true(status: dict[str, Any], kind: str) -> bool:
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
    if init_reason is None or condition_true(status, "Initialized"):
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
            reason = "Running" if condition_true(status, "Ready") else "NotReady"
    metadata = pod.get("metadata") or {}
    phase = status.get("phase")
    if metadata.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif metadata.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return reason, ready, total, restarts, last_restart


def pod_cells(pod: dict[str, Any], now: datetime) -> list[Any]:
    """Name, Ready, Status, Restarts, Age, IP, Node, Nominated Node, Readiness Gates."""
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
        (pod.get("metadata") or {}).get("name", ""),
        f"{ready}/{total}",
        reason,
        restarts_text,
        since((pod.get("metadata") or {}).get("creationTimestamp"), now),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_text,
    ]
