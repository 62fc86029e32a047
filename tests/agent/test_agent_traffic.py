"""The traffic generator's Python API and the shared standard mix."""

from __future__ import annotations

import itertools
import threading
import time

import httpx
import pytest

from agent.mix import STANDARD_MIX_SIZE, standard_mix
from agent.models import PlanRequest
from agent.traffic import TrafficSummary, run_traffic


class SplitTransport(httpx.BaseTransport):
    """Send requests to several real servers in turn, like a Service in front of two pods."""

    def __init__(self, ports: list[int]) -> None:
        self._ports = itertools.cycle(ports)
        self._lock = threading.Lock()
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            port = next(self._ports)
        request.url = request.url.copy_with(port=port)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def test_standard_mix_is_deterministic_valid_and_seeded():
    first, again, other = standard_mix(0), standard_mix(0), standard_mix(1)
    assert first == again
    assert first != other
    assert len(first) == STANDARD_MIX_SIZE
    assert len(standard_mix(5, count=7)) == 7
    for body in first:
        assert 3 <= len(PlanRequest.model_validate(body).tasks) <= 6


def test_traffic_tallies_each_responding_version(serve_agent):
    stable, canary = serve_agent("v1"), serve_agent("v3")
    ticks: list[TrafficSummary] = []
    summary = run_traffic(
        "http://127.0.0.1:1",  # the transport picks the real port
        rps=50,
        duration=1.2,
        seed=2,
        on_tick=ticks.append,
        transport=SplitTransport([stable.port, canary.port]),
    )
    assert summary.finished
    assert summary.sent == summary.completed == 60
    assert set(summary.by_version) == {"v1", "v3"}
    v1, v3 = summary.by_version["v1"], summary.by_version["v3"]
    assert v1.requests == v3.requests == 30
    assert summary.errors == 0 and summary.transport_errors == 0
    assert v3.urgent_ratio > 2 * v1.urgent_ratio > 0
    for server, tally in ((stable, v1), (canary, v3)):
        stats = httpx.get(server.url + "/stats").json()
        assert stats["requests"] == tally.requests
        assert stats["urgent_ratio"] == pytest.approx(tally.urgent_ratio)
    assert ticks[-1] == summary
    assert any(not tick.finished for tick in ticks)
    assert [tick.sent for tick in ticks] == sorted(tick.sent for tick in ticks)


def test_traffic_counts_500s_as_errors_of_their_version(serve_agent):
    server = serve_agent("v4")
    summary = run_traffic(server.url, rps=100, duration=0.5, seed=0)
    v4 = summary.by_version["v4"]
    assert v4.requests == 50
    assert 0 < v4.errors < 50
    assert summary.error_rate == pytest.approx(v4.errors / 50)
    assert summary.as_dict()["by_version"]["v4"]["errors"] == v4.errors


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def test_traffic_to_nowhere_counts_transport_errors():
    transport = httpx.MockTransport(_refuse)
    summary = run_traffic("http://agent.invalid", rps=20, duration=0.25, transport=transport)
    assert summary.sent == summary.completed == summary.transport_errors == 5
    assert summary.by_version == {}
    assert summary.error_rate == 1.0
    assert "unreachable: 5" in summary.line()


@pytest.mark.parametrize(("rps", "duration"), [(0, 1), (501, 1), (10, 0), (10, 3601)])
def test_traffic_refuses_unbounded_or_empty_runs(rps, duration):
    with pytest.raises(ValueError):
        run_traffic("http://127.0.0.1:1", rps=rps, duration=duration)


def test_a_slow_target_shortens_the_run_instead_of_stretching_it():
    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.2)
        return httpx.Response(200, json={"agent_version": "v1", "tasks": []})

    started = time.monotonic()
    summary = run_traffic(
        "http://agent.invalid",
        rps=50,
        duration=0.2,
        timeout=0.3,
        workers=1,
        transport=httpx.MockTransport(slow),
    )
    assert time.monotonic() - started < 1.5
    assert 2 <= summary.sent == summary.completed < 10
    assert summary.by_version["v1"].requests == summary.sent
