"""Deployment status: replica counts, the Available and Progressing conditions, and the
progress deadline, computed as the upstream deployment controller does."""

from __future__ import annotations

from typing import Any

from clusters.embedded.resources import find_plural

__all__ = ["set_condition", "sync_status"]

DEPLOYMENTS = find_plural("apps", "v1", "deployments")


def set_condition(
    status: dict[str, Any], type_: str, value: str, reason: str, message: str, now: str
) -> None:
    """Set a condition; lastTransitionTime moves only when the status value changes."""
    conditions = status.setdefault("conditions", [])
    for condition in conditions:
        if condition.get("type") == type_:
            if condition.get("status") != value:
                condition["lastTransitionTime"] = now
            if (condition.get("status"), condition.get("reason")) != (value, reason) or (
                reason == "ReplicaSetUpdated"
            ):
                condition["lastUpdateTime"] = now
            condition.update({"status": value, "reason": reason, "message": message})
            return
    conditions.append(
        {
            "type": type_,
            "status": value,
            "lastUpdateTime": now,
            "lastTransitionTime": now,
            "reason": reason,
            "message": message,
        }
    )


def _get_condition(status: dict[str, Any], type_: str) -> dict[str, Any] | None:
    return next((c for c in status.get("conditions") or [] if c.get("type") == type_), None)


def _count(rs: dict[str, Any] | None, field: str, *, spec: bool = False) -> int:
    if rs is None:
        return 0
    source = rs.get("spec", {}) if spec else (rs.get("status") or {})
    return int(source.get(field, 0) or 0)


def sync_status(
    controller: Any,
    deployment: dict[str, Any],
    new_rs: dict[str, Any] | None,
    old: list[dict[str, Any]],
) -> float | None:
    """Write the deployment's status; return cluster seconds until the deadline re-check."""
    store, clock = controller.store, controller.clock
    ns, name = deployment["metadata"]["namespace"], deployment["metadata"]["name"]
    fresh = store.get(DEPLOYMENTS, ns, name)
    spec = fresh.get("spec", {})
    replicas = 1 if spec.get("replicas") is None else int(spec["replicas"])
    every = [rs for rs in [new_rs, *old] if rs is not None]
    available = sum(_count(rs, "availableReplicas") for rs in every)
    total_spec = sum(_count(rs, "replicas", spec=True) for rs in every)
    old_status = dict(fresh.get("status") or {})
    status: dict[str, Any] = {
        "observedGeneration": fresh["metadata"].get("generation", 1),
        "replicas": sum(_count(rs, "replicas") for rs in every),
        "updatedReplicas": _count(new_rs, "replicas"),
        "readyReplicas": sum(_count(rs, "readyReplicas") for rs in every),
        "availableReplicas": available,
        "unavailableReplicas": max(0, total_spec - available),
        "conditions": [dict(c) for c in old_status.get("conditions") or []],
    }
    if "collisionCount" in old_status:
        status["collisionCount"] = old_status["collisionCount"]
    now = clock.stamp()
    _, max_unavailable = controller._fenceposts(fresh)
    if available >= replicas - max_unavailable:
        set_condition(
            status,
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            now,
        )
    else:
        set_condition(
            status,
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            now,
        )
    requeue: float | None = None
    deadline = spec.get("progressDeadlineSeconds")
    rs_name = new_rs["metadata"]["name"] if new_rs else ""
    if spec.get("paused"):
        condition = _get_condition(status, "Progressing")
        if condition is None or condition.get("reason") != "DeploymentPaused":
            set_condition(
                status, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", now
            )
    elif deadline is not None and new_rs is not None:
        complete = (
            status["updatedReplicas"] == replicas
            and status["replicas"] == replicas
            and available == replicas
            and status["observedGeneration"] >= fresh["metadata"].get("generation", 1)
        )
        condition = _get_condition(status, "Progressing")
        progressed = _progressed(old_status, status)
        if complete:
            set_condition(
                status,
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                f'ReplicaSet "{rs_name}" has successfully progressed.',
                now,
            )
        elif condition is not None and condition.get("reason") == "DeploymentPaused":
            set_condition(
                status, "Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed", now
            )
            requeue = float(deadline)
        elif progressed or condition is None:
            if condition is None or condition.get("reason") != "NewReplicaSetCreated" or progressed:
                set_condition(
                    status,
                    "Progressing",
                    "True",
                    "ReplicaSetUpdated",
                    f'ReplicaSet "{rs_name}" is progressing.',
                    now,
                )
            requeue = float(deadline)
        else:
            since = condition.get("lastUpdateTime") or now
            if condition.get("reason") == "ProgressDeadlineExceeded":
                pass
            elif clock.elapsed_since(since) > float(deadline):
                set_condition(
                    status,
                    "Progressing",
                    "False",
                    "ProgressDeadlineExceeded",
                    f'ReplicaSet "{rs_name}" has timed out progressing.',
                    now,
                )
                controller.recorder.emit(
                    fresh,
                    "Warning",
                    "ProgressDeadlineExceeded",
                    f'ReplicaSet "{rs_name}" has timed out progressing.',
                )
            else:
                requeue = clock.remaining(float(deadline), since) + 0.5
    if status != old_status:
        fresh["status"] = status
        store.update(DEPLOYMENTS, fresh, subresource="status")
    return requeue


def _progressed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Upstream DeploymentProgressing: more updated, ready or available, or fewer old pods."""
    old_old_pods = int(old.get("replicas", 0) or 0) - int(old.get("updatedReplicas", 0) or 0)
    new_old_pods = int(new.get("replicas", 0) or 0) - int(new.get("updatedReplicas", 0) or 0)
    return (
        int(new.get("updatedReplicas", 0) or 0) > int(old.get("updatedReplicas", 0) or 0)
        or new_old_pods < old_old_pods
        or int(new.get("readyReplicas", 0) or 0) > int(old.get("readyReplicas", 0) or 0)
        or int(new.get("availableReplicas", 0) or 0) > int(old.get("availableReplicas", 0) or 0)
    )
