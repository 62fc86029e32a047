"""Pause conditions, `controllerPause` and the abort flag (upstream's pauseContext): a pass
collects intentions (add/remove a pause, abort, clear) and they are folded into the new status
when it is persisted."""

from __future__ import annotations

from typing import Any

from clusters.embedded.rollouts.context import RolloutPass

__all__ = [
    "BLUE_GREEN_PAUSE",
    "CANARY_PAUSE_STEP",
    "INCONCLUSIVE_ANALYSIS",
    "apply_pause_status",
    "completed_blue_green_pause",
    "completed_canary_pause_step",
    "get_pause_condition",
    "halt_progress",
    "is_aborted",
    "pause_seconds",
]

CANARY_PAUSE_STEP = "CanaryPauseStep"
BLUE_GREEN_PAUSE = "BlueGreenPause"
INCONCLUSIVE_ANALYSIS = "InconclusiveAnalysisRun"

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def pause_seconds(duration: Any) -> float:
    """A pause step's duration: int seconds, a numeric string, or a Go duration ("1m30s")."""
    if isinstance(duration, bool):
        return 0.0
    if isinstance(duration, int | float):
        return float(duration)
    text = str(duration).strip()
    if text.lstrip("-").isdigit():
        return float(text)
    from clusters.embedded.rollouts.analysis_logic import parse_go_duration

    return parse_go_duration(text)


def get_pause_condition(rollout: dict[str, Any], reason: str) -> dict[str, Any] | None:
    for condition in (rollout.get("status") or {}).get("pauseConditions") or []:
        if condition.get("reason") == reason:
            return dict(condition)
    return None


def is_aborted(p: RolloutPass) -> bool:
    if p.remove_abort:
        return False
    return p.add_abort or bool(p.status.get("abort"))


def halt_progress(p: RolloutPass) -> str:
    """Why replica/service changes are frozen this pass ("" when they are not)."""
    if p.spec.get("paused"):
        return "user paused"
    if get_pause_condition(p.rollout, INCONCLUSIVE_ANALYSIS) is not None:
        return "inconclusive analysis"
    return ""


def _abort_status(p: RolloutPass, status: dict[str, Any]) -> bool:
    aborted_at = p.status.get("abortedAt") or p.stamp()
    if p.add_abort or (not p.remove_abort and p.status.get("abort")):
        status["abort"] = True
        status["abortedAt"] = aborted_at
        return True
    status.pop("abort", None)
    status.pop("abortedAt", None)
    return False


def apply_pause_status(p: RolloutPass, status: dict[str, Any]) -> None:
    """Fold the pass's pause/abort intentions into the status about to be persisted."""
    status.pop("pauseConditions", None)
    status.pop("controllerPause", None)
    if _abort_status(p, status) or p.clear_pauses:
        return
    controller_pause = bool(p.status.get("controllerPause"))
    removed = set(p.remove_pause_reasons)
    existing = set()
    conditions = []
    for condition in p.status.get("pauseConditions") or []:
        if condition.get("reason") not in removed:
            conditions.append(condition)
        existing.add(condition.get("reason"))
    for reason in p.add_pause_reasons:
        if reason not in existing:
            existing.add(reason)
            conditions.append({"reason": reason, "startTime": p.stamp()})
            controller_pause = True
    if not conditions:
        return
    status["pauseConditions"] = conditions
    if controller_pause:
        status["controllerPause"] = True


def completed_canary_pause_step(p: RolloutPass, pause: dict[str, Any]) -> bool:
    """The user resumed (controllerPause without the condition) or the duration is over."""
    condition = get_pause_condition(p.rollout, CANARY_PAUSE_STEP)
    if p.status.get("controllerPause") and condition is None:
        return True
    duration = (pause or {}).get("duration")
    if duration is not None and condition is not None:
        return p.clock.elapsed_since(condition["startTime"]) > pause_seconds(duration)
    return False


def completed_blue_green_pause(p: RolloutPass) -> bool:
    condition = get_pause_condition(p.rollout, BLUE_GREEN_PAUSE)
    if p.add_pause_reasons:
        return False
    if (p.status.get("blueGreen") or {}).get("scaleUpPreviewCheckPoint"):
        return True
    settings = p.settings
    if settings.get("autoPromotionEnabled") is None or settings.get("autoPromotionEnabled"):
        seconds = int(settings.get("autoPromotionSeconds") or 0)
        if seconds == 0:
            return True
        if condition is not None:
            return p.clock.elapsed_since(condition["startTime"]) > seconds
        return False
    return bool(p.status.get("controllerPause")) and condition is None


def wait_for_pause(p: RolloutPass, start: str, seconds: float) -> None:
    """Requeue at the end of a timed pause (checkEnqueueRolloutDuringWait)."""
    remaining = p.clock.remaining(seconds, start)
    if remaining > 0:
        p.requeue_after(remaining + 0.01 * p.clock.time_scale)
