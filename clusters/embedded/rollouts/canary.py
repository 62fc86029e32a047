"""The canary strategy, one pass (upstream rollout/canary.go) for basic canaries (no traffic
router): services, analysis, replica reconcile (stable first, then new, then old RSs), pause
steps, and the status sync that completes steps and promotes the stable RS."""

from __future__ import annotations

import json
from typing import Any

from clusters.embedded.controllers.podutil import fnv32a, safe_encode
from clusters.embedded.rollouts import events as ev
from clusters.embedded.rollouts.analysis import reconcile_analysis_runs
from clusters.embedded.rollouts.context import RolloutPass
from clusters.embedded.rollouts.pause import (
    CANARY_PAUSE_STEP,
    completed_canary_pause_step,
    get_pause_condition,
    halt_progress,
    is_aborted,
    pause_seconds,
    wait_for_pause,
)
from clusters.embedded.rollouts.replicas import (
    at_desired_canary_counts,
    canary_replica_split,
    desired_canary_weight,
    max_surge,
    max_unavailable,
    rs_counts,
)
from clusters.embedded.rollouts.replicasets import (
    creation_key,
    reconcile_revision_history,
    remove_scale_down_deadline,
    revision_of,
    rs_available,
    rs_hash,
    rs_spec,
    scale_rs,
    sync_revision,
)
from clusters.embedded.rollouts.restart import reconcile_restart
from clusters.embedded.rollouts.services import ensure_service_targets
from clusters.embedded.rollouts.status import (
    base_status,
    conditions_for,
    persist,
    promote_stable,
    reset_status,
    rollback_within_window,
    should_full_promote,
)

__all__ = [
    "canary_counts",
    "format_selector",
    "reconcile_canary_replicasets",
    "rollout_canary",
    "step_hash",
    "template_or_steps_changed",
]


def step_hash(rollout: dict[str, Any]) -> str:
    """FNV-32a of the steps' JSON, safe-encoded ("" for blue-green)."""
    strategy = (rollout.get("spec") or {}).get("strategy") or {}
    if strategy.get("blueGreen") is not None or strategy.get("canary") is None:
        return ""
    steps = strategy["canary"].get("steps")
    data = json.dumps(steps if steps else None, separators=(",", ":"), sort_keys=True)
    return safe_encode(str(fnv32a(data.encode())))


def pod_spec_changed(p: RolloutPass) -> bool:
    current = p.status.get("currentPodHash") or ""
    return bool(current) and current != rs_hash(p.new_rs)


def template_or_steps_changed(p: RolloutPass) -> bool:
    stored = p.status.get("currentStepHash") or ""
    return (bool(stored) and stored != step_hash(p.rollout)) or pod_spec_changed(p)


def format_selector(selector: dict[str, Any] | None) -> str:
    """metav1.FormatLabelSelector for the simple cases (matchLabels, In/NotIn/Exists)."""
    parts = [f"{k}={v}" for k, v in sorted(((selector or {}).get("matchLabels") or {}).items())]
    for expr in (selector or {}).get("matchExpressions") or []:
        op, key, values = expr.get("operator"), expr.get("key"), expr.get("values") or []
        if op in ("In", "NotIn"):
            parts.append(f"{key} {op.lower()} ({','.join(sorted(values))})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) or "<none>"


def _stable_distinct(p: RolloutPass) -> bool:
    return p.stable_rs is not None and (
        p.new_rs is None or p.stable_rs["metadata"]["uid"] != p.new_rs["metadata"]["uid"]
    )


def canary_counts(p: RolloutPass) -> tuple[int, int]:
    """(new RS, stable RS) targets for this pass from the basic-canary math."""
    stable = rs_counts(p.stable_rs) if p.stable_rs is not None else None
    return canary_replica_split(
        replicas=p.replicas,
        weight=desired_canary_weight(p.rollout),
        surge=max_surge(p.rollout),
        unavailable=max_unavailable(p.rollout),
        new=rs_counts(p.new_rs) if p.new_rs is not None else None,
        stable=stable,
        others=[rs_counts(rs) for rs in p.other_rs],
    )


def _scale_down_old(p: RolloutPass) -> bool:
    """Old RSs: drop unavailable pods first, then shrink newest-first within maxUnavailable."""
    active = [rs for rs in p.other_rs if rs_spec(rs) > 0]
    if sum(rs_spec(rs) for rs in active) == 0:
        return False
    scaled = 0
    for rs in sorted(active, key=creation_key):
        if rs_spec(rs) != rs_available(rs):
            scaled += rs_spec(rs) - rs_available(rs)
            scale_rs(p, rs, rs_available(rs))
    budget = sum(rs_available(rs) for rs in p.all_rs) - (p.replicas - max_unavailable(p.rollout))
    if budget <= 0:
        return scaled > 0
    names = {rs["metadata"]["name"] for rs in active}
    current = [rs for rs in p.other_rs if rs["metadata"]["name"] in names]
    for rs in sorted(current, key=revision_of, reverse=True):
        if budget <= 0:
            break
        spec = rs_spec(rs)
        if spec == 0:
            continue
        target = spec - budget if spec > budget else 0
        scale_rs(p, rs, target)
        budget -= spec - target
        scaled += spec - target
    return scaled > 0


def reconcile_canary_replicasets(p: RolloutPass) -> bool:
    """Stable, then new, then old RSs; True as soon as one of them was scaled."""
    if halt_progress(p):
        return False
    remove_scale_down_deadline(p, p.new_rs)
    if _stable_distinct(p):
        remove_scale_down_deadline(p, p.stable_rs)
    new_target, stable_target = canary_counts(p)
    if _stable_distinct(p) and p.stable_rs is not None and scale_rs(p, p.stable_rs, stable_target):
        return True
    if p.new_rs is not None and scale_rs(p, p.new_rs, new_target):
        return True
    return _scale_down_old(p)


def _current_step(p: RolloutPass) -> tuple[dict[str, Any] | None, int | None]:
    steps = p.steps
    if not steps:
        return None, None
    index = int(p.status.get("currentStepIndex") or 0)
    return (steps[index] if index < len(steps) else None), index


def reconcile_canary_pause(p: RolloutPass) -> None:
    """Add the CanaryPauseStep condition when a pause step is reached; time its end."""
    if p.spec.get("paused") or p.status.get("promoteFull"):
        return
    step, _ = _current_step(p)
    if step is None or step.get("pause") is None:
        return
    condition = get_pause_condition(p.rollout, CANARY_PAUSE_STEP)
    if condition is None:
        if not p.status.get("controllerPause"):
            p.add_pause_reasons.append(CANARY_PAUSE_STEP)
        return
    duration = (step.get("pause") or {}).get("duration")
    if duration is not None:
        wait_for_pause(p, condition["startTime"], pause_seconds(duration))


def _completed_current_step(p: RolloutPass) -> bool:
    if p.spec.get("paused"):
        return False
    step, _ = _current_step(p)
    if step is None:
        return False
    if step.get("pause") is not None:
        return completed_canary_pause_step(p, step.get("pause") or {})
    if step.get("setWeight") is not None or step.get("setCanaryScale") is not None:
        stable = rs_counts(p.stable_rs) if p.stable_rs is not None else None
        return at_desired_canary_counts(
            replicas=p.replicas,
            weight=desired_canary_weight(p.rollout),
            surge=max_surge(p.rollout),
            unavailable=max_unavailable(p.rollout),
            new=rs_counts(p.new_rs) if p.new_rs is not None else None,
            stable=stable,
            others=[rs_counts(rs) for rs in p.other_rs],
        )
    if step.get("analysis") is not None:
        run = p.current_ars.get("Step")
        return run is not None and (run.get("status") or {}).get("phase") == "Successful"
    return any(step.get(k) is not None for k in ("setHeaderRoute", "setMirrorRoute"))


def sync_status_canary(p: RolloutPass) -> None:
    """syncRolloutStatusCanary: counts, step progress, promotion, abort index; then persist."""
    status = base_status(p)
    status["availableReplicas"] = sum(rs_available(rs) for rs in p.all_rs)
    status["HPAReplicas"] = sum(
        int((rs.get("status") or {}).get("replicas") or 0) for rs in p.all_rs
    )
    status["selector"] = format_selector(p.spec.get("selector"))
    status["stableRS"] = p.status.get("stableRS") or ""
    status["currentStepHash"] = step_hash(p.rollout)
    steps = p.steps
    step, index = _current_step(p)
    if template_or_steps_changed(p):
        reset_status(p, status)
        if p.new_rs is not None and steps:
            if p.status.get("stableRS") == rs_hash(p.new_rs):
                event = ev.skip_steps(False)
                p.emit(event.type, event.reason, event.message)
                status["currentStepIndex"] = len(steps)
            elif rollback_within_window(p) and rs_spec(p.new_rs) > 0:
                event = ev.skip_steps(True)
                p.emit(event.type, event.reason, event.message)
                status["currentStepIndex"] = len(steps)
        persist(p, conditions_for(p, status))
        return
    if p.status.get("promoteFull") or rollback_within_window(p):
        p.clear_pauses = True
        p.remove_abort = True
        if steps:
            index = len(steps)
    reason = should_full_promote(p, status)
    if reason:
        promote_stable(p, status, reason)
        persist(p, conditions_for(p, status))
        return
    if is_aborted(p):
        if steps:
            same = status["stableRS"] == status.get("currentPodHash")
            status["currentStepIndex"] = len(steps) if same else 0
        persist(p, conditions_for(p, status))
        return
    if _completed_current_step(p):
        assert step is not None and index is not None
        index += 1
        status["canary"].pop("currentStepAnalysisRunStatus", None)
        event = ev.rollout_step_completed(index, len(steps), step)
        p.emit(event.type, event.reason, event.message)
        p.remove_pause_reasons.append(CANARY_PAUSE_STEP)
    status["currentStepIndex"] = index
    persist(p, conditions_for(p, status))


def rollout_canary(p: RolloutPass) -> None:
    """One canary pass (traffic routing, experiments and step plugins are not supported)."""
    if template_or_steps_changed(p):
        sync_revision(p)
        sync_status_canary(p)
        return
    sync_revision(p)
    if reconcile_restart(p) > 0:
        return
    reconcile_revision_history(p, p.other_rs)
    settings = p.settings
    ensure_service_targets(p, settings.get("stableService"), p.stable_rs)
    if is_aborted(p) and p.basic_canary:
        ensure_service_targets(p, settings.get("canaryService"), p.stable_rs)
    else:
        ensure_service_targets(p, settings.get("canaryService"), p.new_rs)
    reconcile_analysis_runs(p)
    if p.add_pause_reasons:
        sync_status_canary(p)
        return
    if reconcile_canary_replicasets(p):
        sync_status_canary(p)
        return
    reconcile_canary_pause(p)
    sync_status_canary(p)
