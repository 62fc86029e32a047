"""The web provider against a real local HTTP server: requests, JSONPath, values, errors."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import pytest
from analysis_helpers import ScriptedServer

from clusters.embedded.analysis.jsonpath import JSONPath, JSONPathError
from clusters.embedded.analysis.providers import ProviderContext, ProviderError, new_provider
from clusters.embedded.clock import Clock

RUN: dict[str, Any] = {"metadata": {"name": "run", "namespace": "lab", "uid": "u"}}


def measure(metric: dict[str, Any]) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        context = ProviderContext(None, Clock())
        try:
            return await new_provider(metric, context, "lab").run(RUN, metric)
        finally:
            await context.aclose()

    return asyncio.run(go())


def web(url: str, **fields: Any) -> dict[str, Any]:
    conditions = {k: fields.pop(k) for k in ("successCondition", "failureCondition") if k in fields}
    return {"name": "m", "provider": {"web": {"url": url, **fields}}, **conditions}


@pytest.mark.parametrize(
    ("body", "path", "condition", "phase", "value"),
    [
        ({"data": {"ok": True}}, "{$.data.ok}", "result == true", "Successful", "true"),
        ({"v": "0.97"}, "{$.v}", "asFloat(result) >= 0.95", "Successful", '"0.97"'),
        ({"v": 0.5}, "{.v}", "result >= 0.95", "Failed", "0.5"),
        ({"v": 100}, "{.v}", "result == 100", "Successful", "100"),
        ({"items": [{"v": 1}, {"v": 2}]}, "{$.items[*].v}", "result == 1", "Successful", "1"),
        ({"a": {"z": 1, "b": [True, None]}}, "{.a}", "", "Successful", '{"b":[true,null],"z":1}'),
        ({"data": {"ok": True}}, "$.data.ok", 'result == "$.data.ok"', "Successful", '"$.data.ok"'),
        ({"v": "<b>&"}, "{.v}", "", "Successful", '"\\u003cb\\u003e\\u0026"'),
    ],
)
def test_json_bodies_select_the_first_match_and_format_values_as_go_json(
    http_server: ScriptedServer, body, path, condition, phase, value
):
    http_server.script(body)
    measurement = measure(
        web(http_server.url + "/stats", jsonPath=path, successCondition=condition)
    )
    assert (measurement["phase"], measurement["value"]) == (phase, value)
    assert measurement["startedAt"] and measurement["finishedAt"]
    assert http_server.requests[0]["path"] == "/stats"
    assert http_server.requests[0]["headers"]["User-Agent"] == "Go-http-client/1.1"


def test_mismatched_types_are_a_bare_expr_error_with_no_value(http_server: ScriptedServer):
    http_server.script({"data": {"ok": True}})
    metric = web(http_server.url, jsonPath="{$.data.ok}", successCondition='result == "true"')
    measurement = measure(metric)
    assert measurement["phase"] == "Error"
    assert measurement["message"] == "invalid operation: == (mismatched types bool and string)"
    assert "value" not in measurement


def test_a_body_that_is_not_json_is_successful_without_evaluation_in_v191(
    http_server: ScriptedServer,
):
    http_server.script((200, "all good"), (200, ""))
    failing = web(http_server.url, jsonPath="{$.v}", successCondition="result == 'never'")
    first, second = measure(failing), measure(failing)
    assert (first["phase"], first["value"]) == ("Successful", "all good")
    assert (second["phase"], second["value"]) == ("Successful", "")


@pytest.mark.parametrize(
    ("reply", "path", "message"),
    [
        ((500, "{}"), "{$}", "received non 2xx response code: 500"),
        ((503, "down"), "{$}", "received non 2xx response code: 503"),
        ((200, '{"a": 1}'), "{$.b}", "Could not find JSONPath in body: b is not found"),
        (
            (200, '{"a": [1]}'),
            "{.a[3]}",
            "Could not find JSONPath in body: array index out of bounds: index 3, length 1",
        ),
        ((200, '{"a": []}'), "{.a[*]}", "result of web metric produced no value"),
    ],
)
def test_http_and_jsonpath_failures_are_error_measurements(
    http_server: ScriptedServer, reply, path, message
):
    http_server.script(reply)
    measurement = measure(web(http_server.url, jsonPath=path))
    assert (measurement["phase"], measurement["message"]) == ("Error", message)
    assert measurement["finishedAt"]


def test_methods_headers_and_bodies(http_server: ScriptedServer):
    http_server.script({"ok": True})
    headers = [{"key": "X-Token", "value": "a"}, {"key": "x-token", "value": "b"}]
    measure(web(http_server.url, method="POST", body="raw", headers=headers))
    measure(web(http_server.url, method="PUT", jsonBody={"q": [1, "x"]}))
    post, put = http_server.requests
    assert (post["method"], post["body"]) == ("POST", b"raw")
    assert post["headers"]["x-token"] == "b"  # Set semantics: the later entry wins
    assert put["method"] == "PUT" and json.loads(put["body"]) == {"q": [1, "x"]}
    assert put["headers"]["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"method": "POST", "body": "a", "jsonBody": {"b": 1}},
            "use either Body or JSONBody; both cannot exists for WebMetric payload",
        ),
        ({"body": "a"}, "Body/JSONBody can only be used with POST or PUT WebMetric Method types"),
        (
            {"jsonBody": {"a": 1}},
            "Body/JSONBody can only be used with POST or PUT WebMetric Method types",
        ),
    ],
)
def test_body_rules(http_server: ScriptedServer, fields, message):
    measurement = measure(web(http_server.url, **fields))
    assert (measurement["phase"], measurement["message"]) == ("Error", message)
    assert http_server.requests == []


def test_connection_refused_reads_like_go():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/stats"
    measurement = measure(web(url))
    assert measurement["phase"] == "Error"
    assert measurement["message"] == (
        f'Get "{url}": dial tcp 127.0.0.1:{port}: connect: connection refused'
    )


def test_timeout_is_the_client_timeout(http_server: ScriptedServer):
    import time

    def slow(_request: dict[str, Any]) -> tuple[int, str]:
        time.sleep(1.5)
        return 200, "{}"

    http_server.handler = slow
    measurement = measure(web(http_server.url, timeoutSeconds=1))
    assert measurement["phase"] == "Error"
    assert "Client.Timeout exceeded" in measurement["message"]
    assert measurement["message"].startswith(f'Get "{http_server.url}"')


def test_invalid_jsonpath_and_oauth_setup_fail_at_construction():
    with pytest.raises(ProviderError, match="unclosed action"):
        new_provider(web("http://x", jsonPath="{.a"), ProviderContext(None, Clock()), "lab")
    oauth = {"oauth2": {"tokenUrl": "http://t", "clientId": "a"}}
    with pytest.raises(ProviderError, match="missing mandatory parameter in metric for OAuth2"):
        new_provider(web("http://x", authentication=oauth), ProviderContext(None, Clock()), "lab")


def test_jsonpath_text_outside_braces_comes_first_and_filters_select():
    data = {"items": [{"n": "a", "v": 1.0}, {"n": "b", "v": 2.0}]}
    assert JSONPath("x{.items[0].n}").find_results(data) == [["x"], ["a"]]
    assert JSONPath("{.items[?(@.n == 'b')].v}").find_results(data) == [[2.0]]
    assert JSONPath("{.items[-1:].n}").find_results(data) == [["b"]]
    with pytest.raises(JSONPathError, match="map\\[string\\]interface \\{\\} is not array"):
        JSONPath("{.items[0][0]}").find_results(data)


def test_oauth2_client_credentials_token_is_sent_as_bearer(http_server: ScriptedServer):
    def answer(request: dict[str, Any]) -> tuple[int, str]:
        if request["path"] == "/token":
            return 200, json.dumps({"access_token": "tok-1", "token_type": "bearer"})
        return 200, json.dumps({"ok": request["headers"].get("Authorization") == "Bearer tok-1"})

    http_server.handler = answer
    oauth = {
        "oauth2": {
            "tokenUrl": http_server.url + "/token",
            "clientId": "id",
            "clientSecret": "secret",
            "scopes": ["read"],
        }
    }
    metric = web(
        http_server.url + "/m", jsonPath="{.ok}", authentication=oauth, successCondition="result"
    )
    measurement = measure(metric)
    assert (measurement["phase"], measurement["value"]) == ("Successful", "true")
    token_request = http_server.requests[0]
    assert token_request["method"] == "POST"
    assert b"grant_type=client_credentials" in token_request["body"]
    assert token_request["headers"]["Authorization"].startswith("Basic ")
