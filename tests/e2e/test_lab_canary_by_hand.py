"""Lab canary-by-hand on a live embedded cluster: the starter (still a Deployment) fails the
Rollout checks and its live checks wait; the reference path (solution + solve: v1, release v2,
promote at both indefinite pauses) scores full marks."""

from __future__ import annotations

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

pytestmark = pytest.mark.slow

LAB = "canary-by-hand"
ROLLOUT_CHECKS = (
    "rollout-present",
    "selector-labels",
    "replicas",
    "canary-steps",
    "canary-services",
    "services-select-pods",
)


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHarness]:
    with lab_harness(tmp_path_factory.mktemp(LAB), LAB) as harness:
        yield harness


def test_starter_fails_the_rollout_checks_and_live_checks_wait(harness: LabHarness) -> None:
    seen = starter_statuses(harness)
    assert seen["files-parse"][0] is Status.PASSED
    assert seen["schema-valid"][0] is Status.PASSED
    for check in ROLLOUT_CHECKS:
        assert seen[check][0] is Status.FAILED, seen[check]
        assert "no Rollout named 'agent'" in seen[check][1]
    assert "Deployment 'agent'" in seen["rollout-present"][1]
    for check in ("rollout-healthy", "promoted-through-pause"):
        assert seen[check][0] is Status.PENDING, seen[check]


def test_solution_and_solve_score_full_marks(harness: LabHarness) -> None:
    session = harness.open("solved")
    try:
        harness.solver()(session)
        session.stop_traffic()
        result = session.check(deadline=30)
        submitted = bundle_result(session, harness.root)
    finally:
        session.stop_traffic()
        session.close()
    assert_full_marks(result)
    assert submitted.mode == "offline"
    assert_full_marks(submitted)
    seen = statuses(result)
    assert "paused at" in seen["promoted-through-pause"][1]
    assert "step index 1" in seen["promoted-through-pause"][1]
    assert "a pause with no duration" in seen["canary-steps"][1]
