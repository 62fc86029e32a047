"""Blue-green conformance scenarios 23-32 (controller spec §10) on the embedded cluster.

Services `ro-active` / `ro-preview` select `app: ro`. Time runs 20x faster; where a scenario
needs to observe a delay (a waiting old RS, a timed auto-promotion) the delay is written 20x
longer than upstream's test so it lasts the same real time; the counts and outcomes are theirs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_rollouts_actions import (
    abort,
    patch_spec,
    promote,
    retry,
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
DEADLINE = "scale-down-deadline"


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


def blue_green(
    replicas: int = 1, preview: bool = False, spec: dict | None = None, **settings: object
) -> dict:
    strategy: dict = {"activeService": "ro-active", **settings}
    if preview:
        strategy["previewService"] = "ro-preview"
    return rollout("ro", {"blueGreen": strategy}, replicas=replicas, **(spec or {}))


def services() -> list[dict]:
    return [service("ro-active", "ro"), service("ro-preview", "ro")]


def selector(s, name: str) -> str | None:
    return (s.service(name).spec.selector or {}).get(HASH)


def test_scenario_23_plain_update(lab: RolloutLab):
    """TestBlueGreenUpdate (scaleDownDelaySeconds 10 written as 200: 10 real seconds)."""
    s = lab.scenario("bg-update")
    s.given(*services(), blue_green(replicas=3, scaleDownDelaySeconds=200))
    s.then(phase="Healthy", counts=(3, 3, 3, 3, 3), active=1)
    active = s.service("ro-active")
    assert active.spec.selector == {"app": "ro", HASH: s.H(1)}
    assert active.metadata.annotations[MANAGED_BY] == "ro"
    s.when(set_image("v2"))
    s.then(phase="Healthy", active=2, stable=2, counts=(3, 6, 3, 3, 3), pods={1: 3, 2: 3})
    assert DEADLINE in s.rs(1).metadata.annotations
    s.then(pods={1: 0, 2: 3}, counts=(3, 3, 3, 3, 3), timeout=60)
    assert DEADLINE not in (s.rs(1).metadata.annotations or {})
    reasons = [reason for reason, _, _ in s.events()]
    assert reasons[:6] == [
        "RolloutAddedToInformer", "RolloutUpdated", "NewReplicaSetCreated",
        "ScalingReplicaSet", "RolloutCompleted", "SwitchService",
    ]  # fmt: skip
    s.stop()


def test_scenario_24_manual_promotion(lab: RolloutLab):
    """TestKubectlWaitForPaused."""
    s = lab.scenario("bg-manual")
    s.given(*services(), blue_green(autoPromotionEnabled=False))
    s.then(phase="Healthy", active=1)
    s.when(set_image("v2"))
    s.then(
        phase="Paused",
        message="BlueGreenPause",
        active=1,
        conditions={"Paused": ("True", "RolloutPaused")},
    )
    s.when(promote())
    s.then(phase="Healthy", active=2, stable=2, conditions={"Paused": ("False", "RolloutPaused")})
    s.stop()


def test_scenario_25_preview_replica_count(lab: RolloutLab):
    """TestBlueGreenPreviewReplicaCount (+ PromoteFull): paused past the progress deadline."""
    for full in (False, True):
        s = lab.scenario("bg-preview")
        body = blue_green(
            replicas=2, preview=True, previewReplicaCount=1, autoPromotionEnabled=False,
            scaleDownDelaySeconds=5, spec={"progressDeadlineSeconds": 10},
        )  # fmt: skip
        s.given(*services(), body).then(phase="Healthy", active=1)
        s.when(set_image("v2"))
        s.then(phase="Paused", pods={1: 2, 2: 1}, preview=2, active=1, counts=(2, 3, 1, 2, 2))
        time.sleep(2)  # 40 cluster seconds: far past progressDeadlineSeconds
        s.then(phase="Paused", message="BlueGreenPause", timeout=1)
        s.when(promote(full=full))
        s.then(phase="Healthy", active=2, stable=2, preview=2)
        s.then(pods={1: 0, 2: 2}, counts=(2, 2, 2, 2, 2))
        s.saw(replicas=4, updatedReplicas=2, availableReplicas=2, phase="Healthy")
        s.stop()


def test_scenario_26_pre_post_analysis_and_fast_rollback(lab: RolloutLab):
    """TestBlueGreenAnalysis (the 5 s jobs are web metrics with initialDelay 60 s = 3 s real;
    scaleDownDelaySeconds 600 keeps the old RS long enough to roll back within it)."""
    s = lab.scenario("bg-analysis")
    url = lab.verdicts.url(f"/{s.ns}/ok", True)
    analysis = {"templates": [{"templateName": "slow-pass"}]}
    body = blue_green(
        preview=True, autoPromotionEnabled=False, scaleDownDelaySeconds=600,
        prePromotionAnalysis=analysis, postPromotionAnalysis=analysis,
    )  # fmt: skip
    s.given(*services(), web_template("slow-pass", url, initialDelay="60s"), body)
    s.then(phase="Healthy", active=1, runs=0)
    s.when(set_image("v2"))
    s.saw(phase="Progressing")
    s.then(phase="Paused", active=1, preview=2, runs=1)
    assert s.runs()[0]["metadata"]["name"] == f"ro-{s.H(2)}-2-pre"
    assert s.runs()[0]["metadata"]["labels"]["rollout-type"] == "PrePromotion"
    s.when(promote())
    s.then(active=2, runs=2, phase="Progressing", message="waiting for analysis to complete")
    assert s.runs()[1]["metadata"]["name"] == f"ro-{s.H(2)}-2-post"
    assert s.status()["stableRS"] == s.H(1)
    s.then(counts=(1, 2, 1, 1, 1))
    s.then(phase="Healthy", stable=2)
    s.when(set_image("v1"))
    s.then(phase="Healthy", stable=1, active=1, preview=1, current=1, runs=2)
    assert s.rs(1).metadata.annotations["rollout.argoproj.io/revision"] == "3"
    s.stop()


def test_scenario_27_pre_promotion_failure_then_retry(lab: RolloutLab):
    """TestBlueGreenPrePromotionFail: fix the analysis args in the spec, then retry."""
    s = lab.scenario("bg-pre-fail")
    v = lab.verdicts
    v.url(f"/{s.ns}/fail", False)
    v.url(f"/{s.ns}/pass", True)
    template = web_template("verdict", "", successCondition="result == true")
    template["spec"]["args"] = [{"name": "path"}]
    port = v.server.server_port
    template["spec"]["metrics"][0]["provider"]["web"]["url"] = (
        f"http://127.0.0.1:{port}/{s.ns}/{{{{args.path}}}}"
    )
    pre = {"templates": [{"templateName": "verdict"}], "args": [{"name": "path", "value": "fail"}]}
    body = blue_green(
        replicas=2, preview=True, previewReplicaCount=1, abortScaleDownDelaySeconds=0,
        autoPromotionEnabled=False, prePromotionAnalysis=pre,
    )  # fmt: skip
    s.given(*services(), template, body).then(phase="Healthy", active=1)
    s.when(set_image("v2"))
    s.then(phase="Degraded", stable=1, active=1, preview=2, pods={1: 2, 2: 1}, runs=1)
    assert "Blue/green pre-promotion analysis phase error/failed" in s.status()["message"]
    time.sleep(1)
    s.then(pods={2: 1}, timeout=1)  # abortScaleDownDelaySeconds 0: the preview stays up
    fixed = {**pre, "args": [{"name": "path", "value": "pass"}]}
    s.when(patch_spec({"strategy": {"blueGreen": {"prePromotionAnalysis": fixed}}}), retry())
    s.then(runs=2, phase="Paused")
    s.when(promote())
    s.then(phase="Healthy", stable=2, active=2, preview=2)
    s.stop()


def test_scenario_28_post_promotion_failure(lab: RolloutLab):
    """TestBlueGreenPostPromotionFail: the active Service goes back to the stable RS."""
    s = lab.scenario("bg-post-fail")
    url = lab.verdicts.url(f"/{s.ns}/bad", False)
    post = {"templates": [{"templateName": "bad"}]}
    body = blue_green(preview=True, autoPromotionEnabled=False, postPromotionAnalysis=post)
    s.given(*services(), web_template("bad", url), body).then(phase="Healthy", active=1)
    s.when(set_image("v2")).then(phase="Paused", active=1, preview=2)
    h2 = s.H(2)
    s.when(promote())
    s.saw(**{"blueGreen.activeSelector": h2})
    s.then(phase="Degraded", active=1, preview=2, stable=1, runs=1)
    assert "Blue/green post-promotion analysis phase error/failed" in s.status()["message"]
    assert selector(s, "ro-active") == s.H(1)
    s.stop()


def test_scenario_29_auto_promotion_seconds(lab: RolloutLab):
    """TestBlueGreenKitchenSink (autoPromotionSeconds 10 -> 100 and the abort delay 30 -> 600
    so both last long enough to observe at 20x)."""
    s = lab.scenario("bg-kitchen")
    good = lab.verdicts.url(f"/{s.ns}/good", True)
    bad = lab.verdicts.url(f"/{s.ns}/bad", False)
    body = blue_green(
        replicas=2, preview=True, previewReplicaCount=1, autoPromotionSeconds=100,
        abortScaleDownDelaySeconds=600,
        prePromotionAnalysis={"templates": [{"templateName": "good"}]},
        postPromotionAnalysis={"templates": [{"templateName": "bad"}]},
    )  # fmt: skip
    s.given(*services(), web_template("good", good), web_template("bad", bad), body)
    s.then(phase="Healthy", active=1)
    s.when(set_image("v2")).then(phase="Paused", counts=(2, 3, 1, 2, 2))
    time.sleep(2)
    s.then(phase="Paused", active=1, timeout=1)
    s.saw(**{"blueGreen.activeSelector": s.H(2)})
    s.then(phase="Degraded", active=1, runs=2, pods={1: 2, 2: 2})
    assert DEADLINE in s.rs(2).metadata.annotations
    s.stop()


def test_scenario_30_abort_with_delay(lab: RolloutLab):
    """TestBlueGreenScaleDownOnAbort (abortScaleDownDelaySeconds 1 = 0.05 s real)."""
    s = lab.scenario("bg-abort")
    body = blue_green(
        replicas=2, previewReplicaCount=1, autoPromotionEnabled=False, abortScaleDownDelaySeconds=1
    )
    s.given(*services(), body).then(phase="Healthy", active=1)
    s.when(set_image("v2")).then(phase="Paused", pods={1: 2, 2: 1})
    s.when(abort()).then(phase="Degraded", pods={1: 2, 2: 0}, active=1)
    s.stop()


def test_scenario_31_scale_down_delay_revision_limit(lab: RolloutLab):
    """TestBlueGreenScaleDownDelay."""
    s = lab.scenario("bg-limit")
    body = blue_green(scaleDownDelaySeconds=86400, scaleDownDelayRevisionLimit=2)
    s.given(*services(), body).then(phase="Healthy", active=1)
    s.when(set_image("v2")).then(phase="Healthy", active=2, counts=(1, 2, 1, 1, 1), pods={1: 1})
    s.when(set_image("v3")).then(phase="Healthy", active=3)
    s.when(set_image("v4")).then(phase="Healthy", active=4)
    s.then(pods={1: 0, 2: 1, 3: 1, 4: 1}, counts=(1, 3, 1, 1, 1))
    s.when(patch_spec({"strategy": {"blueGreen": {"scaleDownDelayRevisionLimit": 1}}}))
    s.then(pods={1: 0, 2: 0, 3: 1, 4: 1}, counts=(1, 2, 1, 1, 1))
    s.stop()


def test_scenario_32_progress_deadline_abort(lab: RolloutLab):
    """TestBlueGreenExceedProgressDeadlineAbort."""
    s = lab.scenario("bg-deadline")
    body = blue_green(abortScaleDownDelaySeconds=2)
    s.given(*services(), body).then(phase="Healthy", active=1)
    s.when(patch_spec({"progressDeadlineSeconds": 1}), set_image("v2", crash=True))
    s.then(phase="Degraded", abort=False, pods={2: 1})
    assert s.status()["message"].startswith("ProgressDeadlineExceeded")
    s.when(patch_spec({"progressDeadlineAbort": True}))
    s.then(abort=True, phase="Degraded", pods={1: 1, 2: 0})
    types = sorted(c["type"] for c in s.status()["conditions"])
    assert types == ["Available", "Completed", "Healthy", "Progressing"]
    s.stop()
