"""The check view: the checker's result for the learner, the next hint, and re-check.

Rows read like the terminal report — PASS / FAIL / WAIT / ERR / SKIP in words, what the check
saw, where, the current hint and a command that shows the evidence — and the score is labelled
"public checks" when some checks are held back until after submission.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from checker import LabResult, Status
from checker.report_terminal import visible_checks
from labs.widgets.common import LiveWidget

__all__ = [
    "CheckRow",
    "CheckViewModel",
    "CheckWidget",
    "build_check_model",
    "render_html",
    "render_text",
]

_LABEL = {
    Status.PASSED: "PASS",
    Status.FAILED: "FAIL",
    Status.PENDING: "WAIT",
    Status.ERROR: "ERR",
    Status.SKIPPED: "SKIP",
}


@dataclass(frozen=True)
class CheckRow:
    label: str
    title: str
    points: str
    observed: str = ""
    where: str = ""
    hint: str = ""
    evidence: str = ""


@dataclass(frozen=True)
class CheckViewModel:
    title: str
    mode: str
    score: float
    possible: float
    score_label: str
    rows: tuple[CheckRow, ...]
    held_back: int
    waiting: bool

    @property
    def full_marks(self) -> bool:
        return self.possible > 0 and self.score == self.possible and not self.waiting


def _points(value: float) -> str:
    return f"{value:g}"


def build_check_model(result: LabResult, audience: str = "learner") -> CheckViewModel:
    """What the learner (or `after-due`/`instructor`) may see of one result."""
    checks, held_back = visible_checks(result, audience)
    rows = []
    for check in checks:
        undecided = check.status in (Status.PENDING, Status.SKIPPED)
        points = f"{'–' if undecided else _points(check.score)}/{_points(check.max_score)}"
        detail = check.status not in (Status.PASSED, Status.SKIPPED)
        hint = f"hint {check.hint_level} of {check.hints_total}: {check.hint}" if check.hint else ""
        rows.append(
            CheckRow(
                _LABEL[check.status],
                check.title,
                points,
                observed=check.observed if detail else "",
                where=check.where if detail else "",
                hint=hint if detail else "",
                evidence=check.evidence if detail else "",
            )
        )
    return CheckViewModel(
        title=result.lab_title,
        mode=result.mode,
        score=sum(c.score for c in checks),
        possible=sum(c.max_score for c in checks if c.status is not Status.SKIPPED),
        score_label="public checks" if held_back else "score",
        rows=tuple(rows),
        held_back=held_back,
        waiting=any(c.status in (Status.PENDING, Status.ERROR) for c in checks),
    )


def render_text(model: CheckViewModel) -> str:
    lines = [
        f"{model.title} [{model.mode}]   {model.score_label}: "
        f"{_points(model.score)} / {_points(model.possible)}"
    ]
    for row in model.rows:
        lines.append(f" {row.label:<4}  {row.title}   {row.points}")
        if row.observed:
            lines.append(f"       saw: {row.observed}")
        if row.where:
            lines.append(f"       at: {row.where}")
        if row.hint:
            lines.append(f"       {row.hint}")
        if row.evidence:
            lines.append(f"       look: {row.evidence}")
    if model.held_back:
        lines.append(f" {model.held_back} hidden check(s) are scored after you submit.")
    if model.waiting:
        lines.append(" Some checks are still waiting for the cluster; re-check shortly.")
    elif model.full_marks:
        lines.append(" Full marks on the checks you can see.")
    return "\n".join(lines)


def render_html(model: CheckViewModel) -> str:
    esc = html.escape
    rows = []
    for row in model.rows:
        details = "".join(
            f"<div>{esc(prefix)}{esc(value)}</div>"
            for prefix, value in (
                ("saw: ", row.observed),
                ("at: ", row.where),
                ("", row.hint),
                ("look: ", row.evidence),
            )
            if value
        )
        if row.evidence:
            details = details.replace(esc(row.evidence), f"<code>{esc(row.evidence)}</code>")
        rows.append(
            f'<tr data-status="{row.label}"><td><b>{row.label}</b></td>'
            f"<td>{esc(row.title)}{details}</td><td>{esc(row.points)}</td></tr>"
        )
    footer = []
    if model.held_back:
        footer.append(f"{model.held_back} hidden check(s) are scored after you submit.")
    if model.waiting:
        footer.append("Some checks are still waiting for the cluster; re-check shortly.")
    elif model.full_marks:
        footer.append("Full marks on the checks you can see.")
    return (
        '<div class="rl-check-view">'
        f"<p><b>{esc(model.title)}</b> [{esc(model.mode)}] &mdash; {esc(model.score_label)}: "
        f'<span class="rl-score">{_points(model.score)} / {_points(model.possible)}</span></p>'
        f'<table class="rl-checks">{"".join(rows)}</table>'
        + "".join(f"<p>{esc(line)}</p>" for line in footer)
        + "</div>"
    )


class CheckWidget(LiveWidget):
    """Checks on demand: `re-check` grades again, `next hint` reveals one more hint."""

    def __init__(
        self, session: Any, result: LabResult | None = None, *, static: bool = False
    ) -> None:
        self.session = session
        self.static = static
        self.result = result
        self.hint = ""
        super().__init__(title="Check your work", buttons=("re-check", "next hint"), interval=3600)

    def render(self) -> tuple[str, str]:
        if self.result is None:
            self.result = self.session.check(static=self.static)
        model = build_check_model(self.result)
        extra_html = f"<p class='rl-hint'>{html.escape(self.hint)}</p>" if self.hint else ""
        extra_text = f"\n{self.hint}" if self.hint else ""
        return render_html(model) + extra_html, render_text(model) + extra_text

    def on_button(self, name: str) -> str:
        if name == "re-check":
            self.result = self.session.check(static=self.static)
            self.hint = ""
            return "checked again"
        if self.result is None:
            self.result = self.session.check(static=self.static)
        hint = self.session.next_hint(self.result)
        self.hint = f"{hint[0]} — {hint[1]}" if hint else "no failing check has another hint"
        return "hint shown"

    def start(self) -> None:
        """Checks run on demand only (no background refresh)."""
