"""The AnalysisRun measurement loop decides phases, timing and messages as upstream v1.9.1."""
# ruff: noqa: E501  (upstream message tables read best one case per line)

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from clusters.embedded.rollouts.analysis_logic import (
    MetricTask,
    assess_metric_phase,
    assess_run,
    dry_run_metric_names,
    effective_count,
    is_worse,
    metric_tasks,
    next_reconcile_time,
    parse_go_duration,
    record_measurement,
    retention_limits,
    trim_measurements,
    validate_metrics,
)
from clusters.embedded.rollouts.expr import Float64Slice, evaluate_result

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ERR = object()  # scripted provider error


def _metric(name: str = "sr", **fields: Any) -> dict[str, Any]:
    return {"name": name, "provider": {"web": {"url": "http://x"}}, **fields}


class Sim:
    """Drive the pure loop like the controller: reconcile, re-reconcile on change, requeue."""

    def __init__(
        self,
        metrics: list[dict[str, Any]],
        values: dict[str, list[Any]],
        *,
        dry_run: list[dict[str, Any]] | None = None,
        retention: list[dict[str, Any]] | None = None,
    ) -> None:
        self.metrics = metrics
        self.values: dict[str, Iterator[Any]] = {k: iter(v) for k, v in values.items()}
        self.run: dict[str, Any] = {"spec": {"metrics": metrics}, "status": {"phase": ""}}
        self.dry, _ = dry_run_metric_names(dry_run or [], metrics)
        self.limits, _ = retention_limits(retention or [], metrics)
        self.timeline: list[tuple[int, str, str]] = []

    def measure(self, metric: dict[str, Any], now: datetime) -> dict[str, Any]:
        value = next(self.values[metric["name"]])
        stamp = now.isoformat()
        if value is ERR:
            return {
                "phase": "Error",
                "message": "provider down",
                "startedAt": stamp,
                "finishedAt": stamp,
            }
        phase, message = evaluate_result(
            value, metric.get("successCondition", ""), metric.get("failureCondition", "")
        )
        return {"phase": phase, "message": message, "startedAt": stamp, "finishedAt": stamp}

    def reconcile(self, now: datetime) -> bool:
        status = self.run["status"]
        if status.get("phase") in ("Successful", "Failed", "Error", "Inconclusive"):
            return False
        results = {r["name"]: r for r in status.get("metricResults", [])}
        tasks = metric_tasks(self.run, self.metrics, now)
        for task in tasks:
            metric = next(m for m in self.metrics if m["name"] == task.name)
            measurement = self.measure(metric, now)
            results[task.name] = record_measurement(
                results.get(task.name), task.name, measurement, dry_run=task.name in self.dry
            )
            secs = round((now - T0).total_seconds())
            self.timeline.append((secs, task.name, measurement["phase"][0]))
        status["metricResults"] = list(results.values())
        verdict = assess_run(self.run, self.metrics, self.dry)
        for name, phase in verdict.metric_phases.items():
            results[name]["phase"] = phase
        for name, message in verdict.metric_messages.items():
            results[name]["message"] = message
        status.setdefault("startedAt", now.isoformat())
        changed = bool(tasks) or bool(verdict.metric_phases) or verdict.phase != status["phase"]
        if verdict.phase != status["phase"]:
            status["phase"], status["message"] = verdict.phase, verdict.message
            status["runSummary"] = verdict.run_summary
            status["dryRunSummary"] = verdict.dry_run_summary
        for result in results.values():
            result["measurements"] = trim_measurements(
                result["measurements"], self.limits[result["name"]]
            )
        return changed

    def go(self, until: int = 3600, terminate_at: int | None = None) -> Sim:
        now = T0
        while (now - T0).total_seconds() <= until:
            if terminate_at is not None and (now - T0).total_seconds() >= terminate_at:
                self.run["spec"]["terminate"] = True
            for _ in range(5):  # a status patch triggers an immediate second pass
                if not self.reconcile(now):
                    break
            if self.run["status"]["phase"] in ("Successful", "Failed", "Error", "Inconclusive"):
                self.ended = round((now - T0).total_seconds())
                return self
            nxt = next_reconcile_time(self.run, self.metrics, now)
            if terminate_at is not None:
                stop = T0 + timedelta(seconds=terminate_at)
                nxt = stop if nxt is None or (now < stop < nxt) else nxt
            assert nxt is not None, "run would never be requeued"
            now = max(nxt + timedelta(milliseconds=1), now + timedelta(milliseconds=1))
        raise AssertionError("run did not finish")

    @property
    def phase(self) -> str:
        return str(self.run["status"]["phase"])

    @property
    def message(self) -> str:
        return str(self.run["status"].get("message", ""))

    def result(self, name: str = "sr") -> dict[str, Any]:
        return next(r for r in self.run["status"]["metricResults"] if r["name"] == name)


GOOD = "result >= 0.95"


def test_example1_first_failure_fails_the_run() -> None:
    sim = Sim(
        [_metric(interval="1m", count=3, successCondition=GOOD)], {"sr": [0.97, 0.90, 0.99]}
    ).go()
    assert sim.timeline == [(0, "sr", "S"), (60, "sr", "F")]
    assert (sim.phase, sim.ended) == ("Failed", 60)
    assert sim.message == 'Metric "sr" assessed Failed due to failed (1) > failureLimit (0)'


def test_example2_failure_within_limit_still_succeeds() -> None:
    metric = _metric(interval="1m", count=3, failureLimit=1, successCondition=GOOD)
    sim = Sim([metric], {"sr": [0.97, 0.90, 0.99]}).go()
    assert [t for t, _, _ in sim.timeline] == [0, 60, 120]
    assert (sim.phase, sim.ended, sim.message) == ("Successful", 120, "")
    assert (sim.result()["count"], sim.result()["failed"]) == (3, 1)
    assert sim.run["status"]["runSummary"] == {
        "count": 1, "successful": 1, "failed": 0, "inconclusive": 0, "error": 0
    }  # fmt: skip


def test_example3_errors_retry_every_10s_until_limit() -> None:
    sim = Sim([_metric(successCondition=GOOD)], {"sr": [ERR] * 6}).go()
    assert sim.timeline == [(t, "sr", "E") for t in (0, 10, 20, 30, 40)]
    assert (sim.phase, sim.ended) == ("Error", 40)
    assert sim.message == (
        'Metric "sr" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): '
        '"Error Message: provider down"'
    )


def test_example4_errors_do_not_count_and_are_forgiven() -> None:
    metric = _metric(interval="5m", count=2, successCondition=GOOD)
    sim = Sim([metric], {"sr": [ERR, ERR, 0.99, 0.98]}).go()
    assert sim.timeline == [(0, "sr", "E"), (10, "sr", "E"), (20, "sr", "S"), (320, "sr", "S")]
    assert (sim.phase, sim.result()["count"], sim.result()["error"]) == ("Successful", 2, 2)


def test_example5_inconclusive_limit() -> None:
    metric = _metric(
        interval="30s", count=4, inconclusiveLimit=1, successCondition=GOOD,
        failureCondition="result < .5",
    )  # fmt: skip
    sim = Sim([metric], {"sr": [0.97, 0.7, 0.8]}).go()
    assert [p for _, _, p in sim.timeline] == ["S", "I", "I"]
    assert (sim.phase, sim.ended) == ("Inconclusive", 60)
    assert sim.message.endswith("due to inconclusive (2) > inconclusiveLimit (1)")


def test_example6_terminated_background_run_succeeds() -> None:
    sim = Sim([_metric(interval="1m", successCondition=GOOD)], {"sr": [0.99] * 10})
    sim.go(terminate_at=300)
    assert [t for t, _, _ in sim.timeline] == [0, 60, 120, 180, 240]
    assert (sim.phase, sim.message) == ("Successful", "Run Terminated")


def test_example7_initial_delay() -> None:
    metric = _metric(initialDelay="2m", interval="1m", count=2, successCondition=GOOD)
    sim = Sim([metric], {"sr": [0.99, 0.99]}).go()
    assert [t for t, _, _ in sim.timeline] == [120, 180]
    assert (sim.phase, sim.ended) == ("Successful", 180)


def test_scenario2_bool_vs_string_errors_five_times() -> None:
    metric = _metric(successCondition='result == "true"')
    sim = Sim([metric], {"sr": [True] * 6}).go()
    assert (sim.phase, sim.ended) == ("Error", 40)
    assert sim.message.endswith(
        '"Error Message: invalid operation: == (mismatched types bool and string)"'
    )


def test_scenario4_recovers_before_error_limit() -> None:
    sim = Sim([_metric(successCondition=GOOD)], {"sr": [ERR, ERR, ERR, 0.99]}).go()
    assert (sim.phase, sim.ended, sim.result()["error"], sim.result()["count"]) == (
        "Successful", 30, 3, 1,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("condition", "value", "phase"),
    [
        ("result[0] >= 0.95", Float64Slice([]), "Error"),  # scenario 5: unguarded empty vector
        ("len(result) == 0 || result[0] >= 0.95", Float64Slice([]), "Successful"),  # scenario 6
        ("len(result) > 0 && result[0] >= 0.95", Float64Slice([]), "Failed"),
        ("", 0.1, "Successful"),  # scenario 9: no conditions
    ],
)
def test_prometheus_vector_scenarios(condition: str, value: Any, phase: str) -> None:
    metric = _metric(successCondition=condition) if condition else _metric()
    assert Sim([metric], {"sr": [value] * 6}).go().phase == phase


def test_scenario7_interval_with_failure_limit() -> None:
    metric = _metric(interval="1m", count=5, failureLimit=1, successCondition="result[0] >= 0.95")
    values = [Float64Slice([v]) for v in (0.99, 0.90, 0.97, 0.80, 0.99)]
    sim = Sim([metric], {"sr": values}).go()
    assert [p for _, _, p in sim.timeline] == ["S", "F", "S", "F"]
    assert (sim.phase, sim.ended) == ("Failed", 180)


def test_scenario8_nan_is_inconclusive() -> None:
    metric = _metric(successCondition=GOOD, failureCondition="result < 0.95")
    assert Sim([metric], {"sr": [math.nan]}).go().phase == "Inconclusive"


def test_scenario10_sibling_termination() -> None:
    a = _metric("a", interval="1m", successCondition=GOOD)
    b = _metric("b", interval="2m", count=3, successCondition=GOOD)
    sim = Sim([a, b], {"a": [0.99] * 10, "b": [0.99, 0.5, 0.99]}).go()
    assert ("b", "F") in [(n, p) for _, n, p in sim.timeline]
    assert (sim.phase, sim.ended) == ("Failed", 120)
    assert sim.result("a")["phase"] == "Successful"
    assert sim.message == 'Metric "b" assessed Failed due to failed (1) > failureLimit (0)'


def test_scenario11_consecutive_success_limit() -> None:
    metric = _metric(
        interval="10s", failureLimit=-1, consecutiveSuccessLimit=3, successCondition="result"
    )
    sim = Sim([metric], {"sr": [False, True, False, True, True, True]}).go()
    assert (sim.phase, sim.ended, sim.result()["count"], sim.result()["failed"]) == (
        "Successful", 50, 6, 2,
    )  # fmt: skip
    metric = _metric(
        interval="10s", count=5, failureLimit=2, consecutiveSuccessLimit=3,
        successCondition="result",
    )  # fmt: skip
    sim = Sim([metric], {"sr": [True, False, True, True, False]}).go()
    assert (sim.phase, sim.ended, sim.message) == ("Inconclusive", 40, "")
    assert sim.run["status"]["runSummary"]["successful"] == 1  # bucket from limits, not phase


def test_scenario12_dry_run_metric_never_fails_the_run() -> None:
    a = _metric("a", successCondition=GOOD)
    b = _metric("b", successCondition=GOOD)
    sim = Sim([a, b], {"a": [0.1], "b": [0.99]}, dry_run=[{"metricName": "a"}]).go()
    assert sim.phase == "Successful"
    assert sim.run["status"]["runSummary"]["successful"] == 1
    assert sim.run["status"]["dryRunSummary"]["failed"] == 1
    assert (
        sim.result("a")["message"] == "Metric assessed Failed due to failed (1) > failureLimit (0)"
    )
    assert sim.result("a")["dryRun"] is True
    _, error = dry_run_metric_names([{"metricName": "*"}], [a, b])
    assert error == "dryRun[0]: Rule didn't match any metric name(s)"


def test_scenario16_measurement_retention() -> None:
    metric = _metric(interval="10s", successCondition=GOOD)
    sim = Sim([metric], {"sr": [0.99] * 30}).go(terminate_at=145)
    assert sim.result()["count"] == 15
    assert len(sim.result()["measurements"]) == 10
    sim = Sim([metric], {"sr": [0.99] * 30}, retention=[{"metricName": ".*", "limit": 20}])
    assert len(sim.go(terminate_at=145).result()["measurements"]) == 15


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        (_metric(count=3), "metrics[0]: interval must be specified when count > 1"),
        (_metric(interval="1d"), 'metrics[0]: invalid interval string: time: unknown unit "d" in duration "1d"'),
        (_metric(interval="60"), 'metrics[0]: invalid interval string: time: missing unit in duration "60"'),
        ({"name": "sr", "provider": {}}, "metrics[0]: no provider specified"),
        (_metric(provider={"web": {}, "job": {}}), "metrics[0]: multiple providers specified"),
        (_metric(failureLimit=-2), "metrics[0]: failureLimit must be >= 0, or -1 to be disabled"),
        (_metric(failureLimit=-1), "metrics[0]: failureLimit and consecutiveSuccessLimit cannot both be disabled"),
        (_metric(count=2, interval="1m", failureLimit=2, consecutiveSuccessLimit=1),
         "metrics[0]: count (2) must be >= failureLimit + consecutiveSuccessLimit (2 + 1) if both >= 0"),
        (_metric(count=1, inconclusiveLimit=2), "metrics[0]: count must be >= inconclusiveLimit"),
        (_metric(initialDelay="x"), 'metrics[0]: invalid startDelay string: time: invalid duration "x"'),
        (_metric(consecutiveErrorLimit=-1), "metrics[0]: consecutiveErrorLimit must be >= 0"),
    ],
)  # fmt: skip
def test_validate_metrics_messages(metric: dict[str, Any], message: str) -> None:
    assert validate_metrics([metric]) == message


def test_validate_metrics_duplicates_and_empty() -> None:
    assert validate_metrics([]) == "no metrics specified"
    assert validate_metrics([_metric(), _metric()]) == "metrics[1]: duplicate name 'sr'"
    assert validate_metrics([_metric(interval="1m30s")]) is None


def test_go_durations() -> None:
    assert parse_go_duration("1h30m") == 5400
    assert parse_go_duration("1.5s") == 1.5
    assert parse_go_duration("300ms") == 0.3
    assert parse_go_duration("0") == 0


def test_effective_count() -> None:
    assert effective_count(_metric()) == 1
    assert effective_count(_metric(interval="1m")) is None
    assert effective_count(_metric(interval="1m", count="0")) is None
    assert effective_count(_metric(count="x")) == 1
    assert effective_count(_metric(interval="1m", count=5)) == 5


def test_phase_order_is_upstream() -> None:
    order = ["Successful", "Running", "Pending", "Inconclusive", "Error", "Failed"]
    for better, worse in itertools.pairwise(order):
        assert is_worse(better, worse) and not is_worse(worse, better)


def test_in_flight_measurement_resumes_at_resume_at() -> None:
    run = {
        "spec": {"metrics": [_metric()]},
        "status": {"metricResults": [{
            "name": "sr", "phase": "Running",
            "measurements": [{"phase": "Running", "resumeAt": (T0 + timedelta(seconds=5)).isoformat()}],
        }]},
    }  # fmt: skip
    assert metric_tasks(run, [_metric()], T0) == []
    assert metric_tasks(run, [_metric()], T0 + timedelta(seconds=6)) == [MetricTask("sr", True)]
    assert next_reconcile_time(run, [_metric()], T0) == T0 + timedelta(seconds=5)
    assert assess_metric_phase(_metric(), run["status"]["metricResults"][0], False) == "Running"


def test_no_measurement_yet_is_pending_or_successful_when_terminating() -> None:
    result = {"name": "sr", "phase": "Running", "measurements": []}
    assert assess_metric_phase(_metric(), result, terminating=False) == "Pending"
    assert assess_metric_phase(_metric(), result, terminating=True) == "Successful"


def test_run_with_unstarted_metric_is_running() -> None:
    run = {"spec": {}, "status": {}}
    assert assess_run(run, [_metric()]).phase == "Running"
    run["spec"]["terminate"] = True
    verdict = assess_run(run, [_metric()])
    assert (verdict.phase, verdict.message) == ("Successful", "Run Terminated")


def test_metric_next_action() -> None:
    from clusters.embedded.rollouts.analysis_logic import MetricAction, metric_next_action

    metric = _metric(interval="1m", count=3, successCondition=GOOD)
    run: dict[str, Any] = {"spec": {"metrics": [metric]}, "status": {"startedAt": T0.isoformat()}}
    assert metric_next_action(run, metric, T0) == MetricAction("measure")
    stamp = T0.isoformat()
    done = {"phase": "Successful", "startedAt": stamp, "finishedAt": stamp}
    run["status"]["metricResults"] = [record_measurement(None, "sr", done)]
    assert metric_next_action(run, metric, T0) == MetricAction("wait", at=T0 + timedelta(minutes=1))
    assert metric_next_action(run, metric, T0 + timedelta(seconds=61)) == MetricAction("measure")
    failed = {"phase": "Failed", "startedAt": stamp, "finishedAt": stamp}
    result = record_measurement(run["status"]["metricResults"][0], "sr", failed)
    run["status"]["metricResults"] = [result]
    assert metric_next_action(run, metric, T0) == MetricAction("done", phase="Failed")
    delayed = _metric(initialDelay="30s", successCondition=GOOD)
    run = {"spec": {"metrics": [delayed]}, "status": {"startedAt": T0.isoformat()}}
    assert metric_next_action(run, delayed, T0) == MetricAction(
        "wait", at=T0 + timedelta(seconds=30)
    )


def test_record_measurement_omits_zero_counters_as_upstream_omitempty() -> None:
    result = record_measurement(None, "m", {"phase": "Error", "finishedAt": "2026-01-01T00:00:00Z"})
    assert (result["error"], result["consecutiveError"]) == (1, 1)
    result = record_measurement(
        result, "m", {"phase": "Successful", "finishedAt": "2026-01-01T00:00:10Z"}
    )
    assert "consecutiveError" not in result and "failed" not in result
    assert (result["count"], result["successful"], result["consecutiveSuccess"]) == (1, 1, 1)
