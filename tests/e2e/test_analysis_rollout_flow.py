"""Conformance scenario 17: a Rollout's step analysis drives the canary (embedded cluster).

Given a canary Rollout of the task agent with steps [setWeight 20, analysis(t), pause{}] and an
AnalysisTemplate `t` whose web metric reads a scripted HTTP server on 127.0.0.1 (so each case
decides the outcome), when the image changes, then a Successful run advances the Rollout to
step 2, a Failed run aborts it (Degraded, with the run's message) and an Inconclusive run pauses
it with `InconclusiveAnalysisRun` until promote moves it on. Time-scale 60.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from analysis_support import GROUP, VERSION, AnalysisLab, FakeServer, fake_server, lab_session

from clusters.rollouts_client.actions import promote
from clusters.rollouts_client.api import RolloutsApi

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalysisLab]:
    yield from lab_session(tmp_path_factory)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    yield from fake_server()


def given_template_and_rollout(lab: AnalysisLab, ns: str, url: str) -> None:
    metric = {
        "name": "m",
        "provider": {"web": {"url": url, "jsonPath": "{$.v}"}},
        "successCondition": "result == 1",
        "failureCondition": "result == 0",
    }
    lab.custom.create_namespaced_custom_object(
        GROUP,
        VERSION,
        ns,
        "analysistemplates",
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "AnalysisTemplate",
            "metadata": {"name": "t"},
            "spec": {"metrics": [metric]},
        },
    )
    container = {
        "name": "agent",
        "image": "rollout-lab/task-agent:v1",
        "ports": [{"containerPort": 8080, "name": "http"}],
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 2},
    }
    steps = [{"setWeight": 20}, {"analysis": {"templates": [{"templateName": "t"}]}}, {"pause": {}}]
    rollout = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Rollout",
        "metadata": {"name": "ro"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "ro"}},
            "template": {
                "metadata": {"labels": {"app": "ro"}},
                "spec": {"containers": [container]},
            },
            "strategy": {"canary": {"steps": steps}},
        },
    }
    lab.custom.create_namespaced_custom_object(GROUP, VERSION, ns, "rollouts", rollout)
    lab.wait_for(lambda: status(lab, ns).get("phase") == "Healthy", timeout=60, what="Healthy")


def status(lab: AnalysisLab, ns: str) -> dict[str, Any]:
    ro = lab.custom.get_namespaced_custom_object(GROUP, VERSION, ns, "rollouts", "ro")
    return ro.get("status") or {}


def when_the_image_changes(lab: AnalysisLab, ns: str) -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "agent", "image": "rollout-lab/task-agent:v2"}]}
            }
        }
    }
    lab.custom.patch_namespaced_custom_object(GROUP, VERSION, ns, "rollouts", "ro", patch)


def step_run(lab: AnalysisLab, ns: str) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        runs = lab.custom.list_namespaced_custom_object(GROUP, VERSION, ns, "analysisruns")["items"]
        for run in runs:
            labels = run["metadata"].get("labels") or {}
            phase = (run.get("status") or {}).get("phase")
            if labels.get("rollout-type") == "Step" and phase in (
                "Successful",
                "Failed",
                "Inconclusive",
                "Error",
            ):
                return run
        return None

    return lab.wait_for(finished, timeout=60, what="the step AnalysisRun to complete")


def test_s17_successful_run_moves_to_the_pause_step(lab: AnalysisLab, server: FakeServer):
    ns = lab.namespace("s17ok")
    server.script({"v": 1})
    given_template_and_rollout(lab, ns, server.url)
    when_the_image_changes(lab, ns)
    run = step_run(lab, ns)
    assert run["status"]["phase"] == "Successful"
    assert run["metadata"]["labels"]["step-index"] == "1"
    lab.wait_for(
        lambda: (
            status(lab, ns).get("currentStepIndex") == 2
            and status(lab, ns).get("phase") == "Paused"
        ),
        timeout=30,
        what="step 2, paused",
    )
    assert status(lab, ns)["message"] == "CanaryPauseStep"


def test_s17_failed_run_aborts_the_rollout(lab: AnalysisLab, server: FakeServer):
    ns = lab.namespace("s17fail")
    server.script({"v": 0})
    given_template_and_rollout(lab, ns, server.url)
    when_the_image_changes(lab, ns)
    run = step_run(lab, ns)
    assert run["status"]["phase"] == "Failed"
    message = 'Metric "m" assessed Failed due to failed (1) > failureLimit (0)'
    assert run["status"]["message"] == message
    lab.wait_for(lambda: status(lab, ns).get("phase") == "Degraded", timeout=30, what="Degraded")
    current = status(lab, ns)
    assert current["abort"] is True
    assert current["message"] == (
        "RolloutAborted: Rollout aborted update to revision 2: "
        f"Step-based analysis phase error/failed: {message}"
    )


def test_s17_inconclusive_run_pauses_until_promoted(lab: AnalysisLab, server: FakeServer):
    ns = lab.namespace("s17inc")
    server.script({"v": 0.5})
    given_template_and_rollout(lab, ns, server.url)
    when_the_image_changes(lab, ns)
    run = step_run(lab, ns)
    assert run["status"]["phase"] == "Inconclusive"

    def paused_inconclusive() -> bool:
        current = status(lab, ns)
        reasons = [c.get("reason") for c in current.get("pauseConditions") or []]
        return current.get("phase") == "Paused" and "InconclusiveAnalysisRun" in reasons

    lab.wait_for(paused_inconclusive, timeout=30, what="a pause for the inconclusive run")
    assert status(lab, ns)["currentStepIndex"] == 1
    promote(RolloutsApi(lab.api), ns, "ro")
    lab.wait_for(lambda: status(lab, ns).get("currentStepIndex") == 2, timeout=30, what="step 2")
