"""Generic step running: order, skip-when-done, cleanup of the failing step only, display."""

import io

import pytest

from clusters.progress import ConsoleProgress, RecordingProgress, Step, StepFailed, run_steps


def test_steps_run_in_order_and_done_steps_skip():
    ran = []
    steps = [
        Step("one", lambda: ran.append("one") or "first"),
        Step("two", lambda: ran.append("two"), done=lambda: "already there"),
        Step("three", lambda: ran.append("three"), done=lambda: None),
    ]
    progress = RecordingProgress()
    run_steps(steps, progress)
    assert ran == ["one", "three"]
    assert progress.events == [
        ("started", "one", "1/3"),
        ("finished", "one", "first"),
        ("started", "two", "2/3"),
        ("skipped", "two", "already there"),
        ("started", "three", "3/3"),
        ("finished", "three", ""),
    ]


def test_failure_runs_only_the_failing_steps_cleanup_and_stops():
    cleaned = []

    def boom():
        raise RuntimeError("disk on fire")

    steps = [
        Step("a", lambda: "ok", cleanup=lambda: cleaned.append("a")),
        Step("b", boom, cleanup=lambda: cleaned.append("b")),
        Step("c", lambda: cleaned.append("c ran")),
    ]
    with pytest.raises(StepFailed) as raised:
        run_steps(steps, RecordingProgress())
    assert cleaned == ["b"]
    assert raised.value.step == "b"
    assert str(raised.value) == "step 'b' failed: disk on fire"


def test_cleanup_failure_is_reported_with_the_original_cause():
    def boom():
        raise RuntimeError("create failed")

    def bad_cleanup():
        raise RuntimeError("delete failed too")

    with pytest.raises(StepFailed) as raised:
        run_steps([Step("x", boom, cleanup=bad_cleanup)], RecordingProgress())
    assert str(raised.value.cause) == "create failed"
    assert raised.value.cleanup_errors == ["delete failed too"]
    assert "cleanup also failed: delete failed too" in str(raised.value)


def test_a_failing_done_check_never_cleans_up():
    cleaned = []

    def wrong_state():
        raise ValueError("cluster differs")

    with pytest.raises(StepFailed, match="cluster differs"):
        run_steps(
            [Step("x", lambda: "", cleanup=lambda: cleaned.append(1), done=wrong_state)],
            RecordingProgress(),
        )
    assert cleaned == []


def test_console_progress_lines():
    stream = io.StringIO()
    progress = ConsoleProgress(stream)

    def boom():
        raise RuntimeError("no [bold]markup[/bold] here\nsecond line")

    with pytest.raises(StepFailed):
        run_steps(
            [
                Step("get kind", lambda: "kind v0.32.0 [cache]"),
                Step("skip me", lambda: "", done=lambda: "exists"),
                Step("create cluster", boom),
            ],
            progress,
        )
    progress.note("see diagnostics")
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("✓ [1/3] get kind — kind v0.32.0 [cache] (")
    assert lines[1] == "• [2/3] skip me — already done: exists"
    assert lines[2].startswith("✗ [3/3] create cluster — no [bold]markup[/bold] here (")
    assert lines[3] == "  see diagnostics"
