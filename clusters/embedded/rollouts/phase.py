"""status.phase and status.message of a Rollout (upstream v1.9.1 CalculateRolloutPhase).

The controller writes these from the status it is about to persist; `kubectl argo rollouts`
shows the client-side variant (`displayed_phase`), which first checks that the controller has
observed the latest generation and is not mid-unpause.
"""

from __future__ import annotations

from typing import Any

__all__ = ["HEALTHY", "displayed_phase", "rollout_phase"]

HEALTHY = ("Healthy", "")


def _fully_promoted(status: dict[str, Any]) -> bool:
    return bool(status.get("stableRS")) and status.get("stableRS") == status.get("currentPodHash")


def rollout_phase(spec: dict[str, Any], status: dict[str, Any]) -> tuple[str, str]:
    """(phase, message) in upstream's order; the message is "" when Healthy."""
    for cond in status.get("conditions") or []:
        if cond.get("type") == "InvalidSpec":
            return "Degraded", f"InvalidSpec: {cond.get('message', '')}"
        if cond.get("reason") in ("RolloutAborted", "ProgressDeadlineExceeded"):
            return "Degraded", f"{cond['reason']}: {cond.get('message', '')}"
    if spec.get("paused"):
        return "Paused", "manually paused"
    for pause in status.get("pauseConditions") or []:
        return "Paused", str(pause.get("reason", ""))
    restart_at = spec.get("restartAt")
    if restart_at and restart_at != status.get("restartedAt"):
        return "Progressing", "rollout is restarting"
    replicas = 1 if spec.get("replicas") is None else int(spec["replicas"])
    updated = int(status.get("updatedReplicas") or 0)
    if updated < replicas:
        return "Progressing", "more replicas need to be updated"
    if int(status.get("availableReplicas") or 0) < updated:
        return "Progressing", "updated replicas are still becoming available"
    strategy = spec.get("strategy") or {}
    blue_green, canary = strategy.get("blueGreen"), strategy.get("canary")
    if blue_green is not None:
        active = (status.get("blueGreen") or {}).get("activeSelector") or ""
        if not active or active != status.get("currentPodHash"):
            return "Progressing", "active service cutover pending"
        if not _fully_promoted(status):
            run = (status.get("blueGreen") or {}).get("postPromotionAnalysisRunStatus")
            completed = run is not None and run.get("status") in (
                "Successful", "Failed", "Error", "Inconclusive")  # fmt: skip
            if blue_green.get("postPromotionAnalysis") is not None and not completed:
                return "Progressing", "waiting for analysis to complete"
            return "Progressing", "waiting for post-promotion verification to complete"
    elif canary is not None:
        if canary.get("trafficRouting") is None and int(status.get("replicas") or 0) > updated:
            return "Progressing", "old replicas are pending termination"
        if not _fully_promoted(status):
            return "Progressing", "waiting for all steps to complete"
    return HEALTHY


def displayed_phase(rollout: dict[str, Any]) -> tuple[str, str]:
    """What `kubectl argo rollouts get/status` shows (GetRolloutPhase)."""
    status = rollout.get("status") or {}
    observed = str(status.get("observedGeneration") or "")
    generation = int((rollout.get("metadata") or {}).get("generation") or 0)
    if observed.isdigit() and int(observed) < generation:
        return "Progressing", "waiting for rollout spec update to be observed"
    if status.get("controllerPause") and not status.get("pauseConditions"):
        return "Progressing", "waiting for rollout to unpause"
    if status.get("phase"):
        return str(status["phase"]), str(status.get("message") or "")
    return rollout_phase(rollout.get("spec") or {}, status)
