"""Canary conformance scenarios 1-8 and 10 (controller spec §10) on the embedded cluster.

Given a canary Rollout of the task agent, when the learner updates, aborts, retries, scales or
ships a crashing version, then phases, step indexes, hashes and per-RS pod counts are
upstream's. Time runs 20x faster; C1's 3 s pause is written as 60 s so that, as in upstream's
e2e test, it lasts 3 real seconds (long enough to abort while paused).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_rollouts_actions import (
    abort,
    patch_spec,
    retry,
    set_image,
)
from test_rollouts_harness import (
    RolloutLab,
    agent_template,
    rollout,
)

from clusters.embedded.cluster import EmbeddedCluster

pytestmark = pytest.mark.slow
TIME_SCALE = 20
C1 = {"canary": {"steps": [{"setWeight": 50}, {"pause": {"duration": "60s"}}]}}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RolloutLab]:
    cluster = EmbeddedCluster(tmp_path_factory.mktemp("rollouts"), time_scale=TIME_SCALE)
    cluster.start()
    lab = RolloutLab(cluster, Path(tmp_path_factory.mktemp("kubectl")))
    try:
        yield lab
    finally:
        lab.close()
        cluster.stop()


def test_scenarios_1_to_4_initial_deploy_update_abort_retry(lab: RolloutLab):
    """1 initial deploy, 2 update -> pause, 3 abort, 4 retry (TestRolloutAbortRetryPromote)."""
    s = lab.scenario("c1")
    # Scenario 1 -- Given C1 without replicas, Then it is defaulted and promoted at once.
    s.given(rollout("ro", C1, replicas=None))
    s.then(phase="Healthy", message="", stable=1, current=1, step=2, pods={1: 1})
    ro = s.get()
    assert ro["spec"]["replicas"] == 1
    assert s.rs(1).metadata.annotations["rollout.argoproj.io/revision"] == "1"
    assert s.rs(1).metadata.name == f"ro-{s.H(1)}"
    conditions = {c["type"]: c for c in ro["status"]["conditions"]}
    assert conditions["Completed"]["status"] == "True"
    assert conditions["Healthy"]["status"] == "True"
    assert conditions["Available"]["status"] == "True"
    assert conditions["Progressing"]["reason"] == "NewReplicaSetAvailable"
    # Scenario 2 -- When the template changes, Then it surges and pauses at step 1.
    s.when(set_image("v2"))
    s.then(
        phase="Paused", message="CanaryPauseStep", step=1, stable=1, current=2, pods={1: 1, 2: 1}
    )
    s.then(pauses=["CanaryPauseStep"], controllerPause=True)
    s.then(
        conditions={
            "Paused": ("True", "RolloutPaused"),
            "Progressing": ("Unknown", "RolloutPaused"),
            "Completed": ("False", "RolloutCompleted"),
        }
    )
    # Scenario 3 -- When aborted, Then the canary goes to 0 and the rollout is Degraded.
    s.when(abort())
    s.then(
        phase="Degraded",
        message="RolloutAborted: Rollout aborted update to revision 2",
        step=0,
        abort=True,
        pauses=[],
        pods={1: 1, 2: 0},
    )
    assert s.status()["abortedAt"]
    # Scenario 4 -- When retried, Then the update runs again and completes.
    s.when(retry())
    s.saw(phase="Paused", currentStepIndex=1)
    s.then(phase="Healthy", step=2, stable=2, current=2, pods={1: 0, 2: 1})
    assert "abortedAt" not in s.status()
    reasons = [reason for reason, _, _ in s.events()]
    for expected in ("RolloutAddedToInformer", "NewReplicaSetCreated", "RolloutAborted",
                     "RolloutStepCompleted", "RolloutPaused", "RolloutResumed"):  # fmt: skip
        assert expected in reasons
    s.stop()


def test_scenario_5_scale_while_paused(lab: RolloutLab):
    """TestRolloutScalingWhenPaused: the split follows spec.replicas while paused."""
    steps = {"canary": {"steps": [{"setWeight": 25}, {"pause": {}}]}}
    s = lab.scenario("scale-paused").given(rollout("ro", steps, replicas=1))
    s.then(phase="Healthy", pods={1: 1})
    s.when(set_image("v2")).then(phase="Paused", pods={1: 1, 2: 1})
    s.when(patch_spec({"replicas": 8})).then(phase="Paused", pods={1: 6, 2: 2})
    s.when(patch_spec({"replicas": 4})).then(phase="Paused", pods={1: 3, 2: 1})
    s.stop()


def test_scenario_6_no_step_canary_crashing_version_scaling(lab: RolloutLab):
    """TestRolloutScalingDuringUpdate: maxSurge 2 / maxUnavailable 0 with a crashing canary."""
    strategy = {"canary": {"maxSurge": 2, "maxUnavailable": 0}}
    s = lab.scenario("scale-update").given(rollout("ro", strategy, replicas=4))
    s.then(phase="Healthy", pods={1: 4})
    s.when(set_image("v2", crash=True)).then(pods={1: 4, 2: 2}, replicas=6)
    s.when(patch_spec({"replicas": 8})).then(pods={1: 4, 2: 6})
    s.when(patch_spec({"replicas": 4})).then(pods={1: 4, 2: 2})
    s.stop()


def test_scenario_7_bad_update_progress_deadline(lab: RolloutLab):
    """TestRolloutGoodToBadUpdate: a crashing canary times out; a second bad template scales
    the intermediate RS down."""
    strategy = {"canary": {"maxSurge": 1, "maxUnavailable": 0}}
    s = lab.scenario("good-bad").given(rollout("ro", strategy, replicas=4))
    s.then(phase="Healthy", pods={1: 4})
    s.when(patch_spec({"progressDeadlineSeconds": 10}), set_image("v2", crash=True))
    s.then(pods={1: 4, 2: 1})
    s.then(
        phase="Degraded",
        message=f'ProgressDeadlineExceeded: ReplicaSet "ro-{s.H(2)}" has timed out progressing.',
    )
    s.when(set_image("v3", crash=True))
    s.saw(phase="Progressing")
    s.then(phase="Degraded", pods={1: 4, 2: 0, 3: 1})
    s.stop()


def test_scenario_8_bad_to_bad_and_bad_to_good(lab: RolloutLab):
    """TestRolloutBadToBadUpdate / TestRolloutBadToGoodUpdate."""
    strategy = {"canary": {"maxSurge": 1, "maxUnavailable": 0}}
    bad = rollout("ro", strategy, replicas=4, progressDeadlineSeconds=10)
    bad["spec"]["template"] = agent_template("ro", crash=True)
    s = lab.scenario("bad-bad").given(bad)
    s.then(stable=1, pods={1: 4})
    s.then(phase="Degraded")
    s.when(set_image("v2", crash=True)).then(pods={1: 4, 2: 1})
    s.stop()
    good = lab.scenario("bad-good").given(bad)
    good.then(stable=1, pods={1: 4})
    good.when(set_image("v2")).then(phase="Healthy", stable=2, pods={1: 0, 2: 4})
    good.stop()


def test_scenario_10_new_template_mid_update(lab: RolloutLab):
    """TestCanaryWithPausedRollout: a third template while paused scales the second away."""
    steps = {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}]}}
    s = lab.scenario("mid-update").given(rollout("ro", steps, replicas=3))
    s.then(phase="Healthy", pods={1: 3})
    s.when(set_image("v2")).then(phase="Paused", step=1, pods={1: 3, 2: 1})
    s.when(set_image("v3"))
    s.saw(currentStepIndex=0)
    s.then(phase="Paused", step=1, stable=1, current=3, pods={1: 3, 2: 0, 3: 1})
    s.stop()
