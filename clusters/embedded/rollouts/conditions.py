"""Rollout status conditions (Progressing, Available, Healthy, Paused, Completed, InvalidSpec).

Pure versions of upstream v1.9.1 `utils/conditions` and `rollout/sync.go`
(calculateRolloutConditions, checkPausedConditions). Statuses are plain dicts; times are
RFC3339 strings supplied by the caller (`now`). Events that upstream records while computing
conditions are returned as data (see events.py), never emitted here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clusters.embedded.rollouts import events as ev

__all__ = [
    "AVAILABLE_MESSAGE",
    "NOT_AVAILABLE_MESSAGE",
    "ConditionInputs",
    "ConditionResult",
    "calculate_rollout_conditions",
    "get_condition",
    "invalid_spec_condition",
    "new_condition",
    "paused_condition_updates",
    "remove_condition",
    "rollout_completed",
    "rollout_healthy",
    "rollout_progressing",
    "rollout_timed_out",
    "set_condition",
]

AVAILABLE_MESSAGE = "Rollout has minimum availability"
NOT_AVAILABLE_MESSAGE = "Rollout does not have minimum availability"
PAUSED_MESSAGE = "Rollout is paused"
RESUMED_MESSAGE = "Rollout is resumed"
RETRY_MESSAGE = "Retrying Rollout after abort"


def new_condition(ctype: str, status: str, reason: str, message: str, now: str) -> dict[str, Any]:
    """A condition with both timestamps set to now (upstream NewRolloutCondition)."""
    return {
        "type": ctype,
        "status": status,
        "reason": reason,
        "message": message,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
    }


def get_condition(status: dict[str, Any], ctype: str) -> dict[str, Any] | None:
    """The condition of that type, or None."""
    for cond in status.get("conditions") or []:
        if cond.get("type") == ctype:
            return cond
    return None


def remove_condition(status: dict[str, Any], ctype: str) -> None:
    """Drop the condition of that type (in place)."""
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != ctype]


def set_condition(status: dict[str, Any], cond: dict[str, Any]) -> bool:
    """SetRolloutCondition: no-op when status and reason are unchanged; keeps the transition
    time when only the reason changes; the new condition moves to the end of the list."""
    current = get_condition(status, cond["type"])
    if current and current["status"] == cond["status"] and current["reason"] == cond["reason"]:
        return False
    cond = dict(cond)
    if current and current["status"] == cond["status"]:
        cond["lastTransitionTime"] = current.get("lastTransitionTime")
    remove_condition(status, cond["type"])
    status["conditions"].append(cond)
    return True


def invalid_spec_condition(rollout_name: str, field_error: str, now: str) -> dict[str, Any]:
    """The InvalidSpec=True condition for a validation error text."""
    message = f'The Rollout "{rollout_name}" is invalid: {field_error}'
    return new_condition("InvalidSpec", "True", "InvalidSpec", message, now)


def rollout_completed(status: dict[str, Any]) -> bool:
    """stableRS set and equal to currentPodHash."""
    stable = status.get("stableRS") or ""
    return bool(stable) and stable == status.get("currentPodHash")


def _replicas(rollout: dict[str, Any]) -> int:
    value = (rollout.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def _strategy(rollout: dict[str, Any]) -> dict[str, Any]:
    return (rollout.get("spec") or {}).get("strategy") or {}


def rollout_healthy(rollout: dict[str, Any], new_status: dict[str, Any]) -> bool:
    """All replicas updated and available, generation observed, strategy finished."""
    replicas = _replicas(rollout)
    strategy = _strategy(rollout)
    done = True
    blue_green = strategy.get("blueGreen")
    if blue_green is not None:
        selectors = new_status.get("blueGreen") or {}
        current = new_status.get("currentPodHash")
        done = selectors.get("activeSelector") == current and (
            not blue_green.get("previewService") or selectors.get("previewSelector") == current
        )
    canary = strategy.get("canary")
    if canary is not None:
        steps = canary.get("steps") or []
        index = new_status.get("currentStepIndex")
        all_steps = not steps or index is None or index == len(steps)
        done = (
            all_steps and rollout_completed(new_status) and new_status.get("replicas") == replicas
        )
    observed = (rollout.get("status") or {}).get("observedGeneration") == str(
        (rollout.get("metadata") or {}).get("generation", 0)
    )
    return (
        new_status.get("updatedReplicas", 0) == replicas
        and new_status.get("availableReplicas", 0) == replicas
        and observed
        and done
    )


def rollout_progressing(rollout: dict[str, Any], new_status: dict[str, Any]) -> bool:
    """Whether this pass made progress (resets the progress-deadline clock)."""
    old = rollout.get("status") or {}
    strategy = _strategy(rollout)
    specific = False
    if strategy.get("blueGreen") is not None:
        old_bg, new_bg = old.get("blueGreen") or {}, new_status.get("blueGreen") or {}
        specific = any(
            (old_bg.get(k) or "") != (new_bg.get(k) or "")
            for k in ("activeSelector", "previewSelector")
        )
    if strategy.get("canary") is not None:
        index_changed = (
            new_status.get("currentStepIndex") is not None
            and old.get("currentStepIndex") is not None
            and new_status["currentStepIndex"] != old["currentStepIndex"]
        )
        specific = (
            (new_status.get("stableRS") or "") != (old.get("stableRS") or "")
            or index_changed
            or (new_status.get("currentStepHash") or "") != (old.get("currentStepHash") or "")
        )

    def count(s: dict[str, Any], key: str) -> int:
        return int(s.get(key) or 0)

    old_old = count(old, "replicas") - count(old, "updatedReplicas")
    new_old = count(new_status, "replicas") - count(new_status, "updatedReplicas")
    return (
        count(new_status, "updatedReplicas") != count(old, "updatedReplicas")
        or new_old < old_old
        or count(new_status, "readyReplicas") > count(old, "readyReplicas")
        or count(new_status, "availableReplicas") > count(old, "availableReplicas")
        or specific
    )


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def rollout_timed_out(
    rollout: dict[str, Any], new_status: dict[str, Any], now: str, time_scale: float = 1.0
) -> bool:
    """Progressing condition older than progressDeadlineSeconds (never while aborted/paused).

    `time_scale` is the cluster clock's warp: wall time since lastUpdateTime counts that many
    times over, as every controller duration does under time-warp.
    """
    cond = get_condition(new_status, "Progressing")
    if cond is None or cond["reason"] in ("RolloutAborted", "RolloutPaused"):
        return False
    if cond["reason"] == "ProgressDeadlineExceeded":
        return True
    deadline = int((rollout.get("spec") or {}).get("progressDeadlineSeconds", 600))
    elapsed = (_parse(now) - _parse(cond["lastUpdateTime"])).total_seconds() * time_scale
    return elapsed > deadline


def paused_condition_updates(rollout: dict[str, Any], now: str) -> list[dict[str, Any]]:
    """checkPausedConditions: the Progressing/Paused conditions to write at a pass's start."""
    status = rollout.get("status") or {}
    progressing = get_condition(status, "Progressing")
    progressing_paused = progressing is not None and progressing["reason"] == "RolloutPaused"
    paused = bool(status.get("pauseConditions")) or bool((rollout.get("spec") or {}).get("paused"))
    aborted_cond = progressing is not None and progressing["reason"] == "RolloutAborted"
    updates = []
    if paused != progressing_paused and not aborted_cond and not rollout_completed(status):
        reason, message = ("RolloutPaused", PAUSED_MESSAGE) if paused else (
            "RolloutResumed", RESUMED_MESSAGE)  # fmt: skip
        updates.append(new_condition("Progressing", "Unknown", reason, message, now))
    if not status.get("abort") and aborted_cond:
        updates.append(new_condition("Progressing", "Unknown", "RolloutRetry", RETRY_MESSAGE, now))
    paused_cond = get_condition(status, "Paused")
    paused_true = paused_cond is not None and paused_cond["status"] == "True"
    if paused != paused_true and not aborted_cond:
        flag = "True" if paused else "False"
        updates.append(new_condition("Paused", flag, "RolloutPaused", PAUSED_MESSAGE, now))
    return updates


@dataclass
class ConditionInputs:
    """What calculateRolloutConditions reads besides the rollout and the new status."""

    now: str
    new_rs_name: str | None
    revision: int
    aborted: bool = False
    abort_message: str = ""
    available_total: int = 0  # canary: Σ available over all RSs
    active_rs_saturated: bool = False  # blue-green: active RS saturated
    indefinite_step: bool = False  # on a pause/analysis/experiment step, or Paused cond True
    waiting_for_scale_down: bool = False  # an other RS still has scale-down-deadline
    replica_failure: dict[str, Any] | None = None
    time_scale: float = 1.0  # the cluster clock's warp, for the progress deadline


@dataclass
class ConditionResult:
    """Updated status, events upstream would record, and whether to abort on timeout."""

    status: dict[str, Any]
    events: list[ev.Event] = field(default_factory=list)
    abort_with_message: str | None = None


def calculate_rollout_conditions(
    rollout: dict[str, Any], new_status: dict[str, Any], inputs: ConditionInputs
) -> ConditionResult:
    """Healthy, Progressing, Available, ReplicaFailure, Completed of the status being written."""
    status = dict(new_status)
    status["conditions"] = [dict(c) for c in new_status.get("conditions") or []]
    out = ConditionResult(status)
    old = rollout.get("status") or {}
    now = inputs.now
    paused = bool(old.get("pauseConditions")) or bool((rollout.get("spec") or {}).get("paused"))
    became_unhealthy = False
    if not paused and rollout_healthy(rollout, status):
        set_condition(
            status, new_condition("Healthy", "True", "RolloutHealthy", "Rollout is healthy", now)
        )
    elif get_condition(old, "Healthy") is not None:
        cond = new_condition("Healthy", "False", "RolloutHealthy", "Rollout is not healthy", now)
        became_unhealthy = set_condition(status, cond)
    if inputs.aborted:
        message = ev.rollout_aborted(inputs.revision, inputs.abort_message).message
        if set_condition(
            status, new_condition("Progressing", "False", "RolloutAborted", message, now)
        ):
            out.events.append(ev.rollout_aborted(inputs.revision, inputs.abort_message))
    current = get_condition(old, "Progressing")
    rs_name = inputs.new_rs_name
    if not inputs.aborted:
        if rollout_healthy(rollout, status):
            msg = f'ReplicaSet "{rs_name or ""}" has successfully progressed.'
            set_condition(
                status, new_condition("Progressing", "True", "NewReplicaSetAvailable", msg, now)
            )
        elif rollout_progressing(rollout, status) or became_unhealthy:
            name = (rollout.get("metadata") or {}).get("name", "")
            msg = (
                f'ReplicaSet "{rs_name}" is progressing.'
                if rs_name
                else f'Rollout "{name}" is progressing.'
            )
            reason = "ReplicaSetUpdated"
            if status.get("stableRS") == status.get("currentPodHash") and became_unhealthy:
                reason, msg = "ReplicaSetNotAvailable", NOT_AVAILABLE_MESSAGE
            cond = new_condition("Progressing", "True", reason, msg, now)
            if current is not None:
                if current["status"] == "True":
                    cond["lastTransitionTime"] = current.get("lastTransitionTime")
                remove_condition(status, "Progressing")
            set_condition(status, cond)
        elif (
            not inputs.indefinite_step
            and not inputs.waiting_for_scale_down
            and rollout_timed_out(rollout, status, now, inputs.time_scale)
        ):
            name = (rollout.get("metadata") or {}).get("name", "")
            msg = (
                f'ReplicaSet "{rs_name}" has timed out progressing.'
                if rs_name
                else f'Rollout "{name}" has timed out progressing.'
            )
            set_condition(
                status, new_condition("Progressing", "False", "ProgressDeadlineExceeded", msg, now)
            )
            if (rollout.get("spec") or {}).get("progressDeadlineAbort"):
                out.abort_with_message = msg
                out.events.append(ev.Event("RolloutAborted", msg, "Warning"))
    strategy = _strategy(rollout)
    available = (
        inputs.active_rs_saturated
        if strategy.get("blueGreen") is not None
        else strategy.get("canary") is not None and inputs.available_total >= _replicas(rollout)
    )
    if available:
        set_condition(
            status, new_condition("Available", "True", "AvailableReason", AVAILABLE_MESSAGE, now)
        )
    else:
        set_condition(
            status,
            new_condition("Available", "False", "AvailableReason", NOT_AVAILABLE_MESSAGE, now),
        )
    if inputs.replica_failure is not None:
        set_condition(status, dict(inputs.replica_failure))
    else:
        remove_condition(status, "ReplicaFailure")
    flag = "True" if rollout_completed(status) else "False"
    changed = set_condition(
        status, new_condition("Completed", flag, "RolloutCompleted", "RolloutCompleted", now)
    )
    if flag == "False" and changed:
        out.events.append(
            ev.rollout_not_completed(inputs.revision, str(status.get("currentPodHash") or ""))
        )
    return out
