"""The blue-green strategy, one pass (upstream rollout/bluegreen.go): preview switch, replica
reconcile with scale-down deadlines, the BlueGreenPause, the active switch, pre/post analysis
and the status sync that promotes the new RS."""

from __future__ import annotations

import math
from typing import Any

from clusters.embedded.rollouts.analysis import reconcile_analysis_runs
from clusters.embedded.rollouts.canary import format_selector, pod_spec_changed
from clusters.embedded.rollouts.context import RolloutPass
from clusters.embedded.rollouts.pause import (
    BLUE_GREEN_PAUSE,
    INCONCLUSIVE_ANALYSIS,
    completed_blue_green_pause,
    get_pause_condition,
    halt_progress,
    wait_for_pause,
)
from clusters.embedded.rollouts.replicas import (
    abort_scale_down_delay,
    bluegreen_new_rs_replicas,
    rs_counts,
)
from clusters.embedded.rollouts.replicasets import (
    DESIRED_REPLICAS,
    add_scale_down_deadline,
    deadline_remaining,
    has_deadline,
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
from clusters.embedded.rollouts.services import (
    get_service,
    selector_hash,
    switch_selector,
)
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
    "new_rs_target",
    "reconcile_new_rs",
    "reconcile_old_replicasets",
    "rollout_bluegreen",
    "saturated",
    "scale_down_delay_seconds",
    "should_delay_scale_down_on_abort",
    "sync_replicas_only_bluegreen",
]

RESYNC_SECONDS = 15 * 60


def saturated(p: RolloutPass, rs: dict[str, Any] | None) -> bool:
    if rs is None:
        return False
    desired = (rs["metadata"].get("annotations") or {}).get(DESIRED_REPLICAS, "")
    return (
        rs_spec(rs) == p.replicas and desired == str(p.replicas) and rs_available(rs) == p.replicas
    )


def _by_hash(p: RolloutPass, pod_hash: str) -> dict[str, Any] | None:
    if not pod_hash:
        return None
    return next((rs for rs in p.all_rs if rs_hash(rs) == pod_hash), None)


def new_rs_target(p: RolloutPass) -> int:
    """NewRSNewReplicas: blue-green size of the new RS (previewReplicaCount aware)."""
    assert p.new_rs is not None
    if p.strategy == "canary":
        from clusters.embedded.rollouts.canary import canary_counts

        return canary_counts(p)[0]
    active = _by_hash(p, (p.status.get("blueGreen") or {}).get("activeSelector") or "")
    return bluegreen_new_rs_replicas(
        p.rollout,
        rs_hash(p.new_rs),
        rs_counts(active) if active is not None else None,
        p.new_rs["metadata"]["name"],
    )


def should_delay_scale_down_on_abort(p: RolloutPass) -> bool:
    from clusters.embedded.rollouts.pause import is_aborted

    if not is_aborted(p) or p.stable_rs is None or p.basic_canary:
        return False
    delay, explicit = abort_scale_down_delay(p.rollout)
    if delay is None:
        return False
    return not (p.settings.get("dynamicStableScale") and not explicit)


def reconcile_new_rs(p: RolloutPass) -> bool:
    """Scale the new RS to its target; after an abort, hold it for abortScaleDownDelaySeconds."""
    if p.new_rs is None:
        return False
    target = new_rs_target(p)
    delayed = should_delay_scale_down_on_abort(p)
    if delayed:
        delay, _ = abort_scale_down_delay(p.rollout)
        remaining = deadline_remaining(p, p.new_rs)
        if remaining is not None:
            if remaining > 0:
                if remaining < RESYNC_SECONDS:
                    p.requeue_after(remaining)
                    return False
            else:
                target = 0
        elif delay is not None:
            stable = p.stable_rs
            if stable is not None and rs_available(stable) == p.replicas:
                add_scale_down_deadline(p, p.new_rs, delay)
                p.requeue_after(delay)
            return False
    return scale_rs(p, p.new_rs, target, keep_deadline=delayed)


def scale_down_delay_seconds(p: RolloutPass) -> float:
    if p.strategy == "blueGreen":
        value = p.settings.get("scaleDownDelaySeconds")
        return 30.0 if value is None else float(value)
    if p.settings.get("trafficRouting") is not None:
        value = p.settings.get("scaleDownDelaySeconds")
        return 30.0 if value is None else float(value)
    return 0.0


def _referenced(p: RolloutPass, rs: dict[str, Any]) -> bool:
    pod_hash = rs_hash(rs)
    if not pod_hash:
        return False
    blue_green = p.status.get("blueGreen") or {}
    refs = {
        p.status.get("stableRS"),
        p.status.get("currentPodHash"),
        blue_green.get("activeSelector"),
        blue_green.get("previewSelector"),
    }
    if pod_hash in refs:
        return True
    if p.strategy == "canary":
        names = [p.settings.get("canaryService"), p.settings.get("stableService")]
    else:
        names = [p.settings.get("activeService"), p.settings.get("previewService")]
    return any(selector_hash(get_service(p, name)) == pod_hash for name in names if name)


def _delay_helper(p: RolloutPass, rs: dict[str, Any], annotated: int) -> tuple[int, int]:
    """(annotated so far, desired size) for an old RS waiting on its scale-down-deadline."""
    raw_limit = p.settings.get("scaleDownDelayRevisionLimit")
    limit = math.inf if raw_limit is None else int(raw_limit)
    desired = 0
    if not has_deadline(rs) and rs_spec(rs) > 0:
        if annotated < limit:
            annotated += 1
            desired = rs_spec(rs)
            delay = scale_down_delay_seconds(p)
            add_scale_down_deadline(p, rs, delay)
            if delay > 0:
                p.requeue_after(delay)
    elif has_deadline(rs):
        annotated += 1
        if annotated <= limit:
            remaining = deadline_remaining(p, rs)
            if remaining is not None and remaining > 0:
                if remaining < RESYNC_SECONDS:
                    p.requeue_after(remaining)
                desired = p.replicas
    return annotated, desired


def _skip_post(p: RolloutPass) -> bool:
    pod_hash = rs_hash(p.new_rs)
    active = (p.status.get("blueGreen") or {}).get("activeSelector") or ""
    if p.status.get("stableRS") == pod_hash or active != pod_hash or not pod_hash:
        return True
    if p.current_ars.get("PostPromotion") is not None:
        return False
    return not saturated(p, p.new_rs)


def reconcile_old_replicasets(p: RolloutPass) -> bool:
    """Blue-green old RSs: annotate a scale-down-deadline, scale to 0 once it passes."""
    active = [rs for rs in p.other_rs if rs_spec(rs) > 0]
    if not active:
        return False
    if get_pause_condition(p.rollout, INCONCLUSIVE_ANALYSIS) is not None:
        return False
    post = p.current_ars.get("PostPromotion")
    if (
        p.settings.get("postPromotionAnalysis") is not None
        and p.settings.get("scaleDownDelaySeconds") is None
        and not _skip_post(p)
        and (post is None or (post.get("status") or {}).get("phase") != "Successful")
    ):
        return False
    scaled = False
    annotated = 0
    names = {rs["metadata"]["name"] for rs in active}
    for rs in sorted(p.other_rs, key=revision_of, reverse=True):
        if rs["metadata"]["name"] not in names or _referenced(p, rs) or rs_spec(rs) == 0:
            continue
        annotated, desired = _delay_helper(p, rs, annotated)
        current = next(r for r in p.other_rs if r["metadata"]["name"] == rs["metadata"]["name"])
        if rs_spec(current) == desired:
            continue
        scale_rs(p, current, desired)
        scaled = True
    return scaled


def _reconcile_replicasets(p: RolloutPass) -> None:
    if p.new_rs is not None and not should_delay_scale_down_on_abort(p):
        remove_scale_down_deadline(p, p.new_rs)
    if p.stable_rs is not None:
        remove_scale_down_deadline(p, p.stable_rs)
        scale_rs(p, p.stable_rs, p.replicas)
    reconcile_new_rs(p)
    reconcile_old_replicasets(p)
    reconcile_revision_history(p, p.other_rs)


def _ready_for_pause(p: RolloutPass) -> bool:
    if p.new_rs is None:
        return False
    target = new_rs_target(p)
    return rs_spec(p.new_rs) == target and rs_available(p.new_rs) == target


def _fast_tracked(p: RolloutPass, active: dict[str, Any]) -> bool:
    if p.new_rs_was_delayed or p.status.get("promoteFull"):
        return True
    selector = (active.get("spec") or {}).get("selector") or {}
    from clusters.embedded.rollouts.replicasets import HASH_LABEL

    return HASH_LABEL not in selector or selector[HASH_LABEL] == rs_hash(p.new_rs)


def _completed_pre_analysis(p: RolloutPass) -> bool:
    if p.settings.get("prePromotionAnalysis") is None:
        return True
    run = p.current_ars.get("PrePromotion")
    return run is not None and (run.get("status") or {}).get("phase") == "Successful"


def _needs_controller_pause(p: RolloutPass) -> bool:
    if p.settings.get("autoPromotionEnabled") is False:
        return True
    return int(p.settings.get("autoPromotionSeconds") or 0) > 0


def _reconcile_pause(p: RolloutPass, active: dict[str, Any]) -> None:
    if p.status.get("abort") or not _ready_for_pause(p) or halt_progress(p):
        return
    checkpoint = (p.status.get("blueGreen") or {}).get("scaleUpPreviewCheckPoint")
    if _fast_tracked(p, active) or checkpoint or not _needs_controller_pause(p):
        p.remove_pause_reasons.append(BLUE_GREEN_PAUSE)
        return
    if not _completed_pre_analysis(p):
        return
    condition = get_pause_condition(p.rollout, BLUE_GREEN_PAUSE)
    if condition is not None:
        if not completed_blue_green_pause(p):
            seconds = int(p.settings.get("autoPromotionSeconds") or 0)
            if seconds > 0:
                wait_for_pause(p, condition["startTime"], seconds)
        else:
            p.remove_pause_reasons.append(BLUE_GREEN_PAUSE)
    elif not p.status.get("controllerPause"):
        p.add_pause_reasons.append(BLUE_GREEN_PAUSE)


def _reconcile_active(p: RolloutPass, active: dict[str, Any]) -> None:
    if halt_progress(p) or not _ready_for_pause(p) or not saturated(p, p.new_rs):
        return
    target = selector_hash(active)
    if _fast_tracked(p, active):
        target = rs_hash(p.new_rs)
    if completed_blue_green_pause(p) and _completed_pre_analysis(p):
        target = rs_hash(p.new_rs)
    if p.status.get("abort"):
        target = p.status.get("stableRS") or ""
    switch_selector(p, active, target)


def _checkpoint(p: RolloutPass) -> bool:
    preview = p.settings.get("previewReplicaCount")
    if preview is None:
        return False
    if (p.status.get("blueGreen") or {}).get("scaleUpPreviewCheckPoint"):
        return True
    if not _completed_pre_analysis(p) or not completed_blue_green_pause(p):
        return False
    return int(preview) == rs_available(p.new_rs)


def _sync_status(p: RolloutPass, preview: dict[str, Any] | None, active: dict[str, Any]) -> None:
    status = base_status(p)
    status["stableRS"] = p.status.get("stableRS") or ""
    if pod_spec_changed(p):
        reset_status(p, status)
    if p.status.get("promoteFull") or rollback_within_window(p):
        p.clear_pauses = True
        p.remove_abort = True
    selectors = status.setdefault("blueGreen", {})
    selectors["previewSelector"] = selector_hash(preview)
    selectors["activeSelector"] = selector_hash(active)
    reason = should_full_promote(p, status)
    if reason:
        promote_stable(p, status, reason)
    else:
        selectors["scaleUpPreviewCheckPoint"] = _checkpoint(p)
    _active_counts(p, status)
    persist(p, conditions_for(p, status))


def _active_counts(p: RolloutPass, status: dict[str, Any]) -> None:
    active_rs = _by_hash(p, (status.get("blueGreen") or {}).get("activeSelector") or "")
    if active_rs is not None:
        rs_status = active_rs.get("status") or {}
        status["HPAReplicas"] = int(rs_status.get("replicas") or 0)
        status["selector"] = format_selector(active_rs["spec"].get("selector"))
        status["availableReplicas"] = int(rs_status.get("availableReplicas") or 0)
        status["readyReplicas"] = int(rs_status.get("readyReplicas") or 0)
    else:
        status["HPAReplicas"] = sum(
            int((r.get("status") or {}).get("replicas") or 0) for r in p.all_rs
        )
        status["selector"] = format_selector(p.spec.get("selector"))
        status["availableReplicas"] = sum(rs_available(r) for r in p.all_rs)


def rollout_bluegreen(p: RolloutPass) -> None:
    """One blue-green pass."""
    preview = get_service(p, p.settings.get("previewService"))
    active = get_service(p, p.settings.get("activeService"))
    if active is None:
        return
    sync_revision(p)
    if preview is not None and not halt_progress(p) and p.new_rs is not None:
        switch_selector(p, preview, rs_hash(p.new_rs))
    if pod_spec_changed(p):
        _sync_status(p, preview, active)
        return
    reconcile_restart(p)
    _reconcile_replicasets(p)
    _reconcile_pause(p, active)
    _reconcile_active(p, active)
    reconcile_analysis_runs(p)
    _sync_status(p, preview, active)


def sync_replicas_only_bluegreen(p: RolloutPass) -> dict[str, Any]:
    """A scaling event: only the RS sizes change; the old status with fresh counts."""
    _reconcile_replicasets(p)
    import copy

    status = copy.deepcopy(p.status)
    active_rs = _by_hash(p, (status.get("blueGreen") or {}).get("activeSelector") or "")
    if active_rs is not None:
        status["HPAReplicas"] = int((active_rs.get("status") or {}).get("replicas") or 0)
        status["availableReplicas"] = rs_available(active_rs)
    else:
        status["HPAReplicas"] = sum(
            int((r.get("status") or {}).get("replicas") or 0) for r in p.all_rs
        )
        status["availableReplicas"] = sum(rs_available(r) for r in p.all_rs)
    return status
