"""The prometheus provider against a small fake Prometheus HTTP API started by the test."""

from __future__ import annotations

import asyncio
import socket
from typing import Any
from urllib.parse import parse_qs

import pytest
from analysis_helpers import ScriptedServer

from clusters.embedded.analysis.providers import ProviderContext, ProviderError, new_provider
from clusters.embedded.clock import Clock

RUN: dict[str, Any] = {"metadata": {"name": "run", "namespace": "lab", "uid": "u"}}


def vector(*values: str) -> dict[str, Any]:
    result = [
        {"metric": {"pod": f"p{i}"}, "value": [1700000000.1, v]} for i, v in enumerate(values)
    ]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def prom(address: str, success: str = "", failure: str = "", **fields: Any) -> dict[str, Any]:
    metric: dict[str, Any] = {
        "name": "m",
        "provider": {"prometheus": {"address": address, "query": "sum(rate(x[1m]))", **fields}},
    }
    if success:
        metric["successCondition"] = success
    if failure:
        metric["failureCondition"] = failure
    return metric


def measure(metric: dict[str, Any]) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        context = ProviderContext(None, Clock())
        try:
            return await new_provider(metric, context, "lab").run(RUN, metric)
        finally:
            await context.aclose()

    return asyncio.run(go())


def test_instant_query_is_a_form_post_and_a_vector_becomes_a_list(http_server: ScriptedServer):
    http_server.script(vector("0.99", "0.5"))
    measurement = measure(prom(http_server.url, "result[0] >= 0.95"))
    assert (measurement["phase"], measurement["value"]) == ("Successful", "[0.99,0.5]")
    (request,) = http_server.requests
    assert (request["method"], request["path"]) == ("POST", "/api/v1/query")
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    form = parse_qs(request["body"].decode())
    assert form["query"] == ["sum(rate(x[1m]))"] and float(form["time"][0]) > 1.7e9


def test_a_list_compared_with_a_number_is_a_type_error(http_server: ScriptedServer):
    http_server.script(vector("0.99"))
    measurement = measure(prom(http_server.url, "result >= 0.95"))
    assert measurement["phase"] == "Error"
    assert (
        measurement["message"] == "invalid operation: >= (mismatched types []float64 and float64)"
    )


def test_empty_vector_unguarded_errors_guarded_passes_or_fails(http_server: ScriptedServer):
    http_server.script(vector())
    unguarded = measure(prom(http_server.url, "result[0] >= 0.95"))
    assert unguarded["phase"] == "Error"
    assert unguarded["message"] == "reflect: slice index out of range"  # expr v1.15.5
    passing = measure(prom(http_server.url, "len(result) == 0 || result[0] >= 0.95"))
    failing = measure(prom(http_server.url, "len(result) > 0 && result[0] >= 0.95"))
    assert (passing["phase"], passing["value"]) == ("Successful", "[]")
    assert (failing["phase"], failing["value"]) == ("Failed", "[]")


def test_scalar_nan_with_both_conditions_is_inconclusive(http_server: ScriptedServer):
    http_server.script(
        {"status": "success", "data": {"resultType": "scalar", "result": [1.0, "NaN"]}}
    )
    measurement = measure(prom(http_server.url, "result >= 0.95", "result < 0.95"))
    assert (measurement["phase"], measurement["value"]) == ("Inconclusive", "NaN")


def test_matrix_values_are_flattened_across_series(http_server: ScriptedServer):
    matrix = [
        {"metric": {}, "values": [[1, "1"], [2, "+Inf"]]},
        {"metric": {}, "values": [[1, "0.000001"]]},
    ]
    http_server.script({"status": "success", "data": {"resultType": "matrix", "result": matrix}})
    measurement = measure(prom(http_server.url, "len(result) == 3"))
    assert (measurement["phase"], measurement["value"]) == ("Successful", "[1,+Inf,0.000001]")


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            (400, '{"status":"error","errorType":"bad_data","error":"parse error at char 4"}'),
            "bad_data: parse error at char 4",
        ),
        ((503, "unavailable"), "server_error: server error: 503"),
        ((404, "nope"), "client_error: client error: 404"),
        (
            (200, '{"status":"success","data":{"resultType":"string","result":[1,"x"]}}'),
            "Prometheus metric type not supported",
        ),
    ],
)
def test_api_errors_use_client_golang_texts(http_server: ScriptedServer, reply, message):
    http_server.script(reply)
    measurement = measure(prom(http_server.url, "true"))
    assert (measurement["phase"], measurement["message"]) == ("Error", message)
    assert "value" not in measurement


def test_method_not_allowed_retries_as_get_and_warnings_are_kept(http_server: ScriptedServer):
    answer = vector("1")
    answer["warnings"] = ["w1", "w2"]
    http_server.script((405, ""), answer)
    measurement = measure(prom(http_server.url, "result[0] == 1"))
    assert measurement["phase"] == "Successful"
    assert [r["method"] for r in http_server.requests] == ["POST", "GET"]
    assert "query=sum" in http_server.requests[1]["path"]
    assert measurement["metadata"] == {"warnings": '"w1", "w2"'}


def test_no_prometheus_listening_is_a_transport_error_not_a_number():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"http://127.0.0.1:{port}"
    measurement = measure(prom(address, "result[0] >= 0.95"))
    assert measurement["phase"] == "Error"
    assert measurement["message"] == (
        f'Post "{address}/api/v1/query": dial tcp 127.0.0.1:{port}: connect: connection refused'
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"address": "prometheus:9090"}, "prometheus address is not is url format"),
        ({"address": ""}, "prometheus address is not configured"),
        ({"address": "http://p:9090", "timeout": -1}, "prometheus timeout should not be negative"),
    ],
)
def test_construction_errors(fields, message, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("ARGO_ROLLOUTS_PROMETHEUS_ADDRESS", raising=False)
    metric = prom(**{"address": fields.pop("address")}, **fields)
    with pytest.raises(ProviderError) as raised:
        new_provider(metric, ProviderContext(None, Clock()), "lab")
    assert str(raised.value) == message


def test_resolved_query_is_metric_metadata():
    provider = new_provider(prom("http://p:9090"), ProviderContext(None, Clock()), "lab")
    assert provider.metadata(prom("http://p:9090")) == {
        "ResolvedPrometheusQuery": "sum(rate(x[1m]))"
    }
