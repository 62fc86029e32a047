"""The plugin's decision rules on plain objects: promote patches, undo's revision choice and
template comparison, set image's container match, durations, and the `get` weights."""

from __future__ import annotations

import copy

import pytest
from rollout_fixtures import HASH_V1, HASH_V2, IMAGE_V1, IMAGE_V2, canary_rollout, replicaset

from clusters.rollouts_client import InvalidArguments, parse_duration
from clusters.rollouts_client.patches import (
    deep_derivative,
    label_selector_string,
    promote_patches,
    select_undo_replicaset,
    undo_patch,
    with_image,
)
from clusters.rollouts_client.view import build_rollout_info, set_weight


def test_promote_rules_in_upstream_order() -> None:
    rollout = canary_rollout()
    assert promote_patches(rollout).status == {"status": {"pauseConditions": None}}
    rollout["status"]["pauseConditions"] = []
    assert promote_patches(rollout).status == {
        "status": {"pauseConditions": None, "currentStepIndex": 2}
    }
    no_steps = copy.deepcopy(rollout)
    no_steps["spec"]["strategy"]["canary"]["steps"] = []
    patches = promote_patches(no_steps)
    assert patches.status is None and patches.spec is None


def test_promote_full_needs_an_unfinished_update() -> None:
    rollout = canary_rollout()
    assert promote_patches(rollout, full=True).status == {"status": {"promoteFull": True}}
    rollout["status"]["stableRS"] = rollout["status"]["currentPodHash"]
    assert promote_patches(rollout, full=True).status is None


def _history() -> tuple[dict, list[dict]]:
    rollout = canary_rollout(image=IMAGE_V2)
    old = replicaset(rollout, HASH_V1, 1, IMAGE_V1, 0, "2026-03-30T11:00:00Z")
    new = replicaset(rollout, HASH_V2, 2, IMAGE_V2, 4, "2026-03-30T11:10:00Z")
    stranger = copy.deepcopy(old)
    stranger["metadata"]["ownerReferences"][0]["uid"] = "someone-else"
    stranger["metadata"]["annotations"]["rollout.argoproj.io/revision"] = "9"
    return rollout, [new, stranger, old]


def test_undo_picks_the_second_highest_revision_it_controls() -> None:
    rollout, sets = _history()
    assert select_undo_replicaset(rollout, sets, 0)["metadata"]["name"].endswith(HASH_V1)
    assert select_undo_replicaset(rollout, sets, 2)["metadata"]["name"].endswith(HASH_V2)
    with pytest.raises(InvalidArguments, match="revision 9 in history"):
        select_undo_replicaset(rollout, sets, 9)


def test_undo_template_comparison_ignores_hash_and_server_defaults() -> None:
    rollout, sets = _history()
    old = sets[2]
    patch = undo_patch(rollout["spec"]["template"], old)
    assert patch is not None and patch[0]["path"] == "/spec/template"
    assert "rollouts-pod-template-hash" not in patch[0]["value"]["metadata"]["labels"]
    # A learner's sparse template is "derivative" of the defaulted one the RS holds.
    sparse = {
        "metadata": {"labels": {"app": "agent"}},
        "spec": {"containers": [{"name": "agent", "image": IMAGE_V1}]},
    }
    assert undo_patch(sparse, old) is None


def test_deep_derivative_semantics() -> None:
    assert deep_derivative({"a": "", "b": [], "c": None}, {"a": "x", "b": [1], "c": 3})
    assert not deep_derivative({"a": "x"}, {})
    assert deep_derivative([1], [1, 2]) and not deep_derivative([1, 2], [1])
    assert not deep_derivative({"n": 1}, {"n": 2})
    assert not deep_derivative({"b": False}, {"b": True})


def test_set_image_and_selectors() -> None:
    changed = with_image(canary_rollout(), "agent", "x:1")
    assert changed["spec"]["template"]["spec"]["containers"][0]["image"] == "x:1"
    selector = {
        "matchLabels": {"app": "agent"},
        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}],
    }
    assert label_selector_string(selector) == "app=agent,tier in (a,b)"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10s", 10), ("1m30s", 90), ("500ms", 0.5), ("2h", 7200), ("0", 0)],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_bad_durations_are_refused() -> None:
    assert parse_duration("30", bare_seconds=True) == 30
    for bad in ("30", "10x", "s", ""):
        with pytest.raises(InvalidArguments, match="invalid duration"):
            parse_duration(bad)


def test_weights_follow_step_and_abort() -> None:
    rollout = canary_rollout()
    assert set_weight(rollout) == 25
    rollout["status"]["currentStepIndex"] = 3
    assert set_weight(rollout) == 50
    rollout["status"]["currentStepIndex"] = 4
    assert set_weight(rollout) == 100
    rollout["status"]["abort"] = True
    assert set_weight(rollout) == 0


def test_client_side_phase_overrides() -> None:
    rollout = canary_rollout()
    rollout["metadata"]["generation"] = 3
    info = build_rollout_info(rollout, [], [], [])
    assert (info.status, info.message) == (
        "Progressing",
        "waiting for rollout spec update to be observed",
    )
    rollout["metadata"]["generation"] = 2
    rollout["status"]["pauseConditions"] = []
    info = build_rollout_info(rollout, [], [], [])
    assert (info.status, info.message, info.icon) == (
        "Progressing",
        "waiting for rollout to unpause",
        "◌",
    )


def test_deprecated_skip_flags_only_move_the_step_index() -> None:
    rollout = canary_rollout()
    assert promote_patches(rollout, skip_current_step=True).status == {
        "status": {"currentStepIndex": 2}
    }
    assert promote_patches(rollout, skip_all_steps=True).status == {
        "status": {"currentStepIndex": 4}
    }
    with pytest.raises(InvalidArguments, match="at the same time"):
        promote_patches(rollout, skip_current_step=True, skip_all_steps=True)
    blue_green = copy.deepcopy(rollout)
    blue_green["spec"]["strategy"] = {"blueGreen": {"activeService": "a"}}
    with pytest.raises(InvalidArguments, match="bluegreen"):
        promote_patches(blue_green, skip_all_steps=True)
