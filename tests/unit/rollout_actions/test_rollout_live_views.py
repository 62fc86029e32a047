"""Pod status words, scale-down delays, and the `status` / `get --watch` loops over a
scripted API (fake clock, no sleeping)."""

from __future__ import annotations

import copy
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from rollout_fixtures import canary_rollout, paused_canary_objects

from clusters.rollouts_client import RolloutNotFound, rollout_status, watch_rollout
from clusters.rollouts_client.api import ANALYSIS_RUNS, ROLLOUTS, GroupResource
from clusters.rollouts_client.children import pod_status
from clusters.rollouts_client.tree import CLEAR_SCREEN, scale_down_delay


class ScriptedApi:
    """Answers GETs of the rollout from a script (one state per call), lists from fixtures."""

    def __init__(self, states: list[dict[str, Any]]) -> None:
        self.states = states
        self.gets = 0
        self.objects = paused_canary_objects()

    def get(self, resource: GroupResource, namespace: str, name: str) -> dict[str, Any]:
        assert resource == ROLLOUTS
        state = self.states[min(self.gets, len(self.states) - 1)]
        self.gets += 1
        return state

    def list_objects(self, resource: GroupResource, namespace: str, selector: Any = None) -> list:
        return self.objects["runs"] if resource == ANALYSIS_RUNS else self.objects["replicasets"]

    def list_pods(self, namespace: str) -> list[dict[str, Any]]:
        return self.objects["pods"]

    def namespace_exists(self, namespace: str) -> bool:
        return True


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _state(phase: str, message: str = "", **status: Any) -> dict[str, Any]:
    rollout = canary_rollout()
    rollout["status"].update(phase=phase, message=message, **status)
    return rollout


def test_status_watch_prints_each_change_until_healthy() -> None:
    paused = _state("Paused", "CanaryPauseStep")
    api = ScriptedApi(
        [
            paused,
            copy.deepcopy(paused),
            _state(
                "Progressing",
                "more replicas need to be updated",
                pauseConditions=[],
                controllerPause=False,
            ),
            _state("Healthy", pauseConditions=[], controllerPause=False),
        ]
    )
    out, clock = io.StringIO(), FakeClock()
    outcome = rollout_status(api, "ns", "agent", out, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert out.getvalue().splitlines() == [
        "Paused - CanaryPauseStep",
        "Progressing - more replicas need to be updated",
        "Healthy",
    ]
    assert (outcome.status, outcome.exit_code, outcome.error) == ("Healthy", 0, None)


def test_status_on_degraded_fails_with_the_plugin_message() -> None:
    message = "RolloutAborted: Rollout aborted update to revision 2"
    api = ScriptedApi([_state("Degraded", message, pauseConditions=[], controllerPause=False)])
    out = io.StringIO()
    outcome = rollout_status(api, "ns", "agent", out, watch=False)  # type: ignore[arg-type]
    assert out.getvalue() == "Degraded\n"
    assert outcome.exit_code == 1
    assert outcome.error == f"The rollout is in a degraded state with message: {message}"


def test_status_gives_up_at_the_timeout() -> None:
    api = ScriptedApi([_state("Paused", "CanaryPauseStep")])
    out, clock = io.StringIO(), FakeClock()
    outcome = rollout_status(
        api,  # type: ignore[arg-type]
        "ns",
        "agent",
        out,
        timeout=5,
        clock=clock,
        sleep=clock.sleep,
    )
    assert outcome.error == "Rollout status watch exceeded timeout"
    assert 5 <= clock.now <= 6 and out.getvalue() == "Paused - CanaryPauseStep\n"


def test_status_of_a_deleted_rollout_stops_the_watch() -> None:
    class Vanishing(ScriptedApi):
        def get(self, resource: GroupResource, namespace: str, name: str) -> dict[str, Any]:
            if self.gets:
                raise RolloutNotFound('rollouts.argoproj.io "agent" not found')
            return super().get(resource, namespace, name)

    clock = FakeClock()
    with pytest.raises(RolloutNotFound):
        rollout_status(
            Vanishing([_state("Paused", "CanaryPauseStep")]),  # type: ignore[arg-type]
            "ns",
            "agent",
            io.StringIO(),
            clock=clock,
            sleep=clock.sleep,
        )


def test_get_watch_redraws_only_on_change() -> None:
    paused = _state("Paused", "CanaryPauseStep")
    healthy = _state("Healthy", pauseConditions=[], controllerPause=False)
    api = ScriptedApi([paused, copy.deepcopy(paused), healthy])
    out, clock = io.StringIO(), FakeClock()
    watch_rollout(api, "ns", "agent", out, timeout=4, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    frames = out.getvalue().split(CLEAR_SCREEN)[1:]
    assert len(frames) == 2
    assert "॥ Paused" in frames[0] and "✔ Healthy" in frames[1]


@pytest.mark.parametrize(
    ("container", "expected"),
    [
        ({"ready": True, "state": {"running": {}}}, ("Running", 1)),
        (
            {"ready": False, "state": {"waiting": {"reason": "CrashLoopBackOff"}}},
            ("CrashLoopBackOff", 0),
        ),
        ({"ready": False, "state": {"waiting": {"reason": "ErrImagePull"}}}, ("ErrImagePull", 0)),
        ({"ready": False, "state": {"terminated": {"exitCode": 3}}}, ("ExitCode:3", 0)),
    ],
)
def test_pod_status_words(container: dict[str, Any], expected: tuple[str, int]) -> None:
    pod = {
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "agent"}]},
        "status": {"phase": "Running", "containerStatuses": [{"name": "agent", **container}]},
    }
    word, ready, _ = pod_status(pod)
    assert (word, ready) == expected


def test_terminating_and_init_pods() -> None:
    pod = {
        "metadata": {"name": "p", "deletionTimestamp": "2026-03-30T12:00:00Z"},
        "spec": {"containers": [{"name": "a"}]},
        "status": {"phase": "Running"},
    }
    assert pod_status(pod)[0] == "Terminating"
    init = {
        "metadata": {"name": "p"},
        "spec": {"initContainers": [{"name": "i"}], "containers": [{"name": "a"}]},
        "status": {"phase": "Pending", "initContainerStatuses": [{"name": "i", "state": {}}]},
    }
    assert pod_status(init)[0] == "Init:0/1"


def test_scale_down_delay() -> None:
    now = datetime(2026, 3, 30, 12, 0, 0, tzinfo=UTC)
    assert scale_down_delay("2026-03-30T12:00:25Z", now) == "25s"
    assert scale_down_delay("2026-03-30T11:59:00Z", now) == "passed"
    assert scale_down_delay("garbage", now) == ""
