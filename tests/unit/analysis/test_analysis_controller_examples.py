"""The controller loop on the worked examples of the analysis reference (time-warped).

Given a web metric against a scripted local HTTP server, when the real AnalysisRunController
runs on a warped clock, then measurements, counters, timing (in cluster seconds) and the run's
phase and message match upstream v1.9.1's loop.
"""

from __future__ import annotations

import time
from typing import Any

from analysis_helpers import Driver, ScriptedServer, analysis_run, web_metric

from clusters.embedded.analysis.controller import ANALYSIS_RUNS
from clusters.embedded.clock import parse_timestamp


def values(*numbers: float) -> list[dict[str, Any]]:
    return [{"v": n} for n in numbers]


def result(run: dict[str, Any], name: str = "sr") -> dict[str, Any]:
    (found,) = [r for r in run["status"]["metricResults"] if r["name"] == name]
    return found


def timeline(run: dict[str, Any], scale: float, name: str = "sr") -> list[tuple[str, float]]:
    """(phase, cluster seconds after status.startedAt) of each kept measurement."""
    start = parse_timestamp(run["status"]["startedAt"])
    return [
        (m["phase"][0], (parse_timestamp(m["finishedAt"]) - start).total_seconds() * scale)
        for m in result(run, name)["measurements"]
    ]


def assert_times(actual: list[tuple[str, float]], expected: list[tuple[str, float]], scale: float):
    """Phases match; each gap is never shorter than upstream's (1 s of stamp rounding) and at
    most half a real second longer (a loaded machine is slow, never early)."""
    assert [p for p, _ in actual] == [p for p, _ in expected], actual
    previous_got = previous_want = 0.0
    for (_, got), (_, want) in zip(actual, expected, strict=True):
        gap, wanted = got - previous_got, want - previous_want
        assert wanted - 1 <= gap <= wanted + 0.5 * scale, (actual, expected)
        previous_got, previous_want = got, want


def test_example1_failure_at_the_second_measurement_fails_the_run(http_server: ScriptedServer):
    http_server.script(*values(0.97, 0.90, 0.99))
    driver = Driver(time_scale=300)
    metric = web_metric(http_server.url, interval="1m", count=3, successCondition="result >= 0.95")
    run = driver.run(analysis_run([metric]))
    assert run["status"]["phase"] == "Failed"
    assert (
        run["status"]["message"]
        == 'Metric "sr" assessed Failed due to failed (1) > failureLimit (0)'
    )
    assert_times(timeline(run, 300), [("S", 0), ("F", 60)], 300)
    assert result(run)["count"] == 2 and len(http_server.requests) == 2
    assert run["status"]["runSummary"] == {"count": 1, "failed": 1}
    assert run["status"]["completedAt"]
    assert ("Warning", "MetricFailed", "Metric 'sr' Completed. Result: Failed") in driver.events()
    assert ("Warning", "AnalysisRunFailed", "Analysis Completed. Result: Failed") in driver.events()


def test_example2_failure_within_limit_succeeds_in_two_seconds_at_scale_60(
    http_server: ScriptedServer,
):
    http_server.script(*values(0.97, 0.90, 0.99))
    driver = Driver(time_scale=60)
    metric = web_metric(
        http_server.url, interval="1m", count=3, failureLimit=1, successCondition="result >= 0.95"
    )
    began = time.monotonic()
    run = driver.run(analysis_run([metric]))
    wall = time.monotonic() - began
    assert run["status"]["phase"] == "Successful"
    assert "message" not in run["status"]
    assert 1.8 <= wall <= 4.0, wall  # two one-minute intervals at 60x
    counters = {k: result(run).get(k) for k in ("count", "successful", "failed")}
    assert counters == {"count": 3, "successful": 2, "failed": 1}
    assert_times(timeline(run, 60), [("S", 0), ("F", 60), ("S", 120)], 60)
    assert [m["value"] for m in result(run)["measurements"]] == ["0.97", "0.9", "0.99"]


def test_example3_errors_retry_every_ten_seconds_then_the_run_errors(http_server: ScriptedServer):
    http_server.script((500, "boom"))
    driver = Driver(time_scale=60)
    run = driver.run(analysis_run([web_metric(http_server.url, successCondition="result > 0")]))
    assert run["status"]["phase"] == "Error"
    assert run["status"]["message"] == (
        'Metric "sr" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): '
        '"Error Message: received non 2xx response code: 500"'
    )
    assert_times(timeline(run, 60), [("E", t) for t in (0, 10, 20, 30, 40)], 60)
    assert result(run)["error"] == 5 and result(run)["consecutiveError"] == 5
    assert "count" not in result(run)  # errors are not counted
    assert all("value" not in m for m in result(run)["measurements"])


def test_example4_a_success_resets_consecutive_errors(http_server: ScriptedServer):
    http_server.script((503, ""), (503, ""), *values(0.99, 0.98))
    driver = Driver(time_scale=300)
    metric = web_metric(http_server.url, interval="5m", count=2, successCondition="result >= 0.95")
    run = driver.run(analysis_run([metric]))
    assert run["status"]["phase"] == "Successful"
    assert {k: result(run).get(k) for k in ("count", "error", "successful")} == {
        "count": 2,
        "error": 2,
        "successful": 2,
    }
    assert "consecutiveError" not in result(run)  # reset to 0: omitted, as upstream omitempty
    assert_times(timeline(run, 300), [("E", 0), ("E", 10), ("S", 20), ("S", 320)], 300)


def test_example5_two_inconclusive_measurements_exceed_the_limit(http_server: ScriptedServer):
    http_server.script(*values(0.97, 0.7, 0.8, 0.99))
    driver = Driver(time_scale=300)
    metric = web_metric(
        http_server.url,
        interval="30s",
        count=4,
        inconclusiveLimit=1,
        successCondition="result >= .95",
        failureCondition="result < .5",
    )
    run = driver.run(analysis_run([metric]))
    assert run["status"]["phase"] == "Inconclusive"
    assert run["status"]["message"] == (
        'Metric "sr" assessed Inconclusive due to inconclusive (2) > inconclusiveLimit (1)'
    )
    assert [p for p, _ in timeline(run, 300)] == ["S", "I", "I"]
    assert run["status"]["runSummary"] == {"count": 1, "inconclusive": 1}


def test_example6_terminating_a_background_metric_ends_it_successful(http_server: ScriptedServer):
    http_server.script({"v": 1})
    driver = Driver(time_scale=100)
    metric = web_metric(http_server.url, interval="1m", successCondition="result == 1")

    def terminate_at_270(drv: Driver, elapsed: float) -> None:
        if elapsed >= 270:
            current = drv.store.get(ANALYSIS_RUNS, "lab", "run")
            if not current["spec"].get("terminate"):
                current["spec"]["terminate"] = True
                drv.store.update(ANALYSIS_RUNS, current)

    run = driver.run(analysis_run([metric]), during=terminate_at_270)
    assert run["status"]["phase"] == "Successful"
    assert run["status"]["message"] == "Run Terminated"
    assert [p for p, _ in timeline(run, 100)] == ["S"] * 5
    assert result(run)["phase"] == "Successful"


def test_example7_initial_delay_postpones_the_first_measurement(http_server: ScriptedServer):
    http_server.script({"v": 1})
    driver = Driver(time_scale=300)
    metric = web_metric(
        http_server.url, interval="1m", count=2, initialDelay="2m", successCondition="result == 1"
    )
    run = driver.run(analysis_run([metric]))
    assert run["status"]["phase"] == "Successful"
    assert_times(timeline(run, 300), [("S", 120), ("S", 180)], 300)
