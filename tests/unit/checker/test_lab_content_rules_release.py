"""timeline.promoted_through_pause (canary-by-hand) and timeline.time_to_recover
(rollback-drill) over recorded-shape timelines."""

from __future__ import annotations

from typing import Any

from checker import Status, Timeline
from checker.rules import RULES, RuleInputs
from checker.scenarios import rollout_object
from checker.timeline import TimelineEntry, rollout_entry_data

V1, V2, V4 = (f"rollout-lab/task-agent:{v}" for v in ("v1", "v2", "v4"))
H1, H2 = "aaaa1111", "bbbb2222"
START = 1_764_150_000.0


def _timeline(*states: tuple[float, dict[str, Any]], scale: float = 1.0) -> Timeline:
    timeline = Timeline(namespace="lab", started_at=START, time_scale=scale)
    for t, obj in states:
        timeline.entries.append(
            TimelineEntry(START + t, "rollout", "agent", rollout_entry_data(obj))
        )
    return timeline


def _healthy(image: str, pod_hash: str, generation: int = 1) -> dict[str, Any]:
    return rollout_object(
        image, pod_hash=pod_hash, stable=pod_hash, phase="Healthy", generation=generation
    )


def _moving(image: str, phase: str, step: int, **extra: Any) -> dict[str, Any]:
    return rollout_object(
        image, pod_hash=H2, stable=H1, phase=phase, step=step, generation=2, **extra
    )


def _promoted(timeline: Timeline) -> tuple[Status, str]:
    outcome = RULES["timeline.promoted_through_pause"].fn(
        RuleInputs(timeline=timeline, namespace="lab"), {"rollout": "agent", "image": V2}
    )
    return outcome.status, outcome.observed


def test_pause_then_promotion_passes_with_the_step_seen() -> None:
    status, observed = _promoted(
        _timeline(
            (0, _healthy(V1, H1)),
            (10, _moving(V2, "Progressing", 0)),
            (12, _moving(V2, "Paused", 1, pause=True)),
            (20, _moving(V2, "Progressing", 2)),
            (22, _moving(V2, "Paused", 3, pause=True)),
            (30, _healthy(V2, H2, generation=2)),
        )
    )
    assert status is Status.PASSED
    assert observed == "paused at +12s (step index 1), promoted and Healthy at +30s"


def test_straight_to_full_without_a_pause_fails() -> None:
    status, observed = _promoted(
        _timeline(
            (0, _healthy(V1, H1)), (10, _moving(V2, "Progressing", 0)), (15, _healthy(V2, H2, 2))
        )
    )
    assert status is Status.FAILED
    assert observed == "the release reached 100% at +15s without stopping at a pause step"


def test_waiting_at_the_pause_is_pending_not_failed() -> None:
    status, observed = _promoted(
        _timeline((0, _healthy(V1, H1)), (12, _moving(V2, "Paused", 1, pause=True)))
    )
    assert status is Status.PENDING
    assert observed.startswith("paused at +12s; not fully promoted yet")


def test_a_rollout_created_on_the_new_release_is_no_update() -> None:
    status, observed = _promoted(_timeline((0, _healthy(V2, H2))))
    assert status is Status.PENDING
    assert "no update to the new release recorded yet" in observed
    assert _promoted(Timeline())[0] is Status.PENDING
    outcome = RULES["timeline.promoted_through_pause"].fn(
        RuleInputs(), {"rollout": "a", "image": V2}
    )
    assert outcome.status is Status.ERROR


def _drill(*states: tuple[float, dict[str, Any]], limit: float = 300) -> tuple[Status, str]:
    outcome = RULES["timeline.time_to_recover"].fn(
        RuleInputs(timeline=_timeline(*states, scale=60), namespace="lab"),
        {"rollout": "agent", "good_image": V1, "bad_image": V4, "max_wall_seconds": limit},
    )
    return outcome.status, outcome.observed


STAGED = (
    (0, _healthy(V1, H1)),
    (10, _moving(V4, "Progressing", 0)),
    (11, _moving(V4, "Paused", 1, pause=True)),  # the timed pause at 20%
    (12, _moving(V4, "Progressing", 2)),
    (13, _moving(V4, "Paused", 3, pause=True)),  # the incident: stopped at 50%
)
ABORTED = (20, _moving(V4, "Degraded", 3, abort=True, progressing=("False", "RolloutAborted", "")))


def test_clock_runs_from_the_stop_at_fifty_percent_to_healthy_again() -> None:
    status, observed = _drill(*STAGED, ABORTED, (30, _healthy(V1, H1, generation=3)))
    assert status is Status.PASSED
    assert observed == "recovered 17s after the incident began (1020s of lab time)"


def test_undo_without_abort_counts_from_the_same_moment() -> None:
    status, observed = _drill(*STAGED, (25, _healthy(V1, H1, generation=3)))
    assert (status, observed) == (
        Status.PASSED,
        "recovered 12s after the incident began (720s of lab time)",
    )


def test_a_slow_recovery_fails_and_no_recovery_waits() -> None:
    status, observed = _drill(*STAGED, ABORTED, (413, _healthy(V1, H1, generation=3)))
    assert status is Status.FAILED
    assert observed.endswith("slower than this drill allows")
    assert "300" not in observed  # the bound is not printed
    assert _drill(*STAGED, ABORTED)[0] is Status.PENDING
    assert _drill((0, _healthy(V1, H1)))[0] is Status.PENDING


def _stopped(*states: tuple[float, dict[str, Any]]) -> tuple[Status, str]:
    outcome = RULES["timeline.release_stopped"].fn(
        RuleInputs(timeline=_timeline(*states), namespace="lab"),
        {"rollout": "agent", "good_image": V1, "bad_image": V4},
    )
    return outcome.status, outcome.observed


def test_an_abort_or_a_taken_back_template_both_stop_the_release() -> None:
    assert _stopped(*STAGED, ABORTED) == (Status.PASSED, "aborted at +20s (released at +10s)")
    undone = rollout_object(V1, pod_hash=H1, stable=H1, phase="Progressing", generation=3)
    status, observed = _stopped(*STAGED, (18, undone), (25, _healthy(V1, H1, generation=3)))
    assert status is Status.PASSED
    assert observed.startswith("taken back (the template left the faulty image) at +18s")


def test_a_release_that_became_stable_was_not_stopped() -> None:
    full = rollout_object(V4, pod_hash=H2, stable=H2, phase="Healthy", generation=2)
    status, observed = _stopped(*STAGED, (30, full))
    assert status is Status.FAILED
    assert "became stable and Healthy at +30s (released at +10s) without being stopped" in observed
    assert _stopped(*STAGED)[0] is Status.PENDING
    assert _stopped((0, _healthy(V1, H1)))[0] is Status.PENDING
