"""A learner's progress in one lab: an append-only JSONL history in `workspace/<lab>/.progress/`.

Each line is one thing that happened — a check (score, per-check status), a hint shown, a quiz
answer, a reset, a solve, a rollout action. Appending survives kernel and cluster restarts, and
`summary()` folds the history into what `rollout-lab lab status` and the notebooks show.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["HISTORY_FILE", "ProgressStore", "ProgressSummary"]

HISTORY_FILE = "history.jsonl"
_MAX_LINE = 256 * 1024


@dataclass
class ProgressSummary:
    """The history folded: checks run, last and best score, hints and quiz answers."""

    checks_run: int = 0
    last_score: float | None = None
    best_score: float | None = None
    max_score: float | None = None
    hints_used: int = 0
    resets: int = 0
    solved: bool = False
    quiz_answers: dict[str, Any] = field(default_factory=dict)
    last_activity: float | None = None

    @property
    def full_marks(self) -> bool:
        return self.best_score is not None and self.best_score == self.max_score

    def line(self) -> str:
        """One line for `lab list` / `lab status`."""
        if self.checks_run == 0:
            score = "not checked yet"
        else:
            score = f"last {self.last_score:g}/{self.max_score:g}, best {self.best_score:g}"
        parts = [score, f"{self.checks_run} check(s)", f"{self.hints_used} hint(s)"]
        if self.quiz_answers:
            parts.append(f"{len(self.quiz_answers)} answer(s)")
        if self.resets:
            parts.append(f"{self.resets} reset(s)")
        return ", ".join(parts)


class ProgressStore:
    """Append and read the history file; unreadable lines are skipped, never fatal."""

    def __init__(self, directory: Path, clock: Callable[[], float] = time.time) -> None:
        self.directory = Path(directory)
        self.path = self.directory / HISTORY_FILE
        self._clock = clock

    def record(self, kind: str, **data: Any) -> dict[str, Any]:
        """Append one entry `{"t", "type", ...data}` and return it."""
        entry = {"t": round(self._clock(), 3), "type": kind, **data}
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True, default=str) + "\n")
        return entry

    def entries(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Every readable entry, oldest first (optionally of one type)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return []
        found = []
        for line in text.splitlines():
            if not line.strip() or len(line) > _MAX_LINE:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and (kind is None or entry.get("type") == kind):
                found.append(entry)
        return found

    def record_check(self, result: Any) -> dict[str, Any]:
        """Record a `checker.LabResult`: scores and each check's status (no hidden detail)."""
        return self.record(
            "check",
            mode=result.mode,
            score=result.score,
            max_score=result.max_score,
            gradable=result.gradable,
            checks={c.id: str(c.status) for c in result.checks},
        )

    def answer(self, question: str, answer: Any, correct: bool | None = None) -> dict[str, Any]:
        """Record a quiz answer (the latest answer to a question counts)."""
        return self.record("quiz", question=question, answer=answer, correct=correct)

    def summary(self) -> ProgressSummary:
        summary = ProgressSummary()
        for entry in self.entries():
            kind = entry.get("type")
            summary.last_activity = entry.get("t")
            if kind == "check":
                score, possible = entry.get("score"), entry.get("max_score")
                if not isinstance(score, int | float) or not isinstance(possible, int | float):
                    continue
                summary.checks_run += 1
                summary.last_score = float(score)
                summary.max_score = float(possible)
                if summary.best_score is None or score > summary.best_score:
                    summary.best_score = float(score)
            elif kind == "hint":
                summary.hints_used += 1
            elif kind == "quiz" and isinstance(entry.get("question"), str):
                summary.quiz_answers[entry["question"]] = entry.get("answer")
            elif kind == "reset":
                summary.resets += 1
            elif kind == "solve":
                summary.solved = True
        return summary
