"""Ordered, named setup steps with their own cleanup, and the progress display they report to.

Every backend's `up` is a list of `Step`s run by `run_steps`: each step is announced,
may skip itself when its work is already done (so re-running `up` is idempotent), and on
failure runs its own cleanup before `StepFailed` tells the user which step broke and why.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TextIO

from rich.console import Console
from rich.markup import escape

__all__ = [
    "ConsoleProgress",
    "Progress",
    "RecordingProgress",
    "Step",
    "StepFailed",
    "run_steps",
]


class Progress(Protocol):
    """Receives step events; the CLI renders them, notebooks may record them."""

    def step_started(self, name: str, index: int, total: int) -> None: ...

    def step_finished(self, name: str, detail: str) -> None: ...

    def step_skipped(self, name: str, reason: str) -> None: ...

    def step_failed(self, name: str, error: str) -> None: ...

    def note(self, text: str) -> None: ...


@dataclass(frozen=True)
class Step:
    """One named unit of setup work.

    `run` does the work and returns a short detail for the display. `done` (optional)
    returns a reason when the work is already in place, which skips `run` (it may raise
    when what is in place is wrong). `cleanup` (optional) undoes this step's partial work
    when `run` fails; it never runs when only `done` failed.
    """

    name: str
    run: Callable[[], str | None]
    cleanup: Callable[[], None] | None = None
    done: Callable[[], str | None] | None = None


class StepFailed(Exception):
    """A setup step failed; carries the step name, the cause and any cleanup trouble."""

    def __init__(self, step: str, cause: BaseException, cleanup_errors: Sequence[str] = ()):
        self.step = step
        self.cause = cause
        self.cleanup_errors = list(cleanup_errors)
        message = f"step '{step}' failed: {cause}"
        if self.cleanup_errors:
            message += "\ncleanup also failed: " + "; ".join(self.cleanup_errors)
        super().__init__(message)


def run_steps(steps: Sequence[Step], progress: Progress) -> None:
    """Run `steps` in order; on the first failure run that step's cleanup and raise."""
    total = len(steps)
    for index, step in enumerate(steps, start=1):
        progress.step_started(step.name, index, total)
        if step.done is not None:
            try:
                reason = step.done()
            except Exception as error:  # checking failed: nothing was changed, so no cleanup
                progress.step_failed(step.name, str(error))
                raise StepFailed(step.name, error) from error
            if reason:
                progress.step_skipped(step.name, reason)
                continue
        try:
            detail = step.run() or ""
        except Exception as error:  # each step may fail in its own way; all are reported
            progress.step_failed(step.name, str(error))
            cleanup_errors: list[str] = []
            if step.cleanup is not None:
                try:
                    step.cleanup()
                except Exception as cleanup_error:  # report, but keep the original cause
                    cleanup_errors.append(str(cleanup_error))
            raise StepFailed(step.name, error, cleanup_errors) from error
        progress.step_finished(step.name, detail)


@dataclass
class RecordingProgress:
    """Keeps every event as a tuple; used by tests and by callers that render later."""

    events: list[tuple[str, ...]] = field(default_factory=list)

    def step_started(self, name: str, index: int, total: int) -> None:
        self.events.append(("started", name, f"{index}/{total}"))

    def step_finished(self, name: str, detail: str) -> None:
        self.events.append(("finished", name, detail))

    def step_skipped(self, name: str, reason: str) -> None:
        self.events.append(("skipped", name, reason))

    def step_failed(self, name: str, error: str) -> None:
        self.events.append(("failed", name, error))

    def note(self, text: str) -> None:
        self.events.append(("note", text))


class ConsoleProgress:
    """Prints one line per step outcome with `rich` (plain text when not a terminal)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._console = Console(file=stream, highlight=False, soft_wrap=True)
        self._started = 0.0
        self._label = ""

    def step_started(self, name: str, index: int, total: int) -> None:
        self._started = time.monotonic()
        self._label = f"[{index}/{total}] {name}"

    def _elapsed(self) -> str:
        return f"{time.monotonic() - self._started:.1f}s"

    def step_finished(self, name: str, detail: str) -> None:
        suffix = f" — {escape(detail)}" if detail else ""
        self._console.print(f"[green]✓[/green] {escape(self._label)}{suffix} ({self._elapsed()})")

    def step_skipped(self, name: str, reason: str) -> None:
        self._console.print(
            f"[cyan]•[/cyan] {escape(self._label)} — already done: {escape(reason)}"
        )

    def step_failed(self, name: str, error: str) -> None:
        first_line = error.strip().splitlines()[0] if error.strip() else "failed"
        self._console.print(
            f"[red]✗[/red] {escape(self._label)} — {escape(first_line)} ({self._elapsed()})"
        )

    def note(self, text: str) -> None:
        self._console.print(f"  {escape(text)}")
