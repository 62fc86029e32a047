"""Canary conformance scenarios 9 and 11-17 (controller spec §10): services, step and
background analysis, promote/--full, rollback window. AnalysisRuns are measured by the real
embedded AnalysisRun controller against a local web endpoint (`Verdicts`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_rollouts_actions import (
    abort,
    apply,
    promote,
    set_image,
)
from test_rollouts_harness import (
    HASH,
    MANAGED_BY,
    RolloutLab,
    rollout,
    service,
    web_template,
)

from clusters.embedded.cluster import EmbeddedCluster

pytestmark = pytest.mark.slow
TIME_SCALE = 20
STEP_FAILED = (
    "RolloutAborted: Rollout aborted update to revision 2: Step-based analysis phase error/failed"
)


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


def templates(lab: RolloutLab, ns: str) -> list[dict]:
    """pass: one good measurement; fail: one bad one; slow: runs for hours; odd: inconclusive."""
    v = lab.verdicts
    return [
        web_template("pass", v.url(f"/{ns}/pass", True)),
        web_template("fail", v.url(f"/{ns}/fail", False)),
        web_template("slow", v.url(f"/{ns}/slow", True), interval="1h", count=2),
        web_template("forever", v.url(f"/{ns}/forever", True), interval="1h"),
        web_template(
            "odd",
            v.url(f"/{ns}/odd", 3),
            successCondition="result > 5",
            failureCondition="result < 2",
        ),
    ]


def analysis(name: str) -> dict:
    return {"analysis": {"templates": [{"templateName": name}]}}


def test_scenario_9_decreasing_weight_honours_max_unavailable(lab: RolloutLab):
    """TestReduceWeightAndHonorMaxUnavailable."""
    steps = [
        {"setWeight": 100}, {"pause": {}}, {"setWeight": 0}, {"pause": {}},
        {"setWeight": 100}, analysis("fail"),
    ]  # fmt: skip
    strategy = {"canary": {"maxSurge": 2, "maxUnavailable": 0, "steps": steps}}
    s = lab.scenario("reduce-weight")
    s.given(*templates(lab, s.ns), rollout("ro", strategy, replicas=3))
    s.then(phase="Healthy", pods={1: 3})
    s.when(set_image("v2")).then(phase="Paused", step=1, pods={1: 0, 2: 3})
    s.when(promote()).then(phase="Paused", step=3, pods={1: 3, 2: 0})
    s.when(promote())
    s.then(phase="Degraded", runs=1, pods={1: 3, 2: 0})
    assert s.status()["message"].startswith(STEP_FAILED)
    s.stop()


def test_scenario_11_basic_canary_services_and_abort(lab: RolloutLab):
    """TestCanaryScaleDownOnAbortNoTrafficRouting."""
    strategy = {
        "canary": {
            "canaryService": "ro-canary",
            "stableService": "ro-stable",
            "steps": [{"setWeight": 50}, {"pause": {}}],
        }
    }
    s = lab.scenario("services")
    s.given(service("ro-canary", "ro"), service("ro-stable", "ro"), rollout("ro", strategy))
    s.then(phase="Healthy", pods={1: 1})
    stable = s.service("ro-stable")
    assert stable.spec.selector == {"app": "ro", HASH: s.H(1)}
    assert stable.metadata.annotations[MANAGED_BY] == "ro"
    s.when(set_image("v2")).then(phase="Paused", pods={1: 1, 2: 1})
    s.then(check=lambda sc: sc.service("ro-canary").spec.selector.get(HASH) == sc.H(2))
    assert s.service("ro-stable").spec.selector[HASH] == s.H(1)
    s.when(abort()).then(phase="Degraded", pods={1: 1, 2: 0})
    s.then(check=lambda sc: sc.service("ro-canary").spec.selector == {"app": "ro", HASH: sc.H(1)})
    s.stop()


def test_scenario_12_promote_through_pause_and_analysis_then_full(lab: RolloutLab):
    """TestCanaryPromoteFull."""
    steps = [{"pause": {"duration": "24h"}}, analysis("slow"), {"pause": {}}, analysis("slow")]
    background = {"templates": [{"templateName": "forever"}], "startingStep": 4}
    s = lab.scenario("promote-full")
    s.given(
        *templates(lab, s.ns), rollout("ro", {"canary": {"steps": steps, "analysis": background}})
    )
    s.then(phase="Healthy", runs=0)
    s.when(set_image("v2")).then(phase="Paused", step=0, pods={1: 1, 2: 0})
    s.when(promote()).then(phase="Progressing", step=1, runs=1)
    run = s.runs()[0]
    assert run["metadata"]["name"] == f"ro-{s.H(2)}-2-1"
    s.then(**{"canary.currentStepAnalysisRunStatus.status": "Running"})
    s.when(promote()).then(phase="Paused", step=2, runs=1)
    s.then(check=lambda sc: sc.runs()[0]["spec"].get("terminate") is True)
    s.when(abort()).then(phase="Degraded", step=0)
    s.when(promote(full=True)).then(phase="Healthy", stable=2, abort=False, runs=1)
    s.stop()


def test_scenario_13_step_analysis(lab: RolloutLab):
    """TestCanaryInlineAnalysis: three step runs, labelled Step with their index."""
    steps = [{"setWeight": 10}, analysis("pass"), {"pause": {}}, analysis("pass"), analysis("pass")]
    s = lab.scenario("inline")
    s.given(*templates(lab, s.ns), rollout("ro", {"canary": {"steps": steps}}))
    s.then(phase="Healthy", runs=0)
    s.when(set_image("v2")).then(phase="Paused", step=2, runs=1)
    assert s.runs()[0]["status"]["phase"] == "Successful"
    s.when(promote()).then(phase="Healthy", stable=2, runs=3)
    h2 = s.H(2)
    names = [r["metadata"]["name"] for r in s.runs()]
    assert names == [f"ro-{h2}-2-1", f"ro-{h2}-2-3", f"ro-{h2}-2-4"]
    for run, index in zip(s.runs(), ("1", "3", "4"), strict=True):
        labels = run["metadata"]["labels"]
        assert labels["rollout-type"] == "Step" and labels["step-index"] == index
        assert labels[HASH] == h2 and labels["app"] == "ro"
        assert run["metadata"]["ownerReferences"][0]["name"] == "ro"
    s.stop()


def test_scenario_14_failing_step_analysis(lab: RolloutLab):
    """TestCanaryFailInlineMultipleAnalysis."""
    steps = [{"setWeight": 10}, {"pause": {}}, analysis("fail")]
    s = lab.scenario("inline-fail")
    s.given(*templates(lab, s.ns), rollout("ro", {"canary": {"steps": steps}}))
    s.then(phase="Healthy")
    s.when(set_image("v2")).then(phase="Paused")
    s.when(promote()).then(phase="Degraded", pods={1: 1, 2: 0}, runs=1)
    assert s.status()["message"].startswith(STEP_FAILED)
    reasons = [reason for reason, _, _ in s.events()]
    assert "AnalysisRunFailed" in reasons
    s.stop()


def test_scenario_15_background_analysis(lab: RolloutLab):
    """TestCanaryBackgroundAnalysis: one Background run for the update, terminated on promote."""
    strategy = {
        "canary": {
            "steps": [{"setWeight": 10}, {"pause": {}}],
            "analysis": {"templates": [{"templateName": "forever"}]},
        }
    }
    s = lab.scenario("background")
    s.given(*templates(lab, s.ns), rollout("ro", strategy))
    s.then(phase="Healthy", runs=0)
    s.when(set_image("v2")).then(phase="Paused", runs=1)
    s.then(**{"canary.currentBackgroundAnalysisRunStatus.status": "Running"})
    run = s.runs()[0]
    assert run["metadata"]["name"] == f"ro-{s.H(2)}-2"
    assert run["metadata"]["labels"]["rollout-type"] == "Background"
    s.when(promote()).then(phase="Healthy", stable=2)
    s.then(check=lambda sc: sc.runs()[0].get("status", {}).get("phase") == "Successful")
    assert s.runs()[0]["spec"]["terminate"] is True
    s.stop()


def test_scenario_16_inconclusive_background(lab: RolloutLab):
    """TestCanaryInconclusiveBackgroundAnalysis."""
    strategy = {
        "canary": {
            "steps": [{"setWeight": 10}, {"pause": {"duration": "30s"}}],
            "analysis": {"templates": [{"templateName": "odd"}], "startingStep": 1},
        }
    }
    s = lab.scenario("inconclusive")
    s.given(*templates(lab, s.ns), rollout("ro", strategy, replicas=2))
    s.then(phase="Healthy")
    s.when(set_image("v2"))
    s.then(phase="Paused", message="InconclusiveAnalysisRun", pauses=["InconclusiveAnalysisRun"])
    s.then(runs=1, **{"canary.currentBackgroundAnalysisRunStatus.status": "Inconclusive"})
    sizes = {rs.metadata.name: rs.spec.replicas for rs in s.replicasets()}
    s.then(phase="Paused", message="InconclusiveAnalysisRun", timeout=3)
    assert {rs.metadata.name: rs.spec.replicas for rs in s.replicasets()} == sizes
    s.stop()


def test_scenario_17_rollback_window(lab: RolloutLab):
    """TestRollbackAnalysisWithinWindow / ...OutsideWindow."""
    steps = [{"setWeight": 50}, analysis("pass")]
    body = rollout("ro", {"canary": {"steps": steps}}, replicas=2, rollbackWindow={"revisions": 2})
    s = lab.scenario("window")
    s.given(*templates(lab, s.ns), body)
    s.then(phase="Healthy")
    for version, runs in (("v2", 1), ("v3", 2), ("v4", 3)):
        s.when(set_image(version)).then(phase="Healthy", runs=runs, current=int(version[1]))
    # Within the window: one RS (H3) lies between H2 and the stable H4.
    s.when(set_image("v2"))
    s.then(phase="Healthy", current=2, stable=2, runs=3, step=2)
    annotations = s.rs(2).metadata.annotations
    assert annotations["rollout.argoproj.io/revision"] == "5"
    assert annotations["rollout.argoproj.io/revision-history"] == "2"
    # H2 had no pods left (a basic canary scales old RSs to 0), so no SkipSteps event: the
    # steps are skipped by the status sync and the promotion names the window.
    completed = [m for r, m, _ in s.events() if r == "RolloutCompleted"]
    assert (
        completed[-1]
        == f"Rollout completed update to revision 5 ({s.H(2)}): Rollback within window"
    )
    s.stop()
    # Outside the window: H2 and H3 lie between H1 and the stable H4 -> full steps, one more run.
    o = lab.scenario("window-out")
    o.given(*templates(lab, o.ns), body)
    o.then(phase="Healthy")
    for version, runs in (("v2", 1), ("v3", 2), ("v4", 3)):
        o.when(set_image(version)).then(phase="Healthy", runs=runs, current=int(version[1]))
    o.when(set_image("v1")).then(phase="Healthy", current=1, stable=1, runs=4)
    o.stop()


def test_scenario_12b_apply_changes_steps_resets_progress(lab: RolloutLab):
    """Changing the steps while paused resets the step index (currentStepHash changes)."""
    s = lab.scenario("steps-change")
    s.given(rollout("ro", {"canary": {"steps": [{"setWeight": 50}, {"pause": {}}]}}))
    s.then(phase="Healthy")
    s.when(set_image("v2")).then(phase="Paused", step=1)
    old_hash = s.status()["currentStepHash"]
    new = rollout("ro", {"canary": {"steps": [{"pause": {}}, {"setWeight": 50}, {"pause": {}}]}})
    new["spec"]["template"] = s.get()["spec"]["template"]
    s.when(apply(new)).then(phase="Paused", step=0, pods={1: 1, 2: 0})
    assert s.status()["currentStepHash"] != old_hash
    s.stop()
