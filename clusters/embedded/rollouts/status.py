"""Building and persisting a Rollout's status (upstream rollout/sync.go): the base status,
conditions, promotion of the stable RS, reset on a new template, the paused-condition patch at
the start of a pass, the InvalidSpec condition, and the diff-only status write."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from clusters.embedded.rollouts import events as ev
from clusters.embedded.rollouts.conditions import (
    ConditionInputs,
    calculate_rollout_conditions,
    get_condition,
    new_condition,
    paused_condition_updates,
    remove_condition,
    rollout_healthy,
    set_condition,
)
from clusters.embedded.rollouts.context import ROLLOUTS, RolloutPass
from clusters.embedded.rollouts.pause import apply_pause_status, is_aborted
from clusters.embedded.rollouts.phase import rollout_phase
from clusters.embedded.rollouts.replicasets import (
    DESIRED_REPLICAS,
    creation_key,
    has_deadline,
    revision_of,
    rs_available,
    rs_hash,
    rs_spec,
)

__all__ = [
    "base_status",
    "check_paused_conditions",
    "conditions_for",
    "invalid_spec",
    "persist",
    "promote_stable",
    "reset_status",
    "rollback_within_window",
    "should_full_promote",
]

_KEEP_FALSY = {"currentStepIndex", "canary", "blueGreen"}


def _count(rs_list: Sequence[dict[str, Any] | None], key: str) -> int:
    return sum(int(((rs or {}).get("status") or {}).get(key) or 0) for rs in rs_list)


def _generation(p: RolloutPass) -> str:
    return str(p.rollout["metadata"].get("generation", 1))


def base_status(p: RolloutPass, valid: bool = True) -> dict[str, Any]:
    """calculateBaseStatus: counts from the RSs, conditions carried over, promoteFull kept
    only while the update is unfinished."""
    from clusters.embedded.controllers.podutil import template_hash

    prev = copy.deepcopy(p.status)
    if valid:
        remove_condition(prev, "InvalidSpec")
    status = p.new_status
    if p.new_rs is None:
        collisions = int(prev.get("collisionCount") or 0) or None
        status["currentPodHash"] = template_hash(p.spec.get("template") or {}, collisions)
    else:
        status["currentPodHash"] = rs_hash(p.new_rs)
    status["replicas"] = _count(p.all_rs, "replicas")
    status["updatedReplicas"] = _count([p.new_rs], "replicas")
    status["readyReplicas"] = _count(p.all_rs, "readyReplicas")
    if prev.get("collisionCount") is not None:
        status["collisionCount"] = prev["collisionCount"]
    status["conditions"] = prev.get("conditions") or []
    status["promoteFull"] = status["currentPodHash"] != status.get("stableRS") and bool(
        prev.get("promoteFull")
    )
    return status


def reset_status(p: RolloutPass, status: dict[str, Any]) -> None:
    """A new template (or new steps): pauses, abort, promoteFull and run statuses cleared."""
    p.clear_pauses = True
    p.remove_abort = True
    if p.spec.get("restartAt"):
        status["restartedAt"] = p.spec["restartAt"]
    status["promoteFull"] = False
    for key in ("prePromotionAnalysisRunStatus", "postPromotionAnalysisRunStatus"):
        status.setdefault("blueGreen", {}).pop(key, None)
    status["blueGreen"].pop("scaleUpPreviewCheckPoint", None)
    for key in ("currentStepAnalysisRunStatus", "currentBackgroundAnalysisRunStatus"):
        status.setdefault("canary", {}).pop(key, None)
    status["currentStepIndex"] = 0 if p.steps else None


def rollback_within_window(p: RolloutPass) -> bool:
    """Going back to an RS inside `rollbackWindow.revisions` of the stable one."""
    if p.new_rs is None or p.stable_rs is None:
        return False
    created, stable_created = creation_key(p.new_rs), creation_key(p.stable_rs)
    if not created < stable_created:
        return False
    revisions = int((p.spec.get("rollbackWindow") or {}).get("revisions") or 0)
    if revisions <= 0:
        return False
    between = sum(1 for rs in p.all_rs if created < creation_key(rs) < stable_created)
    return between < revisions


def should_full_promote(p: RolloutPass, status: dict[str, Any]) -> str:
    """The RolloutCompleted reason when the new RS should become stable now, else ""."""
    if p.stable_rs is None:
        return "Initial deploy"
    if p.strategy == "canary":
        if is_aborted(p):
            return ""
        if p.new_rs is None or rs_available(p.new_rs) < p.replicas:
            return ""
        if p.status.get("promoteFull"):
            return "Full promotion requested"
        if rollback_within_window(p):
            return "Rollback within window"
        index = p.status.get("currentStepIndex")
        if not p.steps or (index is not None and int(index) == len(p.steps)):
            return f"Completed all {len(p.steps)} canary steps"
        return ""
    active = (status.get("blueGreen") or {}).get("activeSelector") or ""
    if not active:
        return "Initial deploy"
    if active != status.get("currentPodHash"):
        return ""
    if p.status.get("promoteFull"):
        return "Full promotion requested"
    if rollback_within_window(p):
        return "Rollback within window"
    if is_aborted(p):
        return ""
    if p.settings.get("postPromotionAnalysis") is not None:
        if p.new_rs_was_delayed and p.new_rs is not None:
            return f"Rollback to '{p.new_rs['metadata']['name']}' within scaleDownDelay"
        run = p.current_ars.get("PostPromotion")
        if run is None or (run.get("status") or {}).get("phase") != "Successful":
            return ""
    return "Completed blue-green update"


def promote_stable(p: RolloutPass, status: dict[str, Any], reason: str) -> None:
    p.clear_pauses = True
    p.remove_abort = True
    status["promoteFull"] = False
    status.setdefault("blueGreen", {}).pop("scaleUpPreviewCheckPoint", None)
    if p.strategy == "canary":
        status["currentStepIndex"] = len(p.steps) if p.steps else None
    if status.get("stableRS") != status.get("currentPodHash"):
        status["stableRS"] = status["currentPodHash"]
        event = ev.rollout_completed(int(p.revision or 0), status["currentPodHash"], reason)
        p.emit(event.type, event.reason, event.message)


def _indefinite_step(p: RolloutPass) -> bool:
    steps, index = p.steps, int(p.status.get("currentStepIndex") or 0)
    if steps and index < len(steps):
        step = steps[index]
        if any(step.get(k) is not None for k in ("experiment", "analysis", "pause")):
            return True
    paused = get_condition(p.status, "Paused")
    return paused is not None and paused.get("status") == "True"


def _replica_failure(p: RolloutPass) -> dict[str, Any] | None:
    for rs in [p.new_rs, *p.all_rs]:
        for cond in ((rs or {}).get("status") or {}).get("conditions") or []:
            if cond.get("type") == "ReplicaFailure":
                now = cond.get("lastTransitionTime") or p.stamp()
                out = new_condition(
                    "ReplicaFailure",
                    cond.get("status", "True"),
                    cond.get("reason", ""),
                    cond.get("message", ""),
                    now,
                )
                return out
    return None


def _saturated(p: RolloutPass, rs: dict[str, Any] | None) -> bool:
    if rs is None:
        return False
    desired = (rs["metadata"].get("annotations") or {}).get(DESIRED_REPLICAS, "")
    return (
        rs_spec(rs) == p.replicas
        and desired == str(p.replicas)
        and (rs_available(rs) == p.replicas)
    )


def conditions_for(p: RolloutPass, status: dict[str, Any]) -> dict[str, Any]:
    """calculateRolloutConditions, with its events emitted and a progress-deadline abort."""
    active_hash = (status.get("blueGreen") or {}).get("activeSelector") or ""
    active = next((rs for rs in p.all_rs if active_hash and rs_hash(rs) == active_hash), None)
    inputs = ConditionInputs(
        now=p.stamp(),
        new_rs_name=p.new_rs["metadata"]["name"] if p.new_rs else None,
        revision=int(p.revision or 0),
        aborted=is_aborted(p),
        abort_message=p.abort_message,
        available_total=_count(p.all_rs, "availableReplicas"),
        active_rs_saturated=_saturated(p, active),
        indefinite_step=_indefinite_step(p),
        waiting_for_scale_down=any(has_deadline(rs) for rs in p.other_rs),
        replica_failure=_replica_failure(p),
        time_scale=p.clock.time_scale,
    )
    result = calculate_rollout_conditions(p.rollout, status, inputs)
    for event in result.events:
        p.emit(event.type, event.reason, event.message)
    if result.abort_with_message is not None and not is_aborted(p):
        p.add_abort = True
        p.abort_message = result.abort_with_message
    return result.status


def _clean(value: Any, key: str = "") -> Any:
    """Drop empty fields the way Go's omitempty leaves them out of the stored status."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            cleaned = _clean(v, k)
            keep = k in _KEEP_FALSY or (k == "status" and key.endswith("RunStatus"))
            if (keep and cleaned is not None) or cleaned not in (None, "", False, 0, [], {}):
                out[k] = cleaned
        return out
    if isinstance(value, list):
        return [_clean(v, key) for v in value]
    return value


def persist(p: RolloutPass, status: dict[str, Any]) -> None:
    """Fold pause/abort, stamp generation and phase, and write the status if it changed."""
    apply_pause_status(p, status)
    status["observedGeneration"] = _generation(p)
    status["phase"], status["message"] = rollout_phase(p.spec, status)
    status.pop("workloadObservedGeneration", None)
    new = _clean(status)
    old = p.status
    _requeue_stuck(p, new)
    if new == _clean(old):
        return
    fresh = copy.deepcopy(p.rollout)
    fresh["status"] = new
    p.rollout = p.store.update(ROLLOUTS, fresh, subresource="status")
    was_paused, paused = bool(old.get("pauseConditions")), bool(new.get("pauseConditions"))
    if was_paused != paused:
        if paused:
            event = ev.rollout_paused(new["pauseConditions"][0].get("reason", ""))
            p.emit(event.type, event.reason, event.message)
        elif not new.get("abortedAt"):
            event = ev.rollout_resumed()
            p.emit(event.type, event.reason, event.message)


def _requeue_stuck(p: RolloutPass, status: dict[str, Any]) -> None:
    """Come back when the progress deadline would pass (requeueStuckRollout)."""
    current = get_condition(p.status, "Progressing")
    if current is None:
        return
    paused = bool(p.status.get("pauseConditions")) or bool(p.spec.get("paused"))
    if (
        rollout_healthy(p.rollout, status)
        or current.get("reason") == "ProgressDeadlineExceeded"
        or paused
        or p.status.get("abort")
        or _indefinite_step(p)
    ):
        return
    deadline = int(p.spec.get("progressDeadlineSeconds", 600))
    remaining = p.clock.remaining(deadline, current.get("lastUpdateTime") or p.stamp())
    p.requeue_after(remaining + 0.05 * p.clock.time_scale)


def _patch_conditions(p: RolloutPass, conditions: list[dict[str, Any]], drop: str = "") -> None:
    status = copy.deepcopy(p.status)
    status.setdefault("conditions", [])
    if drop:
        remove_condition(status, drop)
    for condition in conditions:
        set_condition(status, condition)
    status["observedGeneration"] = _generation(p)
    status["phase"], status["message"] = rollout_phase(p.spec, status)
    new = _clean(status)
    if new == _clean(p.status):
        return
    fresh = copy.deepcopy(p.rollout)
    fresh["status"] = new
    p.rollout = p.store.update(ROLLOUTS, fresh, subresource="status")


def check_paused_conditions(p: RolloutPass) -> bool:
    """Paused / Progressing-Unknown conditions written at a pass's start; True if patched."""
    updates = paused_condition_updates(p.rollout, p.stamp())
    if not updates:
        return False
    before = p.rollout["metadata"].get("resourceVersion")
    _patch_conditions(p, updates)
    return p.rollout["metadata"].get("resourceVersion") != before


def invalid_spec(p: RolloutPass, message: str) -> None:
    """Write the InvalidSpec condition (replaced when the reason text changes)."""
    previous = get_condition(p.status, "InvalidSpec")
    if (
        previous is not None
        and previous.get("message") == message
        and (p.status.get("observedGeneration") == _generation(p))
    ):
        return
    condition = new_condition("InvalidSpec", "True", "InvalidSpec", message, p.stamp())
    if previous is not None and previous.get("message") == message:
        condition = previous
    drop = "InvalidSpec" if previous is not None and previous.get("message") != message else ""
    _patch_conditions(p, [condition], drop)


def max_revision(rs_list: list[dict[str, Any]]) -> int:
    return max((revision_of(rs) for rs in rs_list), default=0)
