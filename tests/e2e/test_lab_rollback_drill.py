"""Lab rollback-drill on a live embedded cluster: before the incident every drill check waits;
with the incident staged (v4 paused at 50%) the drill checks still wait (nothing to fail yet);
solve (abort, undo) scores full marks within the time bound."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lab_content_support import (
    LabHarness,
    assert_full_marks,
    bundle_result,
    lab_harness,
    statuses,
)

from checker import Status
from labs.runtime.traffic import read_series

pytestmark = pytest.mark.slow

LAB = "rollback-drill"
DRILL_CHECKS = ("incident-stopped", "rolled-back", "time-to-recover")


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHarness]:
    with lab_harness(tmp_path_factory.mktemp(LAB), LAB) as harness:
        yield harness


def _drill_module(harness: LabHarness):  # the solve.py module, for stage_incident
    solver = harness.solver()
    return solver.__globals__


def test_staged_incident_then_solve_scores_full_marks(harness: LabHarness) -> None:
    session = harness.open("drill")
    try:
        before = statuses(session.check(deadline=1))
        drill = _drill_module(harness)
        drill["stage_incident"](session)
        assert drill["incident_live"](session)
        staged = statuses(session.check(deadline=1))
        harness.solver()(session)
        series = read_series(session.traffic_series_path(), bucket=3600)
        session.stop_traffic()
        result = session.check(deadline=30)
        submitted = bundle_result(session, harness.root)
    finally:
        session.stop_traffic()
        session.close()
    for check in ("files-parse", "schema-valid", "rollout-present"):
        assert before[check][0] is Status.PASSED, before[check]
    for check in DRILL_CHECKS:
        assert before[check][0] is Status.PENDING, before[check]
        assert "no changes of Rollout 'agent' recorded yet" in before[check][1]
        assert staged[check][0] is Status.PENDING, staged[check]
    assert_full_marks(result)
    assert submitted.mode == "offline"
    assert_full_marks(submitted)
    seen = statuses(result)
    assert seen["incident-stopped"][1].startswith("aborted at")
    assert "back on rollout-lab/task-agent:v1" in seen["rolled-back"][1]
    assert "after the incident began" in seen["time-to-recover"][1]
    # the incident itself: users saw v4's HTTP 500s while it was live
    errors: dict[str, int] = {}
    for point in series:
        for version, rates in point.versions.items():
            errors[version] = errors.get(version, 0) + rates.errors
    print(
        {v: (r.requests, r.errors) for p in series for v, r in p.versions.items()},
        [p.unreachable for p in series],
    )
    assert errors.get("v4", 0) > 0 and errors.get("v1", 0) == 0, errors


def test_undo_without_an_abort_is_also_a_full_recovery(harness: LabHarness) -> None:
    session = harness.open("undo-only")  # same namespace: the Rollout is Healthy on v1 again
    try:
        drill = _drill_module(harness)
        drill["stage_incident"](session, traffic=False)
        session.action("undo")
        session.wait_phase("Healthy", timeout=120)
        result = session.check(deadline=30)
    finally:
        session.close()
    assert_full_marks(result)
    seen = statuses(result)
    assert seen["incident-stopped"][1].startswith("taken back (the template left the faulty image)")
