"""Each action sends exactly the plugin's request (kubectl-argo-rollouts v1.9.1), captured at
the embedded API server: method, path (subresource), Content-Type and body, in order."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from capture_server import Captured, status_error
from live_api import LiveApi
from rollout_fixtures import (
    HASH_V1,
    HASH_V2,
    IMAGE_V1,
    IMAGE_V2,
    bluegreen_rollout,
    canary_rollout,
    replicaset,
)

from clusters.rollouts_client import (
    InvalidArguments,
    RolloutNotFound,
    UpdateConflict,
    abort,
    pause,
    promote,
    restart,
    retry,
    set_image,
    undo,
)

NS = "rollout-lab"
BASE = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def _writes(live: LiveApi) -> list[tuple[str, str, str, Any]]:
    return [(r.method, r.path, r.content_type, r.json()) for r in live.capture.writes()]


@pytest.fixture
def seeded(live: LiveApi) -> LiveApi:
    live.namespace(NS)
    return live


def _create(live: LiveApi, rollout: dict[str, Any], **status: Any) -> dict[str, Any]:
    rollout = copy.deepcopy(rollout)
    rollout["status"].update(status)
    rollout["status"] = {k: v for k, v in rollout["status"].items() if v is not None}
    created = live.create(rollout)
    live.capture.clear()
    return created


def test_promote_paused_step_clears_pause_conditions_on_status(seeded: LiveApi) -> None:
    _create(seeded, canary_rollout())
    result = promote(seeded.api, NS, "agent")
    assert result.message == "rollout 'agent' promoted"
    assert [r.method for r in seeded.capture.requests] == ["GET", "PATCH"]
    assert _writes(seeded) == [
        ("PATCH", f"{BASE}/agent/status", MERGE, {"status": {"pauseConditions": None}})
    ]
    assert "pauseConditions" not in seeded.read("Rollout", NS, "agent")["status"]


def test_promote_manually_paused_sends_status_then_spec(seeded: LiveApi) -> None:
    rollout = canary_rollout()
    rollout["spec"]["paused"] = True
    _create(seeded, rollout)
    promote(seeded.api, NS, "agent")
    assert _writes(seeded) == [
        ("PATCH", f"{BASE}/agent/status", MERGE, {"status": {"pauseConditions": None}}),
        ("PATCH", f"{BASE}/agent", MERGE, {"spec": {"paused": False}}),
    ]


def test_promote_canary_mid_step_skips_to_next_step(seeded: LiveApi) -> None:
    _create(
        seeded, canary_rollout(), pauseConditions=None, controllerPause=None, currentStepIndex=2
    )
    promote(seeded.api, NS, "agent")
    body = {"status": {"pauseConditions": None, "currentStepIndex": 3}}
    assert _writes(seeded) == [("PATCH", f"{BASE}/agent/status", MERGE, body)]


def test_promote_at_last_step_keeps_index_capped(seeded: LiveApi) -> None:
    _create(
        seeded, canary_rollout(), pauseConditions=None, controllerPause=None, currentStepIndex=4
    )
    promote(seeded.api, NS, "agent")
    body = {"status": {"pauseConditions": None, "currentStepIndex": 4}}
    assert _writes(seeded) == [("PATCH", f"{BASE}/agent/status", MERGE, body)]


def test_promote_inconclusive_step_analysis_also_clears_controller_pause(seeded: LiveApi) -> None:
    run = {"name": "agent-x-2-1", "status": "Inconclusive", "message": ""}
    _create(
        seeded,
        canary_rollout(),
        currentStepIndex=2,
        canary={"currentStepAnalysisRunStatus": run},
        pauseConditions=[
            {"reason": "InconclusiveAnalysisRun", "startTime": "2026-03-30T11:59:00Z"}
        ],
    )
    promote(seeded.api, NS, "agent")
    body = {"status": {"pauseConditions": None, "controllerPause": False, "currentStepIndex": 3}}
    assert _writes(seeded) == [("PATCH", f"{BASE}/agent/status", MERGE, body)]


def test_promote_bluegreen_without_pause_is_a_no_op(seeded: LiveApi) -> None:
    _create(seeded, bluegreen_rollout(), pauseConditions=None, controllerPause=None)
    result = promote(seeded.api, NS, "agent-bg")
    # Upstream prints the same line although nothing was sent.
    assert result.message == "rollout 'agent-bg' promoted" and not result.changed
    assert _writes(seeded) == []


def test_promote_bluegreen_paused_clears_pause_conditions(seeded: LiveApi) -> None:
    _create(seeded, bluegreen_rollout())
    promote(seeded.api, NS, "agent-bg")
    assert _writes(seeded) == [
        ("PATCH", f"{BASE}/agent-bg/status", MERGE, {"status": {"pauseConditions": None}})
    ]


def test_promote_full_sets_promote_full_and_unpauses(seeded: LiveApi) -> None:
    rollout = canary_rollout()
    rollout["spec"]["paused"] = True
    _create(seeded, rollout)
    result = promote(seeded.api, NS, "agent", full=True)
    assert result.message == "rollout 'agent' fully promoted"
    assert _writes(seeded) == [
        ("PATCH", f"{BASE}/agent/status", MERGE, {"status": {"promoteFull": True}}),
        ("PATCH", f"{BASE}/agent", MERGE, {"spec": {"paused": False}}),
    ]


def test_promote_full_of_a_promoted_rollout_sends_nothing(seeded: LiveApi) -> None:
    _create(seeded, canary_rollout(), stableRS=HASH_V2, pauseConditions=None)
    promote(seeded.api, NS, "agent", full=True)
    assert _writes(seeded) == []


def test_promote_falls_back_to_main_resource_without_status_subresource(
    seeded: LiveApi,
) -> None:
    _create(seeded, canary_rollout())

    def no_status(request: Captured) -> tuple[int, dict[str, Any]] | None:
        if request.path.endswith("/status"):
            return 404, status_error(404, "NotFound", "the server could not find it")
        return None

    seeded.capture.interceptors.append(no_status)
    promote(seeded.api, NS, "agent")
    unified = {"spec": {"paused": False}, "status": {"pauseConditions": None}}
    assert _writes(seeded) == [
        ("PATCH", f"{BASE}/agent/status", MERGE, {"status": {"pauseConditions": None}}),
        ("PATCH", f"{BASE}/agent", MERGE, unified),
    ]


@pytest.mark.parametrize(
    ("action", "body", "message"),
    [
        (abort, {"status": {"abort": True}}, "rollout 'agent' aborted"),
        (retry, {"status": {"abort": False}}, "rollout 'agent' retried"),
    ],
)
def test_abort_and_retry_patch_the_status_subresource(
    seeded: LiveApi, action: Any, body: dict[str, Any], message: str
) -> None:
    _create(seeded, canary_rollout())
    assert action(seeded.api, NS, "agent").message == message
    assert _writes(seeded) == [("PATCH", f"{BASE}/agent/status", MERGE, body)]
    assert [r.method for r in seeded.capture.requests] == ["PATCH"]


def test_pause_patches_spec_paused(seeded: LiveApi) -> None:
    _create(seeded, canary_rollout())
    assert pause(seeded.api, NS, "agent").message == "rollout 'agent' paused"
    assert _writes(seeded) == [("PATCH", f"{BASE}/agent", MERGE, {"spec": {"paused": True}})]
    assert seeded.read("Rollout", NS, "agent")["spec"]["paused"] is True


def test_restart_sets_restart_at_now_plus_in(seeded: LiveApi) -> None:
    _create(seeded, canary_rollout())
    now = datetime(2026, 3, 30, 21, 19, 25, 123456, tzinfo=UTC)
    result = restart(seeded.api, NS, "agent", in_="10s", now=now)
    assert result.message == "rollout 'agent' restarts in 10s"
    body = {"spec": {"restartAt": "2026-03-30T21:19:35Z"}}
    assert _writes(seeded) == [("PATCH", f"{BASE}/agent", MERGE, body)]
    restart(seeded.api, NS, "agent", now=now)
    assert seeded.capture.writes()[-1].json() == {"spec": {"restartAt": "2026-03-30T21:19:25Z"}}


def test_set_image_gets_then_puts_the_whole_rollout(seeded: LiveApi) -> None:
    created = _create(seeded, canary_rollout(image=IMAGE_V1))
    result = set_image(seeded.api, NS, "agent", "agent", "rollout-lab/task-agent:v3")
    assert result.message == 'rollout "agent" image updated'
    methods = [(r.method, r.path) for r in seeded.capture.requests]
    assert methods == [("GET", f"{BASE}/agent"), ("PUT", f"{BASE}/agent")]
    sent = seeded.capture.writes()[0].json()
    expected = copy.deepcopy(created)
    expected["spec"]["template"]["spec"]["containers"][0]["image"] = "rollout-lab/task-agent:v3"
    assert sent == expected  # full object, resourceVersion and status included


def test_set_image_star_changes_init_and_app_containers(seeded: LiveApi) -> None:
    rollout = canary_rollout(image=IMAGE_V1)
    rollout["spec"]["template"]["spec"]["initContainers"] = [{"name": "warm", "image": "busybox"}]
    _create(seeded, rollout)
    set_image(seeded.api, NS, "agent", "*", IMAGE_V2)
    pod_spec = seeded.capture.writes()[0].json()["spec"]["template"]["spec"]
    assert pod_spec["initContainers"][0]["image"] == IMAGE_V2
    assert pod_spec["containers"][0]["image"] == IMAGE_V2


def test_set_image_unknown_container_sends_nothing(seeded: LiveApi) -> None:
    _create(seeded, canary_rollout())
    with pytest.raises(InvalidArguments, match=r'^unable to find container named "ctr"$'):
        set_image(seeded.api, NS, "agent", "ctr", IMAGE_V2)
    assert _writes(seeded) == []


def _conflicts(times: int) -> Any:
    remaining = [times]

    def interceptor(request: Captured) -> tuple[int, dict[str, Any]] | None:
        if request.method == "PUT" and remaining[0] > 0:
            remaining[0] -= 1
            return 409, status_error(409, "Conflict", "the object has been modified")
        return None

    return interceptor


def test_set_image_retries_conflicts(seeded: LiveApi) -> None:
    _create(seeded, canary_rollout(image=IMAGE_V1))
    seeded.capture.interceptors.append(_conflicts(2))
    set_image(seeded.api, NS, "agent", "agent", IMAGE_V2)
    assert [r.method for r in seeded.capture.requests] == ["GET", "PUT"] * 3


def test_set_image_gives_up_after_five_conflicts(seeded: LiveApi) -> None:
    _create(seeded, canary_rollout(image=IMAGE_V1))
    seeded.capture.interceptors.append(_conflicts(10))
    with pytest.raises(UpdateConflict, match="the object has been modified"):
        set_image(seeded.api, NS, "agent", "agent", IMAGE_V2)
    assert [r.method for r in seeded.capture.requests] == ["GET", "PUT"] * 5


def _with_history(live: LiveApi, rollout: dict[str, Any]) -> dict[str, Any]:
    """Seed the rollout plus its revision 1 and 2 ReplicaSets owned by it (server UID)."""
    created = live.create(rollout)
    for pod_hash, revision, image in ((HASH_V1, 1, IMAGE_V1), (HASH_V2, 2, IMAGE_V2)):
        live.create(replicaset(created, pod_hash, revision, image, 1, "2026-03-30T11:00:00Z"))
    live.capture.clear()
    return created


def test_undo_sends_a_json_patch_with_the_previous_template(seeded: LiveApi) -> None:
    _with_history(seeded, canary_rollout(image=IMAGE_V2))
    result = undo(seeded.api, NS, "agent")
    assert result.message == "rollout 'agent' undo"
    listing = seeded.capture.requests[1]
    assert listing.path == f"/apis/apps/v1/namespaces/{NS}/replicasets"
    assert listing.query["labelSelector"] == ["app=agent"]
    rs1 = seeded.read("ReplicaSet", NS, f"agent-{HASH_V1}")
    value = copy.deepcopy(rs1["spec"]["template"])
    del value["metadata"]["labels"]["rollouts-pod-template-hash"]
    patch = [{"op": "replace", "path": "/spec/template", "value": value}]
    assert _writes(seeded) == [("PATCH", f"{BASE}/agent", JSON_PATCH, patch)]
    after = seeded.read("Rollout", NS, "agent")
    assert after["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE_V1


def test_undo_to_revision_that_matches_is_skipped(seeded: LiveApi) -> None:
    _with_history(seeded, canary_rollout(image=IMAGE_V2))
    result = undo(seeded.api, NS, "agent", to_revision=2)
    assert result.message == "skipped rollback (current template already matches revision 2)"
    assert _writes(seeded) == []


def test_undo_to_missing_revision_is_refused(seeded: LiveApi) -> None:
    _with_history(seeded, canary_rollout())
    with pytest.raises(InvalidArguments, match=r"^unable to find specified revision 7 in history$"):
        undo(seeded.api, NS, "agent", to_revision=7)
    assert _writes(seeded) == []


def test_undo_without_history_says_so(seeded: LiveApi) -> None:
    _create(seeded, canary_rollout())
    with pytest.raises(InvalidArguments, match=r'^no revision found for rollout "agent"$'):
        undo(seeded.api, NS, "agent")


def test_missing_rollout_uses_upstream_wording(seeded: LiveApi) -> None:
    with pytest.raises(RolloutNotFound) as missing:
        promote(seeded.api, NS, "nope")
    assert str(missing.value) == 'rollouts.argoproj.io "nope" not found'
    # abort tries the status subresource, then the main resource, like the plugin.
    seeded.capture.clear()
    with pytest.raises(RolloutNotFound):
        abort(seeded.api, NS, "nope")
    assert [(r.method, r.path) for r in seeded.capture.requests if r.method == "PATCH"] == [
        ("PATCH", f"{BASE}/nope/status"),
        ("PATCH", f"{BASE}/nope"),
    ]


def test_missing_namespace_is_named(live: LiveApi) -> None:
    with pytest.raises(RolloutNotFound) as missing:
        promote(live.api, "no-such-ns", "agent")
    first, hint = str(missing.value).splitlines()
    assert first == 'rollouts.argoproj.io "agent" not found'
    assert hint.strip() == '(namespace "no-such-ns" does not exist)'
