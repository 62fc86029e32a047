"""Run-level rules of the controller: arguments, secrets, validation, dry-run, TTL, events.

Given an AnalysisRun in an in-memory store, when the controller reconciles it, then the run's
phase, message, summaries and events are upstream v1.9.1's.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import time
from typing import Any

import pytest
from analysis_helpers import Driver, ScriptedServer, analysis_run, new_store, web_metric

from clusters.embedded.analysis.args import ArgError, resolve_metric
from clusters.embedded.analysis.controller import ANALYSIS_RUNS, AnalysisRunController
from clusters.embedded.clock import Clock
from clusters.embedded.controllers.base import Key
from clusters.embedded.resources import find_plural

SECRETS = find_plural("", "v1", "secrets")


def reconcile_once(run: dict[str, Any], *objects: tuple[Any, dict[str, Any]]) -> dict[str, Any]:
    clock = Clock()
    store = new_store(clock)
    for resource, obj in objects:
        store.create(resource, obj)
    store.create(ANALYSIS_RUNS, run)
    controller = AnalysisRunController(store, clock)

    async def go() -> None:
        try:
            await controller.reconcile(Key("lab", run["metadata"]["name"]))
        finally:
            await controller.context.aclose()

    asyncio.run(go())
    stored = store.get(ANALYSIS_RUNS, "lab", run["metadata"]["name"])
    stored["events"] = [
        (e["type"], e["reason"], e["message"])
        for e in store.list(find_plural("", "v1", "events"), "lab").items
    ]
    return stored


def metric(**fields: Any) -> dict[str, Any]:
    return {"name": "m", "provider": {"web": {"url": "http://127.0.0.1:9/x"}}, **fields}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"metrics": [metric()], "args": [{"name": "unused"}]},
            'Unable to resolve metric arguments: argument "unused" was not supplied',
        ),
        (
            {"metrics": [{"name": "m", "provider": {"web": {"url": "http://{{args.svc}}/"}}}]},
            "Unable to resolve metric arguments: failed to resolve {{args.svc}}",
        ),
        (
            {"metrics": [metric(count=3)]},
            "Analysis spec invalid: metrics[0]: interval must be specified when count > 1",
        ),
        (
            {"metrics": [metric(interval="1d")]},
            "Analysis spec invalid: metrics[0]: invalid interval string: "
            'time: unknown unit "d" in duration "1d"',
        ),
        (
            {"metrics": [{"name": "m", "provider": {}}]},
            "Analysis spec invalid: metrics[0]: no provider specified",
        ),
        (
            {"metrics": [metric()], "dryRun": [{"metricName": "*"}]},
            "Analysis spec invalid: dryRun[0]: Rule didn't match any metric name(s)",
        ),
        (
            {"metrics": [metric()], "measurementRetention": [{"metricName": "zz", "limit": 2}]},
            "Analysis spec invalid: measurementRetention[0]: Rule didn't match any metric name(s)",
        ),
        (
            {
                "metrics": [metric()],
                "args": [{"name": "t", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
            },
            'Unable to resolve metric arguments: secrets "s" not found',
        ),
    ],
)
def test_spec_problems_make_the_run_error_at_once(spec: dict[str, Any], message: str):
    run = analysis_run(spec.pop("metrics"), **spec)
    stored = reconcile_once(run)
    status = stored["status"]
    assert (status["phase"], status["message"]) == ("Error", message)
    assert "startedAt" not in status and "metricResults" not in status
    assert stored["events"] == [
        ("Warning", "AnalysisRunError", "Analysis Completed. Result: Error")
    ]


def test_missing_secret_key_is_reported_with_upstream_text():
    secret = {"metadata": {"name": "s", "namespace": "lab"}, "data": {"other": "eA=="}}
    args = [{"name": "t", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]
    stored = reconcile_once(analysis_run([metric()], args=args), (SECRETS, secret))
    assert stored["status"]["message"] == (
        "Unable to resolve metric arguments: key 'k' does not exist in secret 's'"
    )


def test_secret_values_are_used_and_redacted_from_messages():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = "s3cr3t-token"
    secret = {
        "metadata": {"name": "creds", "namespace": "lab"},
        "data": {"token": base64.b64encode(token.encode()).decode()},
    }
    args = [
        {"name": "token", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}},
        {"name": "port", "value": str(port)},
    ]
    url = "http://127.0.0.1:{{args.port}}/stats?token={{ args.token }}"
    run = analysis_run([{"name": "m", "provider": {"web": {"url": url}}}], args=args)
    stored = reconcile_once(run, (SECRETS, secret))
    (measurement,) = stored["status"]["metricResults"][0]["measurements"]
    assert measurement["phase"] == "Error"
    assert measurement["message"] == (
        f'Get "http://127.0.0.1:{port}/stats?token=*****": dial tcp 127.0.0.1:{port}: '
        "connect: connection refused"
    )
    assert token not in str(stored)
    assert stored["spec"]["metrics"][0]["provider"]["web"]["url"] == url  # spec untouched


def test_args_are_json_escaped_and_tags_trimmed():
    metric_spec = {"name": "m", "provider": {"web": {"url": "{{ args.u }}", "body": "{{args.b}}"}}}
    resolved = resolve_metric(
        metric_spec, [{"name": "u", "value": "http://x"}, {"name": "b", "value": 'say "hi"\n'}]
    )
    assert resolved["provider"]["web"] == {"url": "http://x", "body": 'say "hi"\n'}
    with pytest.raises(ArgError, match=r"failed to resolve \{\{ args.nope \}\}"):
        resolve_metric({"name": "{{ args.nope }}"}, [])


def test_dry_run_failure_does_not_fail_the_run(http_server: ScriptedServer):
    http_server.script({"v": 1})
    driver = Driver(time_scale=100)
    failing = web_metric(http_server.url, name="a", successCondition="result == 2")
    passing = web_metric(http_server.url, name="b", successCondition="result == 1")
    run = driver.run(analysis_run([failing, passing], dryRun=[{"metricName": "a"}]))
    status = run["status"]
    assert status["phase"] == "Successful"
    assert status["runSummary"] == {"count": 1, "successful": 1}
    assert status["dryRunSummary"] == {"count": 1, "failed": 1}
    result_a = next(r for r in status["metricResults"] if r["name"] == "a")
    assert result_a["dryRun"] is True and result_a["phase"] == "Failed"
    assert result_a["message"] == "Metric assessed Failed due to failed (1) > failureLimit (0)"


def test_sibling_failure_terminates_a_background_metric(http_server: ScriptedServer):
    def answer(request: dict[str, Any]) -> tuple[int, str]:
        if request["path"] == "/a":
            return 200, '{"v": 1}'
        calls = sum(1 for r in http_server.requests if r["path"] == "/b")
        return 200, '{"v": 1}' if calls == 1 else '{"v": 0}'

    http_server.handler = answer
    driver = Driver(time_scale=300)
    a = web_metric(http_server.url + "/a", name="a", interval="1m", successCondition="result == 1")
    b = web_metric(
        http_server.url + "/b", name="b", interval="2m", count=3, successCondition="result == 1"
    )
    run = driver.run(analysis_run([a, b]))
    status = run["status"]
    assert status["phase"] == "Failed"
    assert status["message"] == 'Metric "b" assessed Failed due to failed (1) > failureLimit (0)'
    result_a = next(r for r in status["metricResults"] if r["name"] == "a")
    # a was Running with no count limit; b's failure terminated it as Successful. Whether a's
    # third measurement (due at ~120 s, like b's failing one) ran first is a race upstream too.
    assert result_a["phase"] == "Successful" and result_a["count"] in (2, 3)


def test_ttl_deletes_a_completed_run_after_its_seconds(http_server: ScriptedServer):
    http_server.script({"v": 1})
    driver = Driver(time_scale=100)
    run = analysis_run([web_metric(http_server.url)], ttlStrategy={"secondsAfterSuccess": 30})
    completed: list[str] = []

    def note_completion(current: dict[str, Any]) -> bool:
        if (current.get("status") or {}).get("completedAt") and not completed:
            completed.append(current["status"]["completedAt"])
        return False

    began = time.monotonic()
    assert driver.run(run, until=note_completion, timeout=5) == {}
    elapsed_cluster = (time.monotonic() - began) * 100
    assert completed and 30 <= elapsed_cluster <= 120
    events = driver.events()
    assert ("Normal", "AnalysisRunSuccessful", "Analysis Completed. Result: Successful") in events
    assert ("Normal", "MetricSuccessful", "Metric 'sr' Completed. Result: Successful") in events
