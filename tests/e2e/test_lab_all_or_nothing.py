"""Lab all-or-nothing on a live embedded cluster: the starter fails only the fleet-size check
(live checks wait), and the reference path (solution + solve: v1, v3 to every pod, undo)
scores full marks."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from lab_content_support import (
    LabHarness,
    assert_full_marks,
    bundle_result,
    lab_harness,
    starter_statuses,
    statuses,
)

from checker import Status
from labs.runtime.traffic import VersionRates, read_series

pytestmark = pytest.mark.slow

LAB = "all-or-nothing"


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHarness]:
    with lab_harness(tmp_path_factory.mktemp(LAB), LAB) as harness:
        yield harness


def test_starter_fails_fleet_size_and_live_checks_wait(harness: LabHarness) -> None:
    seen = starter_statuses(harness)
    assert seen["deployment-spec"][0] is Status.FAILED
    assert "spec.replicas is 1" in seen["deployment-spec"][1]
    for check in ("files-parse", "schema-valid", "deployment-present"):
        assert seen[check][0] is Status.PASSED, seen[check]
    for check in ("released-new-version", "recovered", "fleet-available"):
        assert seen[check][0] is Status.PENDING, seen[check]
    assert "v3" not in " ".join(observed for _, observed in seen.values())


def test_solution_and_solve_score_full_marks(harness: LabHarness) -> None:
    session = harness.open("solved")
    try:
        harness.solver()(session, observe_seconds=6)
        session.stop_traffic()
        result = session.check(deadline=30)
        submitted = bundle_result(session, harness.root)
        history = session.kubectl("rollout", "history", "deployment/agent")
        series = read_series(session.traffic_series_path(), bucket=3600)
    finally:
        session.stop_traffic()
        session.close()
    assert_full_marks(result)
    assert submitted.mode == "offline"
    assert_full_marks(submitted)
    seen = statuses(result)
    assert "back on rollout-lab/task-agent:v1" in seen["recovered"][1]
    assert "after rollout-lab/task-agent:v3" in seen["recovered"][1]
    assert "revision" not in seen["recovered"][1]  # dated from the recorded scaling Events
    assert "3 of 3 updated, 3 available" in seen["fleet-available"][1]
    assert history.ok and "3" in history.text()
    # the lesson itself: v3 reached users, answered without errors, and flagged more tasks urgent
    rates: dict[str, VersionRates] = {}
    for point in series:
        for version, seen_rates in point.versions.items():
            rates.setdefault(version, VersionRates()).add(seen_rates.__dict__)
    assert rates["v3"].tasks >= 30, rates
    assert rates["v3"].errors == 0 and rates["v1"].errors == 0
    assert rates["v3"].urgent_ratio > rates["v1"].urgent_ratio, rates


def _clear_namespace(harness: LabHarness) -> None:
    """Remove the previous test's Deployment, its ReplicaSets and its Events."""
    session = harness.open("cleanup", record=False)
    try:
        assert session.kubectl("delete", "deployment", "--all", "--wait=true").ok
        deadline = time.monotonic() + 30
        while session.kubectl("get", "replicasets", "-o", "name").text().strip():
            assert time.monotonic() < deadline, "ReplicaSets were not garbage-collected"
            time.sleep(0.25)
        assert session.kubectl("delete", "events", "--all").ok
    finally:
        session.close()


def test_reapplying_the_old_manifest_is_a_valid_recovery(harness: LabHarness) -> None:
    _clear_namespace(harness)
    session = harness.open("reapply")
    manifest = session.workspace.path / "deployment.yaml"
    try:
        session.workspace.use_solution()
        v1 = manifest.read_text(encoding="utf-8")
        for text in (v1, v1.replace("task-agent:v1", "task-agent:v3"), v1):
            manifest.write_text(text, encoding="utf-8")
            assert session.apply().ok
            assert session.kubectl("rollout", "status", "deployment/agent", "--timeout=90s").ok
        result = session.check(deadline=30)
    finally:
        session.close()
    assert_full_marks(result)
    assert "revision" not in statuses(result)["recovered"][1]
