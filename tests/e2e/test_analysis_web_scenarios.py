"""Analysis conformance scenarios (web metrics, run rules) against the embedded cluster.

Given an AnalysisRun created through the API (the official Python client), when the cluster's
AnalysisRun controller measures a web endpoint, then status, messages and timing match Argo
Rollouts v1.9.1. Endpoints are a scripted HTTP server on 127.0.0.1 (exact bodies: a JSON bool,
a 503) reached by URL. The cluster runs at time-scale 60: a cluster minute is a second.
"""

from __future__ import annotations

import time
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
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalysisLab]:
    yield from lab_session(tmp_path_factory)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    yield from fake_server()


def web(url: str, name: str = "m", path: str = "{$.data.ok}", **fields: Any) -> dict[str, Any]:
    return {"name": name, "provider": {"web": {"url": url, "jsonPath": path}}, **fields}


def test_s01_json_bool_one_shot_is_successful(lab: AnalysisLab, server: FakeServer):
    ns = lab.namespace("s01")
    server.script({"data": {"ok": True}})
    lab.given_run(ns, [web(server.url, successCondition="result == true")])
    run = lab.completed_run(ns)
    assert run["status"]["phase"] == "Successful"
    assert run["status"]["runSummary"] == {"count": 1, "successful": 1}
    result = metric_result(run)
    assert (result["count"], result["phase"]) == (1, "Successful")
    assert result["measurements"][0]["value"] == "true"
    printed = lab.kubectl("get", "ar", "-n", ns).stdout
    assert "STATUS" in printed and "Successful" in printed


def test_s02_string_compared_with_bool_errors_five_times(lab: AnalysisLab, server: FakeServer):
    ns = lab.namespace("s02")
    server.script({"data": {"ok": True}})
    lab.given_run(ns, [web(server.url, successCondition='result == "true"')])
    run = lab.completed_run(ns)
    expr_error = "invalid operation: == (mismatched types bool and string)"  # v1.9.1: bare
    assert run["status"]["phase"] == "Error"
    assert run["status"]["message"] == (
        'Metric "m" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): '
        f'"Error Message: {expr_error}"'
    )
    assert phases(run) == ["Error"] * 5
    assert all(
        m["message"] == expr_error and "value" not in m for m in metric_result(run)["measurements"]
    )
    assert_spacing(offsets(run), (0, 10, 20, 30, 40))
    assert ("Warning", "AnalysisRunError", "Analysis Completed. Result: Error") in lab.events(ns)


def test_s03_number_inside_a_json_string(lab: AnalysisLab, server: FakeServer):
    ns = lab.namespace("s03")
    server.script({"v": "0.97"})
    lab.given_run(ns, [web(server.url, path="{$.v}", successCondition="asFloat(result) >= 0.95")])
    run = lab.completed_run(ns)
    assert run["status"]["phase"] == "Successful"
    assert metric_result(run)["measurements"][0]["value"] == '"0.97"'


def test_s04_503_errors_until_the_limit(lab: AnalysisLab, server: FakeServer):
    ns = lab.namespace("s04")
    server.script((503, "unavailable"))
    lab.given_run(ns, [web(server.url, successCondition="result == true")])
    run = lab.completed_run(ns)
    assert run["status"]["phase"] == "Error"
    assert {m["message"] for m in metric_result(run)["measurements"]} == {
        "received non 2xx response code: 503"
    }
    assert len(phases(run)) == 5


def test_s04b_service_recovering_at_25s_succeeds_after_three_errors(
    lab: AnalysisLab, server: FakeServer
):
    ns = lab.namespace("s04b")
    began: list[float] = []

    def recovering(_method: str, _path: str) -> tuple[int, str]:
        if not began:
            began.append(time.monotonic())
        if (time.monotonic() - began[0]) * 60 < 25:
            return 503, ""
        return 200, '{"data": {"ok": true}}'

    server.handler = recovering
    lab.given_run(ns, [web(server.url, successCondition="result == true")])
    run = lab.completed_run(ns)
    assert run["status"]["phase"] == "Successful"
    assert phases(run) == ["Error", "Error", "Error", "Successful"]
    result = metric_result(run)
    assert (result["error"], result["count"]) == (3, 1)


def test_s09_no_conditions_is_successful(lab: AnalysisLab, server: FakeServer):
    ns = lab.namespace("s09")
    server.script({"data": {"ok": False}})
    lab.given_run(ns, [web(server.url)])
    run = lab.completed_run(ns)
    assert run["status"]["phase"] == "Successful"
    assert metric_result(run)["measurements"][0]["value"] == "false"


def test_s10_sibling_failure_ends_the_background_metric(lab: AnalysisLab, server: FakeServer):
    ns = lab.namespace("s10")
    b_calls: list[int] = []

    def answer(_method: str, path: str) -> tuple[int, str]:
        if path == "/b":
            b_calls.append(1)
            return 200, '{"v": 1}' if len(b_calls) == 1 else '{"v": 0}'
        return 200, '{"v": 1}'

    server.handler = answer
    a = web(
        server.url + "/a", name="a", path="{$.v}", interval="1m", successCondition="result == 1"
    )
    b = web(
        server.url + "/b",
        name="b",
        path="{$.v}",
        interval="2m",
        count=3,
        successCondition="result == 1",
    )
    lab.given_run(ns, [a, b])
    run = lab.completed_run(ns)
    assert run["status"]["phase"] == "Failed"
    assert (
        run["status"]["message"]
        == 'Metric "b" assessed Failed due to failed (1) > failureLimit (0)'
    )
    assert phases(run, "b") == ["Successful", "Failed"]
    assert metric_result(run, "a")["phase"] == "Successful"
    assert set(phases(run, "a")) == {"Successful"} and len(phases(run, "a")) in (2, 3)


def _sequence(fake: FakeServer, outcomes: str) -> None:
    fake.script(*({"data": {"ok": c == "S"}} for c in outcomes))


def test_s11_consecutive_success_limit_succeeds_without_count(lab: AnalysisLab, server: FakeServer):
    ns = lab.namespace("s11")
    _sequence(server, "FSFSSS")
    metric = web(
        server.url,
        interval="10s",
        failureLimit=-1,
        consecutiveSuccessLimit=3,
        successCondition="result == true",
    )
    lab.given_run(ns, [metric])
    run = lab.completed_run(ns)
    assert run["status"]["phase"] == "Successful"
    result = metric_result(run)
    assert (result["count"], result["failed"], result["consecutiveSuccess"]) == (6, 2, 3)


def test_s11b_count_reached_without_enough_successes_is_inconclusive(
    lab: AnalysisLab, server: FakeServer
):
    ns = lab.namespace("s11b")
    _sequence(server, "SFSSF")
    metric = web(
        server.url,
        interval="10s",
        count=5,
        failureLimit=2,
        consecutiveSuccessLimit=3,
        successCondition="result == true",
    )
    lab.given_run(ns, [metric])
    run = lab.completed_run(ns)
    assert run["status"]["phase"] == "Inconclusive"
    assert "message" not in run["status"]  # the consecutiveSuccessLimit rule gives no reason
    assert run["status"]["runSummary"] == {"count": 1, "successful": 1}
    assert metric_result(run)["count"] == 5


def test_s12_dry_run_metric_cannot_fail_the_run(lab: AnalysisLab, server: FakeServer):
    ns = lab.namespace("s12")
    server.script({"data": {"ok": True}})
    a = web(server.url, name="a", successCondition="result == false")
    b = web(server.url, name="b", successCondition="result == true")
    lab.given_run(ns, [a, b], dryRun=[{"metricName": "a"}])
    run = lab.completed_run(ns)
    assert run["status"]["phase"] == "Successful"
    assert run["status"]["dryRunSummary"] == {"count": 1, "failed": 1}
    assert run["status"]["runSummary"] == {"count": 1, "successful": 1}
    assert metric_result(run, "a")["message"] == (
        "Metric assessed Failed due to failed (1) > failureLimit (0)"
    )
    lab.given_run(ns, [a, b], name="star", dryRun=[{"metricName": "*"}])
    star = lab.completed_run(ns, "star")
    assert star["status"]["phase"] == "Error"
    assert star["status"]["message"] == (
        "Analysis spec invalid: dryRun[0]: Rule didn't match any metric name(s)"
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"count": 3}, "metrics[0]: interval must be specified when count > 1"),
        (
            {"interval": "1d"},
            'metrics[0]: invalid interval string: time: unknown unit "d" in duration "1d"',
        ),
        ({"provider": {}}, "metrics[0]: no provider specified"),
    ],
)
def test_s14_invalid_metric_specs_error_at_once(lab: AnalysisLab, fields, message):
    ns = lab.namespace("s14")
    metric = {**web("http://127.0.0.1:9/"), **fields}
    lab.given_run(ns, [metric])
    run = lab.completed_run(ns)
    assert run["status"]["phase"] == "Error"
    assert run["status"]["message"] == f"Analysis spec invalid: {message}"
    assert "startedAt" not in run["status"] and "metricResults" not in run["status"]


def test_s15_unresolved_placeholder_in_a_hand_made_run(lab: AnalysisLab):
    ns = lab.namespace("s15")
    lab.given_run(ns, [web("http://{{args.svc}}.example/stats")])
    run = lab.completed_run(ns)
    assert run["status"]["phase"] == "Error"
    assert (
        run["status"]["message"]
        == "Unable to resolve metric arguments: failed to resolve {{args.svc}}"
    )


@pytest.mark.parametrize(("retention", "kept"), [(None, 10), (20, 15)])
def test_s16_measurement_retention(lab: AnalysisLab, server: FakeServer, retention, kept):
    ns = lab.namespace("s16")
    server.script({"data": {"ok": True}})
    spec = {}
    if retention:
        spec["measurementRetention"] = [{"metricName": ".*", "limit": retention}]
    lab.given_run(ns, [web(server.url, interval="10s", successCondition="result == true")], **spec)
    lab.wait_for(
        lambda: (
            (lab.run(ns).get("status") or {}).get("metricResults")
            and metric_result(lab.run(ns)).get("count", 0) >= 15
        ),
        timeout=20,
        what="15 measurements",
    )
    lab.terminate(ns)
    run = lab.completed_run(ns)
    assert (run["status"]["phase"], run["status"]["message"]) == ("Successful", "Run Terminated")
    count = metric_result(run)["count"]
    assert count in (15, 16)
    assert len(phases(run)) == min(count, kept if retention else 10)
