"""Each version's behaviour on the standard mix, measured over real HTTP (issue 2 acceptance)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from agent_measure import Measurement, measure

from agent.app import create_app
from agent.mix import standard_mix
from agent.models import PlanRequest
from agent.planner import thinking_delay_ms
from agent.server import ServerThread
from agent.telemetry import p95
from agent.template import available_versions, load_template

README = Path(__file__).resolve().parents[2] / "agent" / "README.md"


@pytest.fixture(scope="module")
def measured() -> dict[str, Measurement]:
    """Every version measured once on standard_mix(0): 200 requests each."""
    results = {}
    for version in available_versions():
        with ServerThread(create_app(version, request_log=None)) as server:
            results[version] = measure(server.url)
    return results


def test_every_image_version_ships_a_template():
    assert available_versions() == ["v1", "v2", "v3", "v4", "v5"]
    for version in available_versions():
        assert load_template(version).image == f"rollout-lab/task-agent:{version}"


def test_v3_escalates_at_least_three_times_as_often_as_v1_without_errors(measured):
    v1, v3 = measured["v1"], measured["v3"]
    assert v1.urgent_ratio > 0
    assert v3.urgent_ratio >= 3 * v1.urgent_ratio
    assert v3.error_rate == 0.0
    assert set(v3.statuses) == {200}


def test_v4_fails_at_least_a_fifth_of_requests_with_http_500(measured):
    v4 = measured["v4"]
    assert v4.error_rate >= 0.2
    assert set(v4.statuses) == {200, 500}
    failed = next(
        body for body, status in zip(v4.bodies, v4.statuses, strict=True) if status == 500
    )
    assert failed["agent_version"] == "v4"
    assert "strict JSON" in failed["detail"]


def test_v4_failures_are_reproducible(measured, serve_agent):
    server = serve_agent("v4")
    mix = standard_mix(0)
    with httpx.Client(base_url=server.url) as client:
        for body, first_status in list(zip(mix, measured["v4"].statuses, strict=True))[:30]:
            assert client.post("/v1/plan", json=body).status_code == first_status


def test_v1_v2_v3_serve_without_errors(measured):
    for version in ("v1", "v2", "v3", "v5"):
        assert measured[version].error_rate == 0.0, version


def test_v1_and_v2_give_identical_priorities(measured):
    assert measured["v1"].priorities == measured["v2"].priorities
    assert measured["v1"].priorities != measured["v3"].priorities


def test_v2_adds_priority_counts_and_v1_does_not(measured):
    v1_plan, v2_plan = measured["v1"].bodies[0], measured["v2"].bodies[0]
    assert "priority_counts" not in v1_plan
    counts = v2_plan["priority_counts"]
    assert sum(counts.values()) == len(v2_plan["tasks"])
    for priority, count in counts.items():
        assert count == sum(1 for task in v2_plan["tasks"] if task["priority"] == priority)


def test_v2_thinks_less_than_v1_and_v3_as_long_as_v1():
    requests = [PlanRequest.model_validate(body) for body in standard_mix(0)]
    delays = {
        v: [thinking_delay_ms(load_template(v), request) for request in requests]
        for v in ("v1", "v2", "v3")
    }
    assert p95(delays["v2"]) < p95(delays["v1"])
    assert delays["v3"] == delays["v1"]


def test_agent_stats_agree_with_what_clients_saw(measured):
    for version, result in measured.items():
        stats = result.stats
        assert stats["version"] == version
        assert stats["requests"] == 200
        assert stats["errors"] == sum(1 for s in result.statuses if s >= 500)
        assert stats["error_rate"] == pytest.approx(result.error_rate)
        assert stats["urgent_ratio"] == pytest.approx(result.urgent_ratio)
        assert stats["p95_latency_ms"] >= load_template(version).thinking_base_ms


def test_v5_is_alive_but_never_ready(serve_agent, measured):
    server = serve_agent("v5")
    with httpx.Client(base_url=server.url) as client:
        for _ in range(3):
            ready = client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["ready"] is False
            assert "tool index" in ready.json()["reason"]
            assert client.get("/healthz").status_code == 200
    for version in ("v1", "v2", "v3", "v4"):
        assert measured[version].probes["/readyz"] == (200, {"ready": True, "version": version})
        assert measured[version].probes["/healthz"][0] == 200
    assert measured["v5"].probes["/readyz"][0] == 503
    assert measured["v5"].probes["/healthz"][0] == 200


def _readme_figures() -> dict[str, tuple[float, float]]:
    """version -> (urgent_ratio, error_rate) from the README's measured-figures table."""
    rows = re.findall(
        r"^\|\s*(v\d)\s*\|[^|]*\|\s*([0-9.]+)\s*\|\s*([0-9.]+)\s*\|",
        README.read_text(encoding="utf-8"),
        re.M,
    )
    return {version: (float(urgent), float(errors)) for version, urgent, errors in rows}


def test_readme_quotes_the_measured_figures(measured):
    figures = _readme_figures()
    assert set(figures) == set(available_versions())
    for version, (urgent, error_rate) in figures.items():
        assert urgent == pytest.approx(measured[version].urgent_ratio, abs=0.0005), version
        assert error_rate == pytest.approx(measured[version].error_rate, abs=0.0005), version
