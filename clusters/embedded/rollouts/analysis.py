"""The AnalysisRuns of a Rollout (upstream rollout/analysis.go): which runs are current,
creating step/background/pre/post runs when due, terminating runs that are no longer current,
history limits, and turning run phases into pause (Inconclusive) or abort (Failed/Error)."""

from __future__ import annotations

from typing import Any

from clusters.embedded.controllers.podutil import controller_of
from clusters.embedded.rollouts import events as ev
from clusters.embedded.rollouts.analysis_create import (
    COMPLETED,
    build_run,
    create_with_collision_counter,
    run_labels,
)
from clusters.embedded.rollouts.context import ANALYSISRUNS, RolloutPass
from clusters.embedded.rollouts.pause import (
    BLUE_GREEN_PAUSE,
    CANARY_PAUSE_STEP,
    INCONCLUSIVE_ANALYSIS,
    get_pause_condition,
    is_aborted,
)
from clusters.embedded.rollouts.replicasets import HASH_LABEL, rs_hash
from clusters.embedded.status import ApiError

__all__ = [
    "KINDS",
    "cancel_runs",
    "load_analysis_runs",
    "reconcile_analysis_runs",
    "set_current_runs",
]

# kind -> (status section, status field)
KINDS = {
    "Background": ("canary", "currentBackgroundAnalysisRunStatus"),
    "Step": ("canary", "currentStepAnalysisRunStatus"),
    "PrePromotion": ("blueGreen", "prePromotionAnalysisRunStatus"),
    "PostPromotion": ("blueGreen", "postPromotionAnalysisRunStatus"),
}


def _phase(run: dict[str, Any] | None) -> str:
    return str(((run or {}).get("status") or {}).get("phase") or "")


def _status_entry(status: dict[str, Any], kind: str) -> dict[str, Any] | None:
    section, key = KINDS[kind]
    entry = (status.get(section) or {}).get(key)
    return entry if isinstance(entry, dict) else None


def load_analysis_runs(p: RolloutPass) -> None:
    """Split the rollout's runs into the current ones (named in its status) and the others."""
    uid = p.rollout["metadata"]["uid"]
    names = {kind: (_status_entry(p.status, kind) or {}).get("name") for kind in KINDS}
    p.current_ars = {kind: None for kind in KINDS}
    p.other_ars = []
    for run in p.store.list(ANALYSISRUNS, p.namespace).items:
        if (controller_of(run) or {}).get("uid") != uid:
            continue
        kind = next(
            (k for k, name in names.items() if name and name == run["metadata"]["name"]), None
        )
        if kind is None:
            p.other_ars.append(run)
        else:
            p.current_ars[kind] = run


def set_current_runs(p: RolloutPass, runs: dict[str, dict[str, Any] | None]) -> None:
    """Mirror current runs into the new status as {name, status, message}."""
    for kind, run in runs.items():
        if run is None:
            continue
        section, key = KINDS[kind]
        entry = {"name": run["metadata"]["name"], "status": _phase(run)}
        message = (run.get("status") or {}).get("message")
        if message:
            entry["message"] = message
        p.new_status.setdefault(section, {})[key] = entry


def cancel_runs(p: RolloutPass, runs: list[dict[str, Any] | None]) -> None:
    """Ask the analysis controller to stop runs that are not finished (spec.terminate)."""
    for run in runs:
        if run is None or (run.get("spec") or {}).get("terminate") or _phase(run) in COMPLETED:
            continue
        try:
            fresh = p.store.get(ANALYSISRUNS, p.namespace, run["metadata"]["name"])
            fresh.setdefault("spec", {})["terminate"] = True
            p.store.update(ANALYSISRUNS, fresh)
        except ApiError as error:
            if error.code != 404:
                raise


def _needs_new_run(p: RolloutPass, current: dict[str, Any] | None) -> bool:
    if current is None:
        return True
    if (
        p.status.get("controllerPause")
        and get_pause_condition(p.rollout, CANARY_PAUSE_STEP) is None
        and get_pause_condition(p.rollout, BLUE_GREEN_PAUSE) is None
    ):
        return _phase(current) == "Inconclusive"
    return p.status.get("abortedAt") is not None


def _create(p: RolloutPass, analysis: dict[str, Any], infix: str, labels: dict[str, str]) -> Any:
    run = build_run(p, analysis, infix, labels)
    return create_with_collision_counter(p, run)


def _react(p: RolloutPass, run: dict[str, Any] | None, abort_text: str) -> None:
    phase = _phase(run)
    if phase == "Inconclusive":
        p.add_pause_reasons.append(INCONCLUSIVE_ANALYSIS)
    elif phase in ("Error", "Failed"):
        assert run is not None
        message = abort_text
        if (run.get("status") or {}).get("message"):
            message += ": " + run["status"]["message"]
        p.add_abort = True
        p.abort_message = message


def _step_run(p: RolloutPass) -> dict[str, Any] | None:
    current = p.current_ars.get("Step")
    if p.status.get("pauseConditions") or p.status.get("abort"):
        return current
    steps = p.steps
    index = int(p.status.get("currentStepIndex") or 0)
    step = steps[index] if steps and index < len(steps) else None
    analysis = (step or {}).get("analysis")
    from_previous = (
        analysis is not None
        and current is not None
        and (current["metadata"].get("labels") or {}).get("step-index") != str(index)
    )
    if analysis is None or not analysis.get("templates") or from_previous:
        cancel_runs(p, [current])
        return None
    if _needs_new_run(p, current):
        return _create(p, analysis, str(index), run_labels(p, "Step", index))
    _react(p, current, "Step-based analysis phase error/failed")
    return current


def _before_starting_step(p: RolloutPass) -> bool:
    starting = (p.settings.get("analysis") or {}).get("startingStep")
    if starting is None or not p.steps:
        return False
    return int(p.status.get("currentStepIndex") or 0) < int(starting)


def _background_run(p: RolloutPass) -> dict[str, Any] | None:
    current = p.current_ars.get("Background")
    analysis = p.settings.get("analysis")
    if analysis is None or not analysis.get("templates"):
        cancel_runs(p, [current])
        return None
    stable, pod_hash = p.status.get("stableRS") or "", p.status.get("currentPodHash") or ""
    if stable == pod_hash or not stable or not pod_hash or _before_starting_step(p):
        return None
    if get_pause_condition(p.rollout, INCONCLUSIVE_ANALYSIS) is not None:
        return current
    if _needs_new_run(p, current):
        return _create(p, analysis, "", run_labels(p, "Background"))
    _react(p, current, "Background analysis phase error/failed")
    return current


def _saturated(p: RolloutPass, rs: dict[str, Any] | None) -> bool:
    from clusters.embedded.rollouts.replicasets import DESIRED_REPLICAS, rs_available, rs_spec

    if rs is None:
        return False
    desired = (rs["metadata"].get("annotations") or {}).get(DESIRED_REPLICAS, "")
    return (
        rs_spec(rs) == p.replicas and desired == str(p.replicas) and rs_available(rs) == p.replicas
    )


def _bluegreen_run(p: RolloutPass, kind: str) -> dict[str, Any] | None:
    from clusters.embedded.rollouts.replicasets import rs_available, rs_spec

    current = p.current_ars.get(kind)
    key = "prePromotionAnalysis" if kind == "PrePromotion" else "postPromotionAnalysis"
    analysis = p.settings.get(key)
    if analysis is None or not analysis.get("templates"):
        cancel_runs(p, [current])
        return None
    pod_hash = rs_hash(p.new_rs)
    active = (p.status.get("blueGreen") or {}).get("activeSelector") or ""
    if kind == "PrePromotion":
        skip = p.status.get("stableRS") == pod_hash or not active or active == pod_hash
        if not skip and current is None:
            preview = p.settings.get("previewReplicaCount")
            if preview is not None:
                skip = rs_spec(p.new_rs) != int(preview) or rs_available(p.new_rs) != int(preview)
            else:
                skip = not _saturated(p, p.new_rs)
    else:
        skip = p.status.get("stableRS") == pod_hash or active != pod_hash
        if not skip and current is None:
            skip = not _saturated(p, p.new_rs)
    if skip or not pod_hash:
        cancel_runs(p, [current])
        return current
    if get_pause_condition(p.rollout, INCONCLUSIVE_ANALYSIS) is not None:
        return current
    if _needs_new_run(p, current):
        infix = "pre" if kind == "PrePromotion" else "post"
        return _create(p, analysis, infix, run_labels(p, kind))
    return current


def _emit_changes(p: RolloutPass, runs: dict[str, dict[str, Any] | None]) -> None:
    for kind in ("PostPromotion", "PrePromotion", "Step", "Background"):
        run = runs.get(kind)
        phase = _phase(run)
        if run is None or not phase:
            continue
        previous = _status_entry(p.status, kind)
        if previous is None or (
            previous.get("name") == run["metadata"]["name"] and previous.get("status") != phase
        ):
            prev = None if previous is None else str(previous.get("status") or "")
            event = ev.analysis_run_status(kind, run["metadata"]["name"], phase, prev)
            if event is not None:
                p.emit(event.type, event.reason, event.message)


def _to_delete(p: RolloutPass, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    limits = p.spec.get("analysis") or {}
    keep_ok = int(limits.get("successfulRunHistoryLimit", 5))
    keep_bad = int(limits.get("unsuccessfulRunHistoryLimit", 5))
    hashes = {rs_hash(rs): bool(rs["metadata"].get("deletionTimestamp")) for rs in p.all_rs}
    doomed = []
    ok = bad = 0
    ordered = sorted(runs, key=lambda r: r["metadata"].get("creationTimestamp", ""), reverse=True)
    for run in ordered:
        pod_hash = (run["metadata"].get("labels") or {}).get(HASH_LABEL)
        if pod_hash is None or pod_hash not in hashes or hashes[pod_hash]:
            doomed.append(run)
        elif _phase(run) == "Successful":
            ok += 1
            if ok > keep_ok:
                doomed.append(run)
        elif _phase(run) in ("Failed", "Error", "Inconclusive"):
            bad += 1
            if bad > keep_bad:
                doomed.append(run)
    return doomed


def reconcile_analysis_runs(p: RolloutPass) -> None:
    """Create, keep, terminate and prune runs; record pause/abort wishes from their phases."""
    rollback_to_delayed = p.new_rs_was_delayed
    initial = not p.status.get("stableRS")
    from clusters.embedded.rollouts.status import rollback_within_window

    if (
        is_aborted(p)
        or p.status.get("promoteFull")
        or rollback_to_delayed
        or initial
        or (rollback_within_window(p))
    ):
        set_current_runs(p, p.current_ars)
        cancel_runs(p, [*p.current_ars.values(), *p.other_ars])
        return
    runs: dict[str, dict[str, Any] | None] = {}
    if p.strategy == "canary":
        runs["Step"] = _step_run(p)
        runs["Background"] = _background_run(p)
    else:
        runs["PrePromotion"] = _bluegreen_run(p, "PrePromotion")
        _react(p, runs["PrePromotion"], "Blue/green pre-promotion analysis phase error/failed")
        runs["PostPromotion"] = _bluegreen_run(p, "PostPromotion")
        _react(p, runs["PostPromotion"], "Blue/green post-promotion analysis phase error/failed")
    set_current_runs(p, runs)
    current_names = {run["metadata"]["name"] for run in runs.values() if run is not None}
    others = [run for run in p.other_ars if run["metadata"]["name"] not in current_names]
    cancel_runs(p, list(others))
    for run in _to_delete(p, others):
        if run["metadata"].get("deletionTimestamp"):
            continue
        try:
            p.store.delete(ANALYSISRUNS, p.namespace, run["metadata"]["name"])
        except ApiError as error:
            if error.code != 404:
                raise
    _emit_changes(p, runs)
    p.current_ars = runs
