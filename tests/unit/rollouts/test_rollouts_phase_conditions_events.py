"""Rollout phase/message, conditions and event texts match upstream v1.9.1 exactly."""
# ruff: noqa: E501  (expected upstream texts are kept whole, one case per line)

from __future__ import annotations

from typing import Any

import pytest

from clusters.embedded.rollouts import events as ev
from clusters.embedded.rollouts.conditions import (
    ConditionInputs,
    calculate_rollout_conditions,
    get_condition,
    invalid_spec_condition,
    new_condition,
    paused_condition_updates,
    rollout_timed_out,
    set_condition,
)
from clusters.embedded.rollouts.phase import displayed_phase, rollout_phase

T0 = "2026-01-01T00:00:00Z"
T1 = "2026-01-01T00:00:05Z"
LATE = "2026-01-01T00:20:00Z"
CANARY = {"replicas": 3, "strategy": {"canary": {"steps": [{"setWeight": 50}, {"pause": {}}]}}}
BG = {"replicas": 3, "strategy": {"blueGreen": {"activeService": "a", "previewService": "p"}}}
DONE = {
    "replicas": 3,
    "updatedReplicas": 3,
    "availableReplicas": 3,
    "stableRS": "h2",
    "currentPodHash": "h2",
}


def _cond(ctype: str, status: str, reason: str, message: str = "m") -> dict[str, Any]:
    return new_condition(ctype, status, reason, message, T0)


PHASES = [
    (CANARY, DONE, ("Healthy", "")),
    (CANARY, {**DONE, "conditions": [invalid_spec_condition("demo", "spec.x: Required value", T0)]},
     ("Degraded", 'InvalidSpec: The Rollout "demo" is invalid: spec.x: Required value')),
    (CANARY, {**DONE, "conditions": [_cond("Progressing", "False", "RolloutAborted", "Rollout aborted update to revision 2")]},
     ("Degraded", "RolloutAborted: Rollout aborted update to revision 2")),
    (CANARY, {**DONE, "conditions": [_cond("Progressing", "False", "ProgressDeadlineExceeded", 'ReplicaSet "demo-h2" has timed out progressing.')]},
     ("Degraded", 'ProgressDeadlineExceeded: ReplicaSet "demo-h2" has timed out progressing.')),
    ({**CANARY, "paused": True}, DONE, ("Paused", "manually paused")),
    (CANARY, {**DONE, "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": T0}]}, ("Paused", "CanaryPauseStep")),
    (BG, {**DONE, "pauseConditions": [{"reason": "BlueGreenPause", "startTime": T0}]}, ("Paused", "BlueGreenPause")),
    ({**CANARY, "restartAt": T1}, DONE, ("Progressing", "rollout is restarting")),
    ({**CANARY, "restartAt": T1}, {**DONE, "restartedAt": T1}, ("Healthy", "")),
    (CANARY, {**DONE, "updatedReplicas": 1}, ("Progressing", "more replicas need to be updated")),
    (CANARY, {**DONE, "availableReplicas": 2}, ("Progressing", "updated replicas are still becoming available")),
    (CANARY, {**DONE, "replicas": 4}, ("Progressing", "old replicas are pending termination")),
    (CANARY, {**DONE, "stableRS": "h1"}, ("Progressing", "waiting for all steps to complete")),
    (BG, {**DONE, "blueGreen": {"activeSelector": "h1"}}, ("Progressing", "active service cutover pending")),
    (BG, {**DONE, "blueGreen": {"activeSelector": "h2"}, "stableRS": "h1"},
     ("Progressing", "waiting for post-promotion verification to complete")),
    ({"replicas": 3, "strategy": {"blueGreen": {"activeService": "a", "postPromotionAnalysis": {}}}},
     {**DONE, "blueGreen": {"activeSelector": "h2"}, "stableRS": "h1"},
     ("Progressing", "waiting for analysis to complete")),
    (BG, {**DONE, "replicas": 6, "blueGreen": {"activeSelector": "h2"}}, ("Healthy", "")),  # old RS may wait
]  # fmt: skip


@pytest.mark.parametrize(("spec", "status", "expected"), PHASES)
def test_phase_and_message(spec: dict, status: dict, expected: tuple[str, str]) -> None:
    assert rollout_phase(spec, status) == expected


def test_invalid_spec_wins_over_pause() -> None:
    status = {**DONE, "pauseConditions": [{"reason": "CanaryPauseStep"}],
              "conditions": [invalid_spec_condition("demo", "boom", T0)]}  # fmt: skip
    assert rollout_phase({**CANARY, "paused": True}, status)[0] == "Degraded"


def test_displayed_phase_client_overrides() -> None:
    rollout = {"metadata": {"generation": 3}, "spec": CANARY,
               "status": {**DONE, "observedGeneration": "2", "phase": "Healthy"}}  # fmt: skip
    assert displayed_phase(rollout) == (
        "Progressing",
        "waiting for rollout spec update to be observed",
    )
    rollout["status"].update(observedGeneration="3", controllerPause=True)
    assert displayed_phase(rollout) == ("Progressing", "waiting for rollout to unpause")
    rollout["status"]["pauseConditions"] = [{"reason": "CanaryPauseStep"}]
    rollout["status"].update(phase="Paused", message="CanaryPauseStep")
    assert displayed_phase(rollout) == ("Paused", "CanaryPauseStep")


def test_set_condition_keeps_transition_time_on_same_status() -> None:
    status: dict[str, Any] = {"conditions": []}
    assert set_condition(status, _cond("Progressing", "True", "NewReplicaSetCreated"))
    later = new_condition("Progressing", "True", "ReplicaSetUpdated", "x", T1)
    assert set_condition(status, later)
    cond = get_condition(status, "Progressing")
    assert cond is not None
    assert (cond["reason"], cond["lastTransitionTime"], cond["lastUpdateTime"]) == (
        "ReplicaSetUpdated",
        T0,
        T1,
    )
    assert not set_condition(
        status, new_condition("Progressing", "True", "ReplicaSetUpdated", "y", LATE)
    )


def _rollout(status: dict[str, Any], spec: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": "demo", "generation": 2}, "spec": spec or CANARY,
            "status": {"observedGeneration": "2", **status}}  # fmt: skip


def test_pause_step_flips_progressing_to_unknown_and_paused_true() -> None:
    rollout = _rollout({"stableRS": "h1", "currentPodHash": "h2",
                        "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": T0}],
                        "conditions": [_cond("Progressing", "True", "ReplicaSetUpdated")]})  # fmt: skip
    updates = paused_condition_updates(rollout, T1)
    assert [(c["type"], c["status"], c["reason"], c["message"]) for c in updates] == [
        ("Progressing", "Unknown", "RolloutPaused", "Rollout is paused"),
        ("Paused", "True", "RolloutPaused", "Rollout is paused"),
    ]


def test_manual_pause_of_a_healthy_rollout_keeps_progressing() -> None:
    # Scenario 20: fully promoted -> no RolloutPaused flip, only Paused=True.
    rollout = _rollout({**DONE, "conditions": [_cond("Progressing", "True", "NewReplicaSetAvailable")]},
                       {**CANARY, "paused": True})  # fmt: skip
    updates = paused_condition_updates(rollout, T1)
    assert [(c["type"], c["status"]) for c in updates] == [("Paused", "True")]


def test_retry_after_abort() -> None:
    rollout = _rollout({"stableRS": "h1", "currentPodHash": "h2",
                        "conditions": [_cond("Progressing", "False", "RolloutAborted")]})  # fmt: skip
    updates = paused_condition_updates(rollout, T1)
    assert [(c["reason"], c["message"]) for c in updates] == [
        ("RolloutRetry", "Retrying Rollout after abort")
    ]


def _inputs(**kw: Any) -> ConditionInputs:
    return ConditionInputs(**{"now": T1, "new_rs_name": "demo-h2", "revision": 2, **kw})


def test_healthy_rollout_conditions() -> None:
    rollout = _rollout({"conditions": []})
    result = calculate_rollout_conditions(
        rollout, {**DONE, "currentStepIndex": 2}, _inputs(available_total=3)
    )
    conds = {
        c["type"]: (c["status"], c["reason"], c["message"]) for c in result.status["conditions"]
    }
    assert conds == {
        "Healthy": ("True", "RolloutHealthy", "Rollout is healthy"),
        "Progressing": (
            "True",
            "NewReplicaSetAvailable",
            'ReplicaSet "demo-h2" has successfully progressed.',
        ),
        "Available": ("True", "AvailableReason", "Rollout has minimum availability"),
        "Completed": ("True", "RolloutCompleted", "RolloutCompleted"),
    }
    assert result.events == []


def test_update_started_emits_not_completed_and_progressing() -> None:
    old = {**DONE, "stableRS": "h1", "currentPodHash": "h1", "conditions": [
        _cond("Completed", "True", "RolloutCompleted", "RolloutCompleted"),
        _cond("Healthy", "True", "RolloutHealthy", "Rollout is healthy")]}  # fmt: skip
    new = {
        **old,
        "currentPodHash": "h2",
        "updatedReplicas": 0,
        "replicas": 3,
        "currentStepIndex": 0,
    }
    result = calculate_rollout_conditions(_rollout(old), new, _inputs(available_total=3))
    assert (
        ev.Event("RolloutNotCompleted", "Rollout not completed, started update to revision 2 (h2)")
        in result.events
    )
    progressing = get_condition(result.status, "Progressing")
    assert progressing is not None
    assert (progressing["reason"], progressing["message"]) == (
        "ReplicaSetUpdated",
        'ReplicaSet "demo-h2" is progressing.',
    )
    assert get_condition(result.status, "Healthy")["status"] == "False"  # type: ignore[index]


def test_abort_condition_and_event() -> None:
    old = {"stableRS": "h1", "currentPodHash": "h2", "conditions": []}
    result = calculate_rollout_conditions(
        _rollout(old), dict(old),
        _inputs(aborted=True, abort_message="Step-based analysis phase error/failed"),
    )  # fmt: skip
    message = "Rollout aborted update to revision 2: Step-based analysis phase error/failed"
    assert get_condition(result.status, "Progressing")["message"] == message  # type: ignore[index]
    assert ev.Event("RolloutAborted", message, "Warning") in result.events
    assert rollout_phase(CANARY, result.status) == ("Degraded", f"RolloutAborted: {message}")


def test_progress_deadline_exceeded_and_abort() -> None:
    old = {"stableRS": "h1", "currentPodHash": "h2", "replicas": 5, "updatedReplicas": 1,
           "conditions": [new_condition("Progressing", "True", "ReplicaSetUpdated", "x", T0)]}  # fmt: skip
    spec = {"replicas": 4, "progressDeadlineSeconds": 10, "strategy": {"canary": {}}}
    result = calculate_rollout_conditions(_rollout(old, spec), dict(old), _inputs(now=LATE))
    cond = get_condition(result.status, "Progressing")
    assert cond is not None
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "False",
        "ProgressDeadlineExceeded",
        'ReplicaSet "demo-h2" has timed out progressing.',
    )
    assert result.abort_with_message is None
    result = calculate_rollout_conditions(
        _rollout(old, {**spec, "progressDeadlineAbort": True}), dict(old), _inputs(now=LATE)
    )
    assert result.abort_with_message == 'ReplicaSet "demo-h2" has timed out progressing.'
    # Not evaluated on an indefinite step (pause/analysis) or before the deadline.
    result = calculate_rollout_conditions(
        _rollout(old, spec), dict(old), _inputs(now=LATE, indefinite_step=True)
    )
    assert get_condition(result.status, "Progressing")["reason"] == "ReplicaSetUpdated"  # type: ignore[index]
    assert not rollout_timed_out({"spec": spec}, old, T1)


EVENTS = [
    (ev.rollout_added_to_informer("ns", "demo"), "RolloutAddedToInformer", "Rollout resource added to informer: ns/demo"),
    (ev.rollout_updated(2), "RolloutUpdated", "Rollout updated to revision 2"),
    (ev.new_replica_set_created("demo-6c779b88b6", 2), "NewReplicaSetCreated", "Created ReplicaSet demo-6c779b88b6 (revision 2)"),
    (ev.scaling_replica_set("demo-h2", 2, 0, 1), "ScalingReplicaSet", "Scaled up ReplicaSet demo-h2 (revision 2) from 0 to 1"),
    (ev.scaling_replica_set("demo-h1", 1, 3, 2), "ScalingReplicaSet", "Scaled down ReplicaSet demo-h1 (revision 1) from 3 to 2"),
    (ev.rollout_completed(1, "h1", "Initial deploy"), "RolloutCompleted", "Rollout completed update to revision 1 (h1): Initial deploy"),
    (ev.rollout_step_completed(1, 2, {"setWeight": 50}), "RolloutStepCompleted", "Rollout step 1/2 completed (setWeight: 50)"),
    (ev.rollout_step_completed(2, 2, {"pause": {"duration": "3s"}}), "RolloutStepCompleted", "Rollout step 2/2 completed (pause: 3s)"),
    (ev.rollout_step_completed(2, 3, {"pause": {"duration": 10}}), "RolloutStepCompleted", "Rollout step 2/3 completed (pause: 10)"),
    (ev.rollout_step_completed(3, 4, {"pause": {}}), "RolloutStepCompleted", "Rollout step 3/4 completed (pause)"),
    (ev.rollout_step_completed(1, 1, {"analysis": {}}), "RolloutStepCompleted", "Rollout step 1/1 completed (analysis)"),
    (ev.rollout_step_completed(1, 1, {"setCanaryScale": {"weight": 25}}), "RolloutStepCompleted", "Rollout step 1/1 completed (setCanaryScale{weight: 25})"),
    (ev.rollout_paused("CanaryPauseStep"), "RolloutPaused", "Rollout is paused (CanaryPauseStep)"),
    (ev.rollout_resumed(), "RolloutResumed", "Rollout is resumed"),
    (ev.rollout_aborted(2), "RolloutAborted", "Rollout aborted update to revision 2"),
    (ev.switch_service("demo-active", "", "h1"), "SwitchService", "Switched selector for service 'demo-active' from '' to 'h1'"),
    (ev.skip_steps(), "SkipSteps", "Rollback to stable ReplicaSets"),
    (ev.skip_steps(within_window=True), "SkipSteps", "Rollback to active ReplicaSets within RollbackWindow"),
    (ev.rollout_not_completed(2, "h2"), "RolloutNotCompleted", "Rollout not completed, started update to revision 2 (h2)"),
    (ev.replica_set_create_error("demo-h2", "quota"), "ReplicaSetCreateError", 'Failed to create new replica set "demo-h2": quota'),
    (ev.experiment_created("demo-h2-2-0"), "ExperimentCreated", "Created Experiment 'demo-h2-2-0'"),
    (ev.rollout_deleted("demo", "ns"), "RolloutDeleted", "Rollout demo/ns is deleted."),
]  # fmt: skip


@pytest.mark.parametrize(("event", "reason", "message"), EVENTS)
def test_event_texts(event: ev.Event, reason: str, message: str) -> None:
    assert (event.reason, event.message) == (reason, message)


def test_event_types() -> None:
    assert ev.rollout_aborted(2).type == "Warning"
    assert ev.replica_set_create_error("x", "y").type == "Warning"
    assert ev.rollout_paused("BlueGreenPause").type == "Normal"


def test_analysis_run_status_events() -> None:
    event = ev.analysis_run_status("Step", "demo-h2-2-1", "Running", "")
    assert event == ev.Event(
        "AnalysisRunRunning", "Step Analysis Run 'demo-h2-2-1' Status New: 'Running' Previous: ''"
    )
    event = ev.analysis_run_status("Background", "demo-h2-2", "Failed", None)
    assert event == ev.Event(
        "AnalysisRunFailed",
        "Background Analysis Run 'demo-h2-2' Status New: 'Failed' Previous: 'NoPreviousStatus'",
        "Warning",
    )
    assert ev.analysis_run_status("Step", "x", "", "Running") is None
