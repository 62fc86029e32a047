"""Lab blue-green on a live embedded cluster: the starter fails only the blue-green Services
check and its live checks wait; the reference path (v2 probed on preview and promoted, v3 probed
and aborted) scores full marks, with users left on v2."""

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

LAB = "blue-green"
LIVE_CHECKS = (
    "preview-checked",
    "active-release",
    "second-preview-checked",
    "next-release-aborted",
)


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHarness]:
    with lab_harness(tmp_path_factory.mktemp(LAB), LAB) as harness:
        yield harness


def test_starter_fails_only_the_preview_wiring(harness: LabHarness) -> None:
    seen = starter_statuses(harness)
    failed = {k for k, (status, _) in seen.items() if status is Status.FAILED}
    assert failed == {"bluegreen-services"}, seen
    assert "previewService is empty" in seen["bluegreen-services"][1]
    for check in LIVE_CHECKS:
        assert seen[check][0] is Status.PENDING, seen[check]


def test_solution_and_solve_score_full_marks(harness: LabHarness) -> None:
    session = harness.open("solved")
    try:
        harness.solver()(session)
        session.stop_traffic()
        result = session.check(deadline=30)
        submitted = bundle_result(session, harness.root)
        rollout = session.rollout()
    finally:
        session.stop_traffic()
        session.close()
    assert_full_marks(result)
    assert submitted.mode == "offline"
    assert_full_marks(submitted)
    seen = statuses(result)
    assert "preview Service probed" in seen["preview-checked"][1]
    assert "promoted at" in seen["preview-checked"][1]
    # the preview reached only the new version each time (the probe records who answered)
    assert "answers by version: v2=" in seen["preview-checked"][1]
    assert "answers by version: v3=" in seen["second-preview-checked"][1]
    assert "serves rollout-lab/task-agent:v2" in seen["active-release"][1]
    assert rollout["status"]["abort"] is True
    assert rollout["status"]["phase"] == "Degraded"


def test_switching_unchecked_and_to_the_bad_release_fails_those_checks(
    harness: LabHarness,
) -> None:
    cleanup = harness.open("cleanup", record=False)
    try:
        assert cleanup.kubectl("delete", "rollout", "agent", "--wait=true").ok
    finally:
        cleanup.close()
    session = harness.open("wrong-path")
    try:
        session.workspace.use_solution()
        assert session.apply().ok
        session.wait_phase("Healthy", timeout=90)
        session.release("v2")
        session.wait_phase("Paused", timeout=90)
        session.action("promote")  # no look at the preview first
        session.wait_phase("Healthy", timeout=90)
        session.release("v3")
        session.wait_phase("Paused", timeout=90)
        session.action("promote")  # and the worse release goes live
        session.wait_phase("Healthy", timeout=90)
        result = session.check(deadline=10)
    finally:
        session.close()
    seen = statuses(result)
    failed = {k for k, (status, _) in seen.items() if status is Status.FAILED}
    assert failed == {
        "preview-checked",
        "active-release",
        "second-preview-checked",
        "next-release-aborted",
    }, seen
    assert "with no request to the preview Service 'agent-preview'" in seen["preview-checked"][1]
    assert "serves rollout-lab/task-agent:v3, not the release" in seen["active-release"][1]
    assert "faulty release became stable and Healthy" in seen["next-release-aborted"][1]
    assert result.gradable
