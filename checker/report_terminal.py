"""Terminal report (rich): text labels first (PASS/FAIL/WAIT/ERR/SKIP), colour only as extra."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from checker.results import CheckResult, LabResult, Status, Visibility

__all__ = ["AUDIENCES", "print_result", "visible_checks"]

_LABEL = {
    Status.PASSED: ("PASS", "green"),
    Status.FAILED: ("FAIL", "red"),
    Status.PENDING: ("WAIT", "yellow"),
    Status.ERROR: ("ERR ", "magenta"),
    Status.SKIPPED: ("SKIP", "dim"),
}


AUDIENCES = ("learner", "after-due", "instructor")


def visible_checks(result: LabResult, audience: str) -> tuple[list[CheckResult], int]:
    """Checks this audience may see, and how many are held back.

    `learner`: visible checks only; `after-due`: also the after-due ones (the instructor's
    reveal switch once the deadline has passed); `instructor`: everything.
    """
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}")
    allowed = {
        "learner": {Visibility.VISIBLE},
        "after-due": {Visibility.VISIBLE, Visibility.AFTER_DUE},
        "instructor": set(Visibility),
    }[audience]
    shown = [c for c in result.checks if c.visibility in allowed]
    return shown, len(result.checks) - len(shown)


def _points(value: float) -> str:
    return f"{value:g}"


def print_result(
    result: LabResult, console: Console | None = None, audience: str = "learner"
) -> None:
    """Render one result; learners see visible checks only and an honest public score."""
    console = console or Console()
    checks, held_back = visible_checks(result, audience)
    score = sum(c.score for c in checks)
    possible = sum(c.max_score for c in checks if c.status is not Status.SKIPPED)
    label = "public checks" if held_back else "score"
    table = Table(
        title=f"{result.lab_title}  [{result.mode}]",
        caption=f"{label}: {_points(score)} / {_points(possible)}",
        show_lines=False,
        expand=False,
    )
    table.add_column("", no_wrap=True)
    table.add_column("check")
    table.add_column("points", justify="right", no_wrap=True)
    for check in checks:
        tag, style = _LABEL[check.status]
        points = "–" if check.status in (Status.PENDING, Status.SKIPPED) else _points(check.score)
        body = Text(check.title)
        if check.status is not Status.PASSED and check.status is not Status.SKIPPED:
            body.append(f"\n  saw: {check.observed}", style="default")
            if check.where:
                body.append(f"\n  at: {check.where}")
            if check.hint:
                body.append(f"\n  hint {check.hint_level} of {check.hints_total}: {check.hint}")
            if check.evidence:
                body.append(f"\n  look: {check.evidence}", style="cyan")
        table.add_row(Text(tag, style=style), body, f"{points}/{_points(check.max_score)}")
    console.print(table)
    if held_back:
        console.print(f"{held_back} hidden check(s) are scored after you submit.")
    if result.integrity:
        console.print("edited lab files: " + ", ".join(result.integrity), style="yellow")
    for error in result.errors:
        console.print(f"submission problem: {error}", style="magenta")
    if any(c.status is Status.PENDING for c in checks):
        console.print("Some checks are still waiting for the cluster; run the check again shortly.")
