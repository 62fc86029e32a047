"""Analysis conformance scenarios for prometheus and job metrics on the embedded cluster.

Given an AnalysisRun created through the API, when the cluster's controller queries a small
fake Prometheus (a test HTTP server on 127.0.0.1 speaking `/api/v1/query`) or runs a batch Job
of the agent image (`python -m agent check` against a real agent Deployment and Service), then
measurements and phases match Argo Rollouts v1.9.1. Time-scale 60: a cluster minute is a second.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from analysis_support import (
    AnalysisLab,
    FakeServer,
    assert_spacing,
    fake_server,
    lab_session,
    metric_result,
    offsets,
    phases,
    prometheus_vector,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalysisLab]:
    yield from lab_session(tmp_path_factory)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    yield from fake_server()


def prom(address: str, **fields: Any) -> dict[str, Any]:
    query = {"address": address, "query": 'sum(rate(http_requests_total{code=~"5.."}[1m]))'}
    return {"name": "m", "provider": {"prometheus": query}, **fields}


def test_s05_empty_vector_unguarded_errors_the_run(lab: AnalysisLab, server: FakeServer):
    ns = lab.namespace("s05")
    server.script(prometheus_vector())
    lab.given_run(ns, [prom(server.url, successCondition="result[0] >= 0.95")])
    run = lab.completed_run(ns)
    # v1.9.1 (expr v1.15.5) reports Go's reflect panic; later releases word it differently.
    assert run["status"]["phase"] == "Error"
    assert run["status"]["message"] == (
        'Metric "m" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): '
        '"Error Message: reflect: slice index out of range"'
    )
    assert phases(run) == ["Error"] * 5
    assert_spacing(offsets(run), (0, 10, 20, 30, 40))
    assert metric_result(run)["metadata"] == {
        "ResolvedPrometheusQuery": 'sum(rate(http_requests_total{code=~"5.."}[1m]))'
    }
    methods = {method for method, path, _ in server.requests if path == "/api/v1/query"}
    assert methods == {"POST"}


@pytest.mark.parametrize(
    ("condition", "phase", "message"),
    [
        ("len(result) == 0 || result[0] >= 0.95", "Successful", None),
        (
            "len(result) > 0 && result[0] >= 0.95",
            "Failed",
            'Metric "m" assessed Failed due to failed (1) > failureLimit (0)',
        ),
    ],
)
def test_s06_empty_vector_guarded(lab: AnalysisLab, server: FakeServer, condition, phase, message):
    ns = lab.namespace("s06")
    server.script(prometheus_vector())
    lab.given_run(ns, [prom(server.url, successCondition=condition)])
    run = lab.completed_run(ns)
    assert run["status"]["phase"] == phase
    assert run["status"].get("message") == message
    assert metric_result(run)["measurements"][0]["value"] == "[]"


def test_s07_interval_and_failure_limit(lab: AnalysisLab, server: FakeServer):
    ns = lab.namespace("s07")
    server.script(*(prometheus_vector(v) for v in ("0.99", "0.90", "0.97", "0.80", "0.99")))
    metric = prom(
        server.url, interval="1m", count=5, failureLimit=1, successCondition="result[0] >= 0.95"
    )
    lab.given_run(ns, [metric])
    run = lab.completed_run(ns, timeout=20)
    assert run["status"]["phase"] == "Failed"
    assert run["status"]["message"] == (
        'Metric "m" assessed Failed due to failed (2) > failureLimit (1)'
    )
    assert phases(run) == ["Successful", "Failed", "Successful", "Failed"]
    assert [m["value"] for m in metric_result(run)["measurements"]] == [
        "[0.99]",
        "[0.9]",
        "[0.97]",
        "[0.8]",
    ]
    assert_spacing(offsets(run), (0, 60, 120, 180))
    assert len(server.requests) == 4  # the fifth measurement is never taken


def test_s08_nan_scalar_with_both_conditions_is_inconclusive(lab: AnalysisLab, server: FakeServer):
    ns = lab.namespace("s08")
    server.script({"status": "success", "data": {"resultType": "scalar", "result": [1, "NaN"]}})
    metric = prom(server.url, successCondition="result >= 0.95", failureCondition="result < 0.95")
    lab.given_run(ns, [metric])
    run = lab.completed_run(ns)
    assert run["status"]["phase"] == "Inconclusive"
    assert run["status"]["message"] == (
        'Metric "m" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)'
    )
    assert metric_result(run)["measurements"][0]["value"] == "NaN"


def test_prometheus_that_does_not_answer_is_an_error_not_a_number(lab: AnalysisLab):
    ns = lab.namespace("noprom")
    lab.given_run(ns, [prom("http://127.0.0.1:9", successCondition="result[0] >= 0.95")])
    run = lab.completed_run(ns)
    assert run["status"]["phase"] == "Error"
    assert {m["message"] for m in metric_result(run)["measurements"]} == {
        'Post "http://127.0.0.1:9/api/v1/query": dial tcp 127.0.0.1:9: connect: connection refused'
    }
    assert all("value" not in m for m in metric_result(run)["measurements"])


# -- job metrics -------------------------------------------------------------------------------


def agent(lab: AnalysisLab, ns: str, image: str = "rollout-lab/task-agent:v1") -> None:
    labels = {"app": "agent"}
    container = {
        "name": "agent",
        "image": image,
        "ports": [{"containerPort": 8080, "name": "http"}],
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 2},
    }
    lab.apps.create_namespaced_deployment(
        ns,
        {
            "metadata": {"name": "agent"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
            },
        },
    )
    lab.core.create_namespaced_service(
        ns,
        {
            "metadata": {"name": "agent"},
            "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": "http"}]},
        },
    )
    lab.kubectl("rollout", "status", "deployment/agent", "-n", ns, "--timeout=60s")


def job_metric(url: str, image: str = "rollout-lab/task-agent:v1") -> dict[str, Any]:
    container = {
        "name": "check",
        "image": image,
        "args": ["check", "--url", url, "--max-error-rate", "0.01"],
    }
    spec = {
        "backoffLimit": 0,
        "template": {"spec": {"restartPolicy": "Never", "containers": [container]}},
    }
    return {
        "name": "m",
        "provider": {"job": {"metadata": {"labels": {"lab": "s13"}}, "spec": spec}},
    }


def test_s13_job_complete_is_successful_and_failed_is_failed(lab: AnalysisLab):
    ns = lab.namespace("s13")
    agent(lab, ns)
    good = job_metric(f"http://agent.{ns}.svc.cluster.local/stats")
    lab.given_run(ns, [good], name="good")
    bad = job_metric(f"http://nothing.{ns}.svc.cluster.local/stats")
    lab.given_run(ns, [bad], name="bad")

    run = lab.completed_run(ns, "good", timeout=60)
    assert run["status"]["phase"] == "Successful"
    (measurement,) = metric_result(run)["measurements"]
    assert measurement["phase"] == "Successful" and "value" not in measurement
    uid = run["metadata"]["uid"]
    assert measurement["metadata"] == {"job-name": f"{uid}.m.1", "job-namespace": ns}
    job = lab.batch.read_namespaced_job(f"{uid}.m.1", ns)
    assert [c.type for c in job.status.conditions][-1] == "Complete"
    assert job.metadata.labels == {"lab": "s13", "analysisrun.argoproj.io/uid": uid}
    assert job.metadata.owner_references[0].kind == "AnalysisRun"
    pods = lab.core.list_namespaced_pod(ns, label_selector=f"job-name={uid}.m.1").items
    assert [p.status.phase for p in pods] == ["Succeeded"]

    failed = lab.completed_run(ns, "bad", timeout=60)
    assert failed["status"]["phase"] == "Failed"
    assert failed["status"]["message"] == (
        'Metric "m" assessed Failed due to failed (1) > failureLimit (0)'
    )
    bad_job = lab.batch.read_namespaced_job(f"{failed['metadata']['uid']}.m.1", ns)
    reasons = [(c.type, c.reason) for c in bad_job.status.conditions]
    assert ("Failed", "BackoffLimitExceeded") in reasons
    printed = lab.kubectl("get", "jobs", "-n", ns).stdout
    assert "Complete" in printed and "Failed" in printed


def test_s13_image_pull_failure_keeps_waiting_in_v191_until_terminated(lab: AnalysisLab):
    ns = lab.namespace("s13i")
    lab.given_run(ns, [job_metric("http://x/stats", image="nginx:1.27")])

    def pulling() -> bool:
        for pod in lab.core.list_namespaced_pod(ns).items:
            for status in (pod.status and pod.status.container_statuses) or []:
                if status.state.waiting and status.state.waiting.reason in (
                    "ErrImagePull",
                    "ImagePullBackOff",
                ):
                    return True
        return False

    lab.wait_for(pulling, timeout=30, what="the job pod to fail pulling its image")
    import time

    time.sleep(2)  # two cluster minutes: v1.9.1 has no image-pull shortcut (v1.10 has)
    run = lab.run(ns)
    assert run["status"]["phase"] == "Running"
    assert phases(run) == ["Running"]
    lab.terminate(ns)
    run = lab.completed_run(ns)
    assert (run["status"]["phase"], run["status"]["message"]) == ("Successful", "Run Terminated")
    (measurement,) = metric_result(run)["measurements"]
    assert (measurement["phase"], measurement["message"]) == ("Successful", "Metric Terminated")
    lab.wait_for(lambda: not lab.batch.list_namespaced_job(ns).items, what="the job to be deleted")


def test_web_metric_reaches_a_service_by_its_short_names(lab: AnalysisLab):
    ns = lab.namespace("dns")
    agent(lab, ns)
    hosts = ("agent", f"agent.{ns}", f"agent.{ns}.svc", f"agent.{ns}.svc.cluster.local")
    for index, host in enumerate(hosts):
        web = {"url": f"http://{host}/stats", "jsonPath": "{$.version}"}
        metric = {"name": "m", "provider": {"web": web}, "successCondition": 'result == "v1"'}
        lab.given_run(ns, [metric], name=f"run-{index}")
    for index in range(len(hosts)):
        run = lab.completed_run(ns, f"run-{index}")
        assert run["status"]["phase"] == "Successful", run["status"]
        assert metric_result(run)["measurements"][0]["value"] == '"v1"'
