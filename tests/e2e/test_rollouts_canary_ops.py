"""Canary conformance scenarios 18-22 (controller spec §10): undo to the stable revision,
restart, manual pause, an invalid spec that recovers, and switching blue-green to canary."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from test_rollouts_actions import (
    apply,
    pause,
    restart,
    set_image,
    undo,
)
from test_rollouts_harness import (
    HASH,
    MANAGED_BY,
    RolloutLab,
    agent_template,
    rollout,
    service,
    web_template,
)

from clusters.embedded.cluster import EmbeddedCluster

pytestmark = pytest.mark.slow
TIME_SCALE = 20


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


def test_scenario_18_undo_to_stable_mid_update(lab: RolloutLab):
    """Undo while paused: the stable RS is reused and renumbered, steps are skipped."""
    steps = {"canary": {"steps": [{"setWeight": 50}, {"pause": {}}, {"setWeight": 75}]}}
    s = lab.scenario("undo").given(rollout("ro", steps, replicas=2))
    s.then(phase="Healthy", pods={1: 2})
    s.when(set_image("v2")).then(phase="Paused", step=1, pods={1: 1, 2: 1})
    s.when(undo(to_revision=1))
    s.then(phase="Healthy", current=1, stable=1, step=3, pods={1: 2, 2: 0})
    assert len(s.replicasets()) == 2  # no new ReplicaSet
    annotations = s.rs(1).metadata.annotations
    assert annotations["rollout.argoproj.io/revision"] == "3"
    assert annotations["rollout.argoproj.io/revision-history"] == "1"
    assert s.get()["metadata"]["annotations"]["rollout.argoproj.io/revision"] == "3"
    assert ("SkipSteps", "Rollback to stable ReplicaSets") in [(r, m) for r, m, _ in s.events()]
    s.stop()


def test_scenario_19_restart_replaces_pods_within_max_unavailable(lab: RolloutLab):
    """TestRolloutRestart. Deviation: the embedded API serves no Eviction subresource or
    PodDisruptionBudgets, so pods are deleted (the PDB half of the scenario is not run)."""
    strategy = {"canary": {"maxUnavailable": "75%", "steps": [{"setWeight": 25}, {"pause": {}}]}}
    s = lab.scenario("restart").given(rollout("ro", strategy, replicas=4))
    s.then(phase="Healthy", pods={1: 4})
    s.when(set_image("v2")).then(phase="Paused", pods={1: 3, 2: 1})
    s.when(restart())
    restart_at = datetime.fromisoformat(s.get()["spec"]["restartAt"].replace("Z", "+00:00"))

    def old_pods() -> int:
        pods = s.lab.core.list_namespaced_pod(s.ns, label_selector="app=ro").items
        live = [p for p in pods if p.metadata.deletion_timestamp is None]
        return sum(1 for p in live if p.metadata.creation_timestamp < restart_at)

    s.then(check=lambda _: old_pods() <= 1, timeout=30)  # three of four go at once
    s.then(restartedAt=s.get()["spec"]["restartAt"], phase="Paused", pods={1: 3, 2: 1})
    assert old_pods() == 0
    s.stop()


def test_scenario_20_manual_pause_of_healthy_rollout(lab: RolloutLab):
    """TestCanaryWithSpecPause."""
    s = lab.scenario("spec-pause").given(rollout("ro", {"canary": {"steps": [{"setWeight": 50}]}}))
    s.then(phase="Healthy")
    s.when(pause())
    s.then(phase="Paused", message="manually paused", pauses=[])
    s.then(
        conditions={
            "Paused": ("True", "RolloutPaused"),
            "Progressing": ("True", "NewReplicaSetAvailable"),
        }
    )
    assert "RolloutPaused" not in [reason for reason, _, _ in s.events()]
    s.stop()


def test_scenario_21_invalid_spec_recovers(lab: RolloutLab):
    """TestFixInvalidSpec: a missing background template, then created; re-checked every 20 s."""
    strategy = {"canary": {"analysis": {"templates": [{"templateName": "missing"}]}}}
    s = lab.scenario("invalid").given(rollout("fix-invalid-spec", strategy, replicas=0))
    s.name = "fix-invalid-spec"
    s.then(
        phase="Degraded",
        message='InvalidSpec: The Rollout "fix-invalid-spec" is invalid: '
        'spec.strategy.canary.analysis.templates: Invalid value: "missing": '
        "AnalysisTemplate 'missing' not found",
    )
    s.when(apply(web_template("missing", lab.verdicts.url(f"/{s.ns}/ok", True))))
    s.then(phase="Healthy", timeout=60)
    assert not any(c["type"] == "InvalidSpec" for c in s.status()["conditions"])
    s.stop()


def test_scenario_22_blue_green_to_canary(lab: RolloutLab):
    """TestBlueGreenToCanary: the former active Service is released."""
    s = lab.scenario("bg-to-canary")
    bg = rollout("ro", {"blueGreen": {"activeService": "ro-active"}}, replicas=2)
    s.given(service("ro-active", "ro"), bg)
    s.then(phase="Healthy", pods={1: 2}, active=1)
    canary = rollout("ro", {"canary": {"steps": [{"setWeight": 50}, {"pause": {}}]}}, replicas=2)
    canary["spec"]["template"] = agent_template("ro", "v2")
    s.when(apply(canary))
    s.then(phase="Paused", counts=(2, 2, 1, 2, 2), pods={1: 1, 2: 1})
    svc = s.service("ro-active")
    assert svc.spec.selector == {"app": "ro"}
    assert MANAGED_BY not in (svc.metadata.annotations or {})
    assert HASH not in svc.spec.selector
    s.stop()
