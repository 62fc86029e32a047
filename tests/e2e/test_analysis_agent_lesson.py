"""The chapter's lesson end to end: error rate alone misses the subtle regression.

Given three replicas of the task agent behind a NodePort Service with real traffic flowing,
when an AnalysisRun's web metric reads each pod's `/stats` through the Service's cluster DNS
name, then v4 (a third of requests fail) fails `error_rate < 0.01`, while v3 (no errors, but
far more P0 tasks) passes it and only a metric that also bounds `urgent_ratio` catches it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from analysis_support import AnalysisLab, lab_session, metric_result

from agent.traffic import run_traffic

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalysisLab]:
    yield from lab_session(tmp_path_factory)


def deploy_agent(lab: AnalysisLab, ns: str, version: str) -> int:
    labels = {"app": "agent"}
    container = {
        "name": "agent",
        "image": f"rollout-lab/task-agent:{version}",
        "ports": [{"containerPort": 8080, "name": "http"}],
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 2},
        "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
    }
    lab.apps.create_namespaced_deployment(
        ns,
        {
            "metadata": {"name": "agent"},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
            },
        },
    )
    service = lab.core.create_namespaced_service(
        ns,
        {
            "metadata": {"name": "agent"},
            "spec": {
                "type": "NodePort",
                "selector": labels,
                "ports": [{"port": 80, "targetPort": "http"}],
            },
        },
    )
    lab.kubectl("rollout", "status", "deployment/agent", "-n", ns, "--timeout=90s")
    return int(service.spec.ports[0].node_port)


def send_traffic(port: int) -> Any:
    """Real plans through the NodePort, in a thread as a learner's traffic widget would."""
    summary: list[Any] = []
    worker = threading.Thread(
        target=lambda: summary.append(run_traffic(f"http://127.0.0.1:{port}", rps=40, duration=4)),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=30)
    assert summary and summary[0].completed > 100
    return summary[0]


def stats_metric(ns: str, name: str, field: str, condition: str) -> dict[str, Any]:
    url = f"http://agent.{ns}.svc.cluster.local/stats"
    web = {"url": url, "jsonPath": f"{{$.{field}}}"}
    return {"name": name, "provider": {"web": web}, "successCondition": condition}


def test_v4_fails_the_error_rate_analysis(lab: AnalysisLab):
    ns = lab.namespace("lesson-v4")
    port = deploy_agent(lab, ns, "v4")
    traffic = send_traffic(port)
    assert traffic.error_rate > 0.2  # the loud failure is visible from outside too
    lab.given_run(ns, [stats_metric(ns, "error-rate", "error_rate", "result < 0.01")])
    run = lab.completed_run(ns)
    assert run["status"]["phase"] == "Failed"
    assert run["status"]["message"] == (
        'Metric "error-rate" assessed Failed due to failed (1) > failureLimit (0)'
    )
    measured = float(metric_result(run, "error-rate")["measurements"][0]["value"])
    assert measured > 0.1


def test_v3_passes_error_rate_but_fails_urgent_ratio(lab: AnalysisLab):
    ns = lab.namespace("lesson-v3")
    port = deploy_agent(lab, ns, "v3")
    send_traffic(port)
    error_rate = stats_metric(ns, "error-rate", "error_rate", "result < 0.01")
    lab.given_run(ns, [error_rate], name="errors-only")
    passing = lab.completed_run(ns, "errors-only")
    assert passing["status"]["phase"] == "Successful"
    assert metric_result(passing, "error-rate")["measurements"][0]["value"] == "0"

    urgent = stats_metric(ns, "urgent-ratio", "urgent_ratio", "result <= 0.15")
    lab.given_run(ns, [error_rate, urgent], name="errors-and-urgency")
    failing = lab.completed_run(ns, "errors-and-urgency")
    assert failing["status"]["phase"] == "Failed"
    assert failing["status"]["message"] == (
        'Metric "urgent-ratio" assessed Failed due to failed (1) > failureLimit (0)'
    )
    assert metric_result(failing, "error-rate")["phase"] == "Successful"
    measured = float(metric_result(failing, "urgent-ratio")["measurements"][0]["value"])
    assert measured > 0.15
