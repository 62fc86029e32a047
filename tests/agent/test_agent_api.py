"""The HTTP surface: validation, size limit, probes, metrics and the rolling /stats window."""

from __future__ import annotations

import json
import socket

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from agent.middleware import MAX_BODY_BYTES
from agent.mix import standard_mix

GOOD_TASK = {"id": "T1", "title": "Fix login flow", "impact": 3, "effort": 2}


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _raw_request(url: str, head: bytes) -> tuple[int, dict[str, object]]:
    """Send raw bytes (headers only) and parse status line and JSON body of the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(head)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    header, _, body = data.partition(b"\r\n\r\n")
    return int(header.split()[1]), json.loads(body)


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"tasks": [GOOD_TASK]}, ["body", "goal"]),
        ({"goal": "g", "tasks": []}, ["body", "tasks"]),
        ({"goal": "g", "tasks": [{**GOOD_TASK, "impact": 9}]}, ["body", "tasks", 0, "impact"]),
        ({"goal": "g", "tasks": [{**GOOD_TASK, "effort": "lots"}]}, ["body", "tasks", 0, "effort"]),
        (
            {"goal": "g", "tasks": [{**GOOD_TASK, "due_in_hours": -1}]},
            ["body", "tasks", 0, "due_in_hours"],
        ),
        ({"goal": "g", "tasks": [{**GOOD_TASK, "owner": "me"}]}, ["body", "tasks", 0, "owner"]),
        (
            {"goal": "g", "tasks": [{"id": "T1", "impact": 1, "effort": 1}]},
            ["body", "tasks", 0, "title"],
        ),
    ],
)
def test_invalid_plan_bodies_get_422_with_field_errors(serve_agent, body, location):
    server = serve_agent("v1")
    response = httpx.post(server.url + "/v1/plan", json=body)
    assert response.status_code == 422
    assert location in [error["loc"] for error in response.json()["detail"]]


def test_non_json_body_gets_422(serve_agent):
    server = serve_agent("v1")
    response = httpx.post(
        server.url + "/v1/plan", content=b"not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_declared_oversized_body_is_rejected_before_it_is_read(serve_agent):
    server = serve_agent("v1")
    head = (
        b"POST /v1/plan HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode()
    )
    status, body = _raw_request(server.url, head)
    assert status == 413
    assert "limit" in str(body["detail"])
    stats = httpx.get(server.url + "/stats").json()
    assert (stats["requests"], stats["errors"]) == (1, 0)


def test_streamed_oversized_body_is_cut_off_with_413(serve_agent):
    server = serve_agent("v1")

    def chunks():
        piece = b" " * 65536
        for _ in range(MAX_BODY_BYTES // len(piece) + 1):
            yield piece

    response = httpx.post(
        server.url + "/v1/plan", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["limit_bytes"] == MAX_BODY_BYTES


def test_body_of_exactly_the_limit_reaches_validation(serve_agent):
    server = serve_agent("v1")
    payload = json.dumps({"goal": "g", "tasks": [GOOD_TASK]}).encode()
    padded = payload + b" " * (MAX_BODY_BYTES - len(payload))
    response = httpx.post(
        server.url + "/v1/plan", content=padded, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["tasks"][0]["id"] == "T1"


def test_plan_orders_tasks_by_priority_and_explains_them(serve_agent):
    server = serve_agent("v1")
    body = {
        "goal": "Stabilise billing",
        "tasks": [
            {"id": "docs", "title": "Write notes", "impact": 1, "effort": 1, "tags": ["docs"]},
            {
                "id": "sec",
                "title": "Patch auth",
                "impact": 5,
                "effort": 2,
                "due_in_hours": 2,
                "tags": ["security"],
            },
            {"id": "big", "title": "Rebuild cache", "impact": 4, "effort": 5, "due_in_hours": 24},
        ],
    }
    response = httpx.post(server.url + "/v1/plan", json=body)
    assert response.status_code == 200
    assert response.headers["x-agent-version"] == "v1"
    plan = response.json()
    assert (plan["agent_version"], plan["template"]) == ("v1", "balanced-planner")
    by_id = {task["id"]: task for task in plan["tasks"]}
    assert [task["id"] for task in plan["tasks"]] == ["sec", "big", "docs"]
    assert by_id["sec"]["priority"] == "P0"
    assert by_id["docs"]["priority"] == "P3"
    assert by_id["big"]["priority"] == "P2"
    assert by_id["sec"]["reason"] == "score 10.0: impact 5/5 (+5.0), due in 2h (+4.0)"
    assert by_id["big"]["subtasks"][0] == "Scope Rebuild cache"
    assert by_id["sec"]["subtasks"] == []


def test_version_and_probes(serve_agent):
    server = serve_agent("v3", pod_name="agent-canary-7f9")
    info = httpx.get(server.url + "/version").json()
    assert info["version"] == "v3"
    assert info["template"] == "aggressive-planner"
    assert info["image"] == "rollout-lab/task-agent:v3"
    assert info["pod"] == "agent-canary-7f9"
    assert httpx.get(server.url + "/healthz").status_code == 200
    assert httpx.get(server.url + "/readyz").json() == {"ready": True, "version": "v3"}


def test_pod_name_comes_from_the_environment(serve_agent, monkeypatch):
    monkeypatch.setenv("POD_NAME", "task-agent-abc12")
    server = serve_agent("v1")
    assert httpx.get(server.url + "/stats").json()["pod"] == "task-agent-abc12"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_parse_and_count_requests_priorities_and_latency(serve_agent):
    server = serve_agent("v4")
    mix = standard_mix(0)[:20]
    statuses, p0 = [], 0
    with httpx.Client(base_url=server.url) as client:
        for body in mix:
            response = client.post("/v1/plan", json=body)
            statuses.append(response.status_code)
            if response.status_code == 200:
                p0 += sum(1 for t in response.json()["tasks"] if t["priority"] == "P0")
        client.post("/v1/plan", json={"goal": "g"})
        text = client.get("/metrics").text
    samples = _samples(text)

    def requests(status: str) -> float:
        key = (("path", "/v1/plan"), ("status", status), ("version", "v4"))
        return samples.get(("agent_http_requests_total", key), 0.0)

    assert requests("200") == statuses.count(200)
    assert requests("500") == statuses.count(500) > 0
    assert requests("422") == 1
    histogram_count = samples[("agent_http_request_duration_seconds_count", (("version", "v4"),))]
    assert histogram_count == len(mix) + 1
    p0_key = ("agent_planned_tasks_total", (("priority", "P0"), ("version", "v4")))
    assert samples.get(p0_key, 0.0) == p0
    info_key = (
        "agent_build_info",
        (("template", "balanced-planner-strict-json"), ("version", "v4")),
    )
    assert samples[info_key] == 1.0


def test_each_app_has_its_own_metrics_registry(serve_agent):
    first, second = serve_agent("v1"), serve_agent("v1")
    httpx.post(first.url + "/v1/plan", json=standard_mix(0)[0])
    key = (
        "agent_http_requests_total",
        (("path", "/v1/plan"), ("status", "200"), ("version", "v1")),
    )
    assert _samples(httpx.get(first.url + "/metrics").text)[key] == 1.0
    assert key not in _samples(httpx.get(second.url + "/metrics").text)


def test_stats_window_drops_requests_older_than_the_window(serve_agent):
    clock = FakeClock()
    server = serve_agent("v3", clock=clock)
    mix = standard_mix(1)
    with httpx.Client(base_url=server.url) as client:
        for body in mix[:3]:
            assert client.post("/v1/plan", json=body).status_code == 200
        fresh = client.get("/stats").json()
        assert fresh["requests"] == 3
        assert 0.0 < fresh["urgent_ratio"] <= 1.0
        clock.now += 45
        client.post("/v1/plan", json=mix[3])
        assert client.get("/stats").json()["requests"] == 4
        assert client.get("/stats", params={"window": 30}).json()["requests"] == 1
        clock.now += 20  # the first three are now 65 s old, the fourth 20 s
        stats = client.get("/stats").json()
        assert (stats["requests"], stats["window_seconds"]) == (1, 60.0)
        clock.now += 61
        empty = client.get("/stats").json()
        assert client.get("/stats", params={"window": 0}).status_code == 422
    assert empty == {
        **empty,
        "requests": 0,
        "errors": 0,
        "error_rate": 0.0,
        "urgent_ratio": 0.0,
        "p95_latency_ms": 0.0,
        "version": "v3",
    }


def test_stats_ignore_probes_and_count_5xx_as_errors(serve_agent):
    server = serve_agent("v4")
    with httpx.Client(base_url=server.url) as client:
        statuses = [client.post("/v1/plan", json=body).status_code for body in standard_mix(0)[:40]]
        for _ in range(5):
            client.get("/healthz")
            client.get("/metrics")
        stats = client.get("/stats").json()
    assert stats["requests"] == 40
    assert stats["errors"] == statuses.count(500) > 0
    assert stats["error_rate"] == pytest.approx(statuses.count(500) / 40)
    assert isinstance(stats["error_rate"], float) and isinstance(stats["requests"], int)


def test_each_request_is_logged_as_one_line(serve_agent):
    lines: list[str] = []
    server = serve_agent("v2", request_log=lines.append, pod_name="pod-a")
    httpx.post(server.url + "/v1/plan", json=standard_mix(0)[0])
    httpx.get(server.url + "/healthz")
    assert len(lines) == 2
    assert " v2 pod-a POST /v1/plan 200 " in lines[0]
    assert lines[1].split()[1:6] == ["v2", "pod-a", "GET", "/healthz", "200"]
