"""Fixes to the condition helpers found while running the controller loop."""

from __future__ import annotations

from clusters.embedded.rollouts.conditions import rollout_progressing


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
