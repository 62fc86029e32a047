"""Events the Rollout controller records on a Rollout, as data (reason, message, type).

Reason strings and message formats follow upstream v1.9.1 `utils/conditions` and the
controller's recorder calls; the controller loop decides when to emit them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "ANALYSIS_RUN_TYPES",
    "Event",
    "analysis_run_status",
    "canary_step_string",
    "experiment_created",
    "new_replica_set_created",
    "replica_set_create_error",
    "rollout_aborted",
    "rollout_added_to_informer",
    "rollout_completed",
    "rollout_deleted",
    "rollout_not_completed",
    "rollout_paused",
    "rollout_resumed",
    "rollout_step_completed",
    "rollout_updated",
    "scaling_replica_set",
    "skip_steps",
    "switch_service",
    "traffic_weight_updated",
]

# Rollout-side labels of AnalysisRun kinds, as used in the AnalysisRun status events.
ANALYSIS_RUN_TYPES = {
    "Step": "Step",
    "Background": "Background",
    "PrePromotion": "PrePromotion",
    "PostPromotion": "PostPromotion",
}


@dataclass(frozen=True)
class Event:
    """One Kubernetes Event on the Rollout: type is Normal or Warning."""

    reason: str
    message: str
    type: str = "Normal"


def rollout_added_to_informer(namespace: str, name: str) -> Event:
    """Each time the controller's cache sees the object."""
    return Event(
        "RolloutAddedToInformer", f"Rollout resource added to informer: {namespace}/{name}"
    )


def rollout_updated(revision: int | str) -> Event:
    """The rollout's revision annotation changed."""
    return Event("RolloutUpdated", f"Rollout updated to revision {revision}")


def new_replica_set_created(rs_name: str, revision: int) -> Event:
    """A new ReplicaSet was created for the current template."""
    return Event("NewReplicaSetCreated", f"Created ReplicaSet {rs_name} (revision {revision})")


def replica_set_create_error(rs_name: str, error: str) -> Event:
    """Creating the new ReplicaSet failed."""
    return Event(
        "ReplicaSetCreateError", f'Failed to create new replica set "{rs_name}": {error}', "Warning"
    )


def scaling_replica_set(rs_name: str, revision: int, old: int, new: int) -> Event:
    """A ReplicaSet's spec.replicas changed (`up`/`down` from the direction)."""
    direction = "up" if new > old else "down"
    return Event(
        "ScalingReplicaSet",
        f"Scaled {direction} ReplicaSet {rs_name} (revision {revision}) from {old} to {new}",
    )


def rollout_not_completed(revision: int, current_pod_hash: str) -> Event:
    """The Completed condition turned False."""
    return Event(
        "RolloutNotCompleted",
        f"Rollout not completed, started update to revision {revision} ({current_pod_hash})",
    )


def rollout_completed(revision: int, pod_hash: str, reason: str) -> Event:
    """Promotion: reasons `Initial deploy`, `Completed all N canary steps`, `Completed blue-green
    update`, `Full promotion requested`, `Fast rollback`, `Rollback within window`."""
    return Event(
        "RolloutCompleted",
        f"Rollout completed update to revision {revision} ({pod_hash}): {reason}",
    )


def canary_step_string(step: dict[str, Any]) -> str:
    """How upstream prints a canary step in RolloutStepCompleted (CanaryStepString)."""
    if step.get("setWeight") is not None:
        return f"setWeight: {step['setWeight']}"
    if step.get("pause") is not None:
        duration = (step["pause"] or {}).get("duration")
        return "pause" if duration is None else f"pause: {duration}"
    if step.get("experiment") is not None:
        return "experiment"
    if step.get("analysis") is not None:
        return "analysis"
    scale = step.get("setCanaryScale")
    if scale is not None:
        if scale.get("weight") is not None:
            return f"setCanaryScale{{weight: {scale['weight']}}}"
        if scale.get("matchTrafficWeight"):
            return "setCanaryScale{matchTrafficWeight: true}"
        if scale.get("replicas") is not None:
            return f"setCanaryScale{{replicas: {scale['replicas']}}}"
    for key in ("plugin", "setHeaderRoute", "setMirrorRoute"):
        if step.get(key) is not None:
            return f"{key}: {step[key].get('name', '')}"
    return "invalid"


def rollout_step_completed(new_index: int, total: int, step: dict[str, Any]) -> Event:
    """Step number `new_index` (1-based) of `total` finished."""
    return Event(
        "RolloutStepCompleted",
        f"Rollout step {new_index}/{total} completed ({canary_step_string(step)})",
    )


def rollout_paused(first_reason: str) -> Event:
    """pauseConditions went from empty to non-empty."""
    return Event("RolloutPaused", f"Rollout is paused ({first_reason})")


def rollout_resumed() -> Event:
    """pauseConditions went from non-empty to empty (not because of an abort)."""
    return Event("RolloutResumed", "Rollout is resumed")


def rollout_aborted(revision: int, reason: str = "") -> Event:
    """User or controller abort; controller aborts append `: <reason>`."""
    message = f"Rollout aborted update to revision {revision}"
    if reason:
        message = f"{message}: {reason}"
    return Event("RolloutAborted", message, "Warning")


def switch_service(service: str, old_hash: str, new_hash: str) -> Event:
    """A Service selector moved to another pod-template hash."""
    return Event(
        "SwitchService",
        f"Switched selector for service '{service}' from '{old_hash}' to '{new_hash}'",
    )


def skip_steps(within_window: bool = False) -> Event:
    """Going back to the stable RS (or an RS inside the rollback window) skips the steps."""
    message = (
        "Rollback to active ReplicaSets within RollbackWindow"
        if within_window
        else "Rollback to stable ReplicaSets"
    )
    return Event("SkipSteps", message)


def analysis_run_status(kind: str, run_name: str, new: str, previous: str | None) -> Event | None:
    """`AnalysisRun<Phase>` on a phase change of a current run; None while the phase is empty.

    kind is Step, Background, PrePromotion or PostPromotion; Failed/Error are Warnings.
    """
    if not new:
        return None
    prev = "NoPreviousStatus" if previous is None else previous
    event_type = "Warning" if new in ("Failed", "Error") else "Normal"
    message = (
        f"{ANALYSIS_RUN_TYPES[kind]} Analysis Run '{run_name}' "
        f"Status New: '{new}' Previous: '{prev}'"
    )
    return Event(f"AnalysisRun{new}", message, event_type)


def experiment_created(name: str) -> Event:
    """An Experiment step created its Experiment."""
    return Event("ExperimentCreated", f"Created Experiment '{name}'")


def traffic_weight_updated(new: int, old: int | None = None) -> Event:
    """Traffic-routed canaries only."""
    text = f"to {new}" if old is None else f"from {old} to {new}"
    return Event("TrafficWeightUpdated", f"Traffic weight updated {text}")


def rollout_deleted(name: str, namespace: str) -> Event:
    """The Rollout was deleted."""
    return Event("RolloutDeleted", f"Rollout {name}/{namespace} is deleted.")
