"""Fixes to the condition helpers found while running the controller loop."""

from __future__ import annotations

from clusters.embedded.rollouts.conditions import rollout_progressing, rollout_timed_out


def test_absent_and_empty_selectors_are_no_progress():
    """The stored status omits empty strings (omitempty); a blue-green rollout without a
    preview Service must not count "" vs absent as progress, or the progress deadline never
    passes and every pass rewrites the Progressing condition."""
    rollout = {
        "spec": {"strategy": {"blueGreen": {"activeService": "a"}}},
        "status": {"blueGreen": {"activeSelector": "h1"}, "replicas": 2, "updatedReplicas": 1},
    }
    new = {"blueGreen": {"activeSelector": "h1", "previewSelector": ""}, "replicas": 2,
           "updatedReplicas": 1}  # fmt: skip
    assert rollout_progressing(rollout, new) is False
    new["blueGreen"]["activeSelector"] = "h2"
    assert rollout_progressing(rollout, new) is True


def test_canary_empty_stable_and_step_hash_are_no_progress():
    rollout = {"spec": {"strategy": {"canary": {}}}, "status": {"replicas": 1}}
    assert (
        rollout_progressing(rollout, {"stableRS": "", "currentStepHash": "", "replicas": 1})
        is False
    )


def test_progress_deadline_is_measured_on_the_warped_clock():
    """Under time-warp 20, one wall second is 20 cluster seconds: a 10 s deadline has passed
    after 0.6 wall seconds (it must not wait 10 wall seconds)."""
    rollout = {"spec": {"progressDeadlineSeconds": 10}}
    status = {
        "conditions": [
            {
                "type": "Progressing",
                "status": "True",
                "reason": "ReplicaSetUpdated",
                "lastUpdateTime": "2026-01-01T00:00:00.000Z",
            }
        ]
    }
    now = "2026-01-01T00:00:00.600Z"
    assert rollout_timed_out(rollout, status, now, time_scale=20) is True
    assert rollout_timed_out(rollout, status, now) is False
