"""State and timeline rules over recorded-shape fixtures; the recorder; live polling semantics."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from checker import (
    GradeRequest,
    SnapshotError,
    Status,
    Timeline,
    TimelineRecorder,
    grade,
    load_manifest_dir,
    load_rubric,
)
from checker.rules import RULES, RuleInputs
from checker.scenarios import (
    BAD,
    GOOD,
    ROLLBACK_PATHS,
    canary_timeline,
    rollout_object,
    settled_snapshot,
)
from checker.timeline import TimelineEntry

LAB = Path(__file__).resolve().parents[3] / "labs" / "canary-analysis"
RUBRIC = load_rubric(LAB)
MANIFESTS = load_manifest_dir(LAB / "solution")
ROLLBACK_CHECKS = ("rolled-back", "rollback-time", "rollout-healthy", "no-canary-pods")


def _offline(timeline, snapshot=None):
    return grade(
        GradeRequest(
            rubric=RUBRIC,
            mode="offline",
            manifests=MANIFESTS,
            snapshot=snapshot or settled_snapshot(),
            timeline=timeline,
        )
    )


def _status(result, check_id):
    check = next(c for c in result.checks if c.id == check_id)
    return check.status, check.observed


@pytest.mark.parametrize("path", ROLLBACK_PATHS)
def test_every_valid_rollback_path_passes_the_rollback_checks(path):
    result = _offline(canary_timeline(path))
    for check_id in ROLLBACK_CHECKS:
        assert _status(result, check_id)[0] is Status.PASSED, (check_id, _status(result, check_id))


@pytest.mark.parametrize("path", ["abort_then_undo", "abort_then_set_image", "abort_then_reapply"])
def test_analysis_driven_paths_earn_full_marks_offline(path):
    result = _offline(canary_timeline(path))
    assert result.score == result.points_possible, [
        (c.id, c.observed) for c in result.checks if c.status is not Status.PASSED
    ]


def test_abort_alone_is_not_a_rollback_and_says_degraded():
    snapshot = settled_snapshot(BAD, phase="Degraded")
    result = _offline(canary_timeline("abort_only"), snapshot)
    status, observed = _status(result, "rolled-back")
    assert status is Status.FAILED
    assert "Degraded" in observed and "when submitted" in observed
    assert _status(result, "aborted-early")[0] is Status.PASSED
    assert _status(result, "rollout-healthy")[0] is Status.FAILED


def test_promoting_the_bad_release_fails_abort_and_rollback():
    result = _offline(canary_timeline("promote_full"), settled_snapshot(BAD))
    status, observed = _status(result, "aborted-early")
    assert status is Status.FAILED and "became stable" in observed
    assert "fully promoted" in _status(result, "rolled-back")[1]
    assert "not the release" in _status(result, "rollout-healthy")[1]


def test_manual_abort_is_not_credited_to_the_analysis():
    result = _offline(canary_timeline("manual_abort_then_undo"))
    status, observed = _status(result, "analysis-aborted")
    assert status is Status.FAILED and "no AnalysisRun failed" in observed
    assert _status(result, "rolled-back")[0] is Status.PASSED


def test_rollback_followed_by_the_bad_image_again_fails():
    result = _offline(canary_timeline("rollback_then_bad_again"))
    status, observed = _status(result, "rolled-back")
    assert status is Status.FAILED and "applied again" in observed


def test_final_state_hides_an_abort_but_the_timeline_shows_it():
    # The final snapshot of abort+undo equals one where nothing happened; only the timeline differs.
    nothing = _offline(canary_timeline("no_release"))
    recovered = _offline(canary_timeline("abort_then_undo"))
    assert _status(nothing, "aborted-early")[0] is Status.FAILED
    assert _status(recovered, "aborted-early")[0] is Status.PASSED
    assert _status(nothing, "rollout-healthy") == _status(recovered, "rollout-healthy")


def test_time_to_rollback_uses_lab_time_scale():
    timeline = canary_timeline("abort_then_undo")
    rule = RULES["timeline.time_to_rollback"].fn
    params = {"rollout": "agent", "good_image": GOOD, "bad_image": BAD, "max_seconds": 60}
    wall = rule(RuleInputs(timeline=timeline), params)
    assert wall.status is Status.PASSED
    seconds = float(wall.observed.split("s of lab time")[0])
    timeline.time_scale = 10.0  # recorded at 10x: each wall second is ten lab seconds
    outcome = rule(RuleInputs(timeline=timeline), params)
    assert outcome.status is Status.FAILED
    scaled = float(outcome.observed.split("s of lab time")[0])
    assert abs(scaled - seconds * 10) <= 10  # both printed rounded to whole seconds


def test_leftover_canary_pods_fail_and_name_the_pod():
    result = _offline(canary_timeline("abort_then_undo"), settled_snapshot(canary_pods=1))
    status, observed = _status(result, "no-canary-pods")
    assert status is Status.FAILED and "agent-7d5f8c9b4d-00000" in observed


def _bluegreen_timeline(probe_at: float | None) -> Timeline:
    timeline = Timeline(namespace="lab-bg", started_at=0.0)
    stable = rollout_object(GOOD, pod_hash="h1", stable="h1", phase="Healthy")
    preview = rollout_object(BAD, pod_hash="h2", stable="h1", phase="Paused", pause=True)
    promoted = rollout_object(BAD, pod_hash="h2", stable="h2", phase="Healthy")
    for t, obj in ((1.0, stable), (10.0, preview), (40.0, promoted)):
        timeline.entries.append(TimelineEntry(t, "rollout", "agent", obj))
    if probe_at is not None:
        timeline.entries.append(TimelineEntry(probe_at, "probe", "p", {"service": "agent-preview"}))
    timeline.entries.sort(key=lambda e: e.t)
    return timeline


@pytest.mark.parametrize(
    ("probe_at", "expected"),
    [(20.0, Status.PASSED), (50.0, Status.FAILED), (None, Status.FAILED), (5.0, Status.FAILED)],
)
def test_preview_checked_before_promotion(probe_at, expected):
    rule = RULES["timeline.preview_checked_before_promotion"].fn
    params = {"rollout": "agent", "preview_service": "agent-preview"}
    outcome = rule(RuleInputs(timeline=_bluegreen_timeline(probe_at)), params)
    assert outcome.status is expected, outcome.observed


def test_timeline_round_trips_through_jsonl():
    timeline = canary_timeline("abort_then_undo")
    again = Timeline.from_jsonl(timeline.to_jsonl())
    assert again.entries == timeline.entries
    assert (again.namespace, again.started_at) == (timeline.namespace, timeline.started_at)


def test_recorder_keeps_changes_in_order_and_drops_repeats():
    aborted = rollout_object(BAD, pod_hash="h4", stable="h1", phase="Degraded", abort=True)
    healthy = rollout_object(GOOD, pod_hash="h1", stable="h1", phase="Healthy", revision=3)
    streams = {
        "rollouts": [
            ("ADDED", healthy),
            ("MODIFIED", aborted),
            ("MODIFIED", aborted),
            ("MODIFIED", healthy),
        ],
        "events": [
            (
                "ADDED",
                {
                    "metadata": {"name": "e1"},
                    "reason": "RolloutAborted",
                    "count": 1,
                    "involvedObject": {"kind": "Rollout", "name": "agent"},
                },
            )
        ]
        * 2,
        "analysisruns": [
            ("ADDED", {"metadata": {"name": "ar"}, "status": {"phase": "Failed"}}),
            ("DELETED", {"metadata": {"name": "ar"}}),
        ],
    }
    ticks = iter(range(1, 1000))
    lock = threading.Lock()

    def clock() -> float:
        with lock:
            return float(next(ticks))

    recorder = TimelineRecorder(
        "lab-canary", stream=lambda kind, stop: iter(streams[kind]), clock=clock
    )
    recorder.start()
    timeline = recorder.stop()
    phases = [v.phase for _, v in timeline.rollout_states("agent")]
    assert phases == ["Healthy", "Degraded", "Healthy"]
    assert [e.data["reason"] for e in timeline.events()] == ["RolloutAborted"]
    assert [e.data["phase"] for e in timeline.of_type("analysisrun")] == ["Failed"]
    assert timeline.rollout_states("agent")[1][1].aborted


def test_recorder_appends_to_a_file_and_continues_it_after_a_restart(tmp_path):
    path = tmp_path / ".rollout-lab" / "timeline.jsonl"
    healthy = rollout_object(GOOD, pod_hash="h1", stable="h1", phase="Healthy")
    aborted = rollout_object(BAD, pod_hash="h4", stable="h1", phase="Degraded", abort=True)
    first = TimelineRecorder("lab-canary", stream=lambda kind, stop: iter(()), path=path)
    first.record("rollouts", healthy)
    first.record("rollouts", aborted)
    second = TimelineRecorder("lab-canary", stream=lambda kind, stop: iter(()), path=path)
    second.record("rollouts", healthy)
    on_disk = Timeline.from_jsonl(path.read_text(encoding="utf-8"))
    assert [v.phase for _, v in on_disk.rollout_states("agent")] == [
        "Healthy",
        "Degraded",
        "Healthy",
    ]
    assert on_disk.started_at == first.timeline.started_at
    assert len(second.timeline.entries) == 3


# ---- live (cluster) mode: wait, and never fail because the cluster is not ready ----------------


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _live(snapshots, timeline=None, deadline=10.0):
    clock = _Clock()
    feed = iter(snapshots)

    def source():
        item = next(feed, snapshots[-1])
        if isinstance(item, Exception):
            raise item
        return item

    request = GradeRequest(
        rubric=RUBRIC,
        mode="cluster",
        manifests=MANIFESTS,
        snapshot_source=source,
        timeline_source=lambda: timeline or canary_timeline("abort_then_undo"),
        deadline_seconds=deadline,
    )
    return grade(request, clock=clock, sleep=clock.sleep), clock


def test_live_check_waits_while_rolling_then_passes():
    rolling = settled_snapshot()
    rolling.objects["rollouts"][0]["status"]["phase"] = "Progressing"
    result, clock = _live([rolling, rolling, settled_snapshot()])
    assert _status(result, "rollout-healthy")[0] is Status.PASSED
    assert clock.now == pytest.approx(2 * RUBRIC.poll_seconds)


def test_live_check_reports_error_not_failed_when_the_cluster_is_unreachable():
    result, clock = _live([SnapshotError("cannot reach the cluster: connection refused")])
    status, observed = _status(result, "rollout-healthy")
    assert status is Status.ERROR and "connection refused" in observed
    assert not any(c.status is Status.FAILED for c in result.checks)
    assert not result.gradable
    assert clock.now <= 10.0


def test_live_check_stops_at_once_when_waiting_cannot_help():
    result, clock = _live([SnapshotError("no usable kubeconfig", retry=False)])
    assert _status(result, "rollout-healthy")[0] is Status.ERROR
    assert clock.now == 0.0


def test_live_check_stays_pending_until_the_deadline_when_not_applied():
    empty = settled_snapshot()
    empty.objects["rollouts"] = []
    result, _clock = _live([empty], timeline=Timeline(namespace="lab-canary"))
    status, observed = _status(result, "rollout-healthy")
    assert status is Status.PENDING and "waited 10s" in observed
    assert _status(result, "rolled-back")[0] is Status.PENDING
    assert not any(c.status is Status.FAILED for c in result.checks if c.family != "manifest")
