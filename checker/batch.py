"""Grade many bundles offline in parallel worker processes, with a per-bundle timeout.

A bundle that crashes its worker or runs past the timeout becomes an `error` row; the worker is
killed and replaced, and the batch goes on. Reports: per-bundle result.json and Gradescope
results.json, long CSV, Canvas gradebook CSV, JUnit XML, and a class summary with per-check
pass rates.

Fault injection for tests only: when the environment variable ROLLOUT_LAB_TEST_STALL_BUNDLE
names a bundle file (basename), the worker sleeps instead of grading it, so the timeout path can
be tested without running anything from a submission.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from checker.bundle import error_result, grade_bundle
from checker.report_csv import check_pass_rates, gradebook_csv, long_csv
from checker.report_files import gradescope_json, junit_xml, result_json
from checker.results import LabResult
from checker.rubric import Rubric, load_rubric

__all__ = ["STALL_ENV", "BatchSummary", "grade_batch"]

STALL_ENV = "ROLLOUT_LAB_TEST_STALL_BUNDLE"


@dataclass
class BatchSummary:
    """What a batch produced: results in input order, error count, timing, output files."""

    results: list[LabResult]
    seconds: float
    jobs: int
    outputs: dict[str, Path] = field(default_factory=dict)

    @property
    def error_rows(self) -> list[LabResult]:
        return [r for r in self.results if r.errors and not any(c.score for c in r.checks)]


def _worker(conn: Connection, lab_folder: str) -> None:
    """Worker loop: receive (index, path), send (index, result dict); None ends the loop."""
    rubric = load_rubric(Path(lab_folder))
    stall = os.environ.get(STALL_ENV, "")
    while True:
        task = conn.recv()
        if task is None:
            return
        index, path = task
        if stall and Path(path).name == stall:
            time.sleep(3600)
        try:
            result = grade_bundle(rubric, Path(path))
        except Exception as error:  # one bundle must never stop the batch
            result = error_result(rubric, path, f"checker fault: {type(error).__name__}: {error}")
        conn.send((index, result.to_dict()))


@dataclass
class _Slot:
    """One worker and the bundles sent to it, oldest (the one being graded) first."""

    process: Any
    conn: Connection
    queue: deque[tuple[int, str]] = field(default_factory=deque)
    started: float = 0.0  # when the head of the queue started (was sent, or its turn came)


_IN_FLIGHT = 2  # bundles queued per worker, so it never waits for the parent between bundles


def _spawn(context: Any, lab_folder: str) -> _Slot:
    parent, child = context.Pipe()
    process = context.Process(target=_worker, args=(child, lab_folder), daemon=True)
    process.start()
    child.close()
    return _Slot(process, parent)


def _stop(slot: _Slot) -> None:
    slot.process.kill()
    slot.process.join(5)
    slot.conn.close()


def _context() -> Any:
    """`fork` when this process has no other threads (fast start), else `spawn` (always safe)."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _run_pool(
    rubric: Rubric,
    bundles: Sequence[Path],
    jobs: int,
    timeout: float,
    progress: Callable[[int, int], None] | None,
) -> list[LabResult]:
    context = _context()
    folder = str(rubric.folder)
    slots = [_spawn(context, folder) for _ in range(max(1, min(jobs, len(bundles))))]
    pending = list(enumerate(str(p) for p in bundles))[::-1]
    results: dict[int, LabResult] = {}
    try:
        while len(results) < len(bundles):
            for slot in slots:
                while len(slot.queue) < _IN_FLIGHT and pending:
                    task = pending.pop()
                    if not slot.queue:
                        slot.started = time.monotonic()
                    slot.queue.append(task)
                    slot.conn.send(task)
            ready = wait([s.conn for s in slots if s.queue], timeout=0.2)
            now = time.monotonic()
            for index, slot in enumerate(slots):
                if not slot.queue:
                    continue
                head = slot.queue[0]
                if slot.conn in ready:
                    try:
                        done, data = slot.conn.recv()
                    except (EOFError, OSError):
                        failure = "grading worker crashed on this bundle"
                    else:
                        results[done] = LabResult.from_dict(data)
                        slot.queue.popleft()
                        slot.started = now
                        failure = ""
                elif now - slot.started > timeout:
                    failure = f"grading took longer than {timeout:g}s; stopped"
                else:
                    continue
                if failure:
                    results[head[0]] = error_result(rubric, head[1], failure)
                    slot.queue.popleft()
                    pending.extend(reversed(slot.queue))  # not started: grade them elsewhere
                    _stop(slot)
                    slots[index] = _spawn(context, folder)
                if progress is not None:
                    progress(len(results), len(bundles))
    finally:
        for slot in slots:
            with contextlib.suppress(OSError, ValueError):
                slot.conn.send(None)
            slot.process.join(2)
            if slot.process.is_alive():
                _stop(slot)
    return [results[i] for i in range(len(bundles))]


def _summary(rubric: Rubric, results: Sequence[LabResult], seconds: float) -> dict[str, Any]:
    scores = [r.score for r in results if r.gradable]
    return {
        "lab": rubric.id,
        "rubric_hash": rubric.hash,
        "submissions": len(results),
        "gradable": len(scores),
        "errors": sum(1 for r in results if r.errors),
        "edited_lab_files": sum(1 for r in results if r.integrity),
        "mean_score": round(sum(scores) / len(scores), 3) if scores else None,
        "points_possible": rubric.points_possible,
        "seconds": round(seconds, 2),
        "checks": check_pass_rates(results),
    }


def grade_batch(
    lab_folder: Path,
    bundles: Sequence[Path],
    out_dir: Path,
    *,
    jobs: int = 4,
    timeout: float = 30.0,
    progress: Callable[[int, int], None] | None = None,
) -> BatchSummary:
    """Grade `bundles` with `jobs` processes and write every report into `out_dir`."""
    rubric = load_rubric(lab_folder)
    started = time.monotonic()
    results = _run_pool(rubric, bundles, jobs, timeout, progress) if bundles else []
    seconds = time.monotonic() - started
    out_dir.mkdir(parents=True, exist_ok=True)
    per_bundle, gradescope = out_dir / "results", out_dir / "gradescope"
    per_bundle.mkdir(exist_ok=True)
    gradescope.mkdir(exist_ok=True)
    for number, result in enumerate(results, start=1):
        name = f"{number:04d}-{Path(result.source).stem or 'bundle'}.json"
        (per_bundle / name).write_text(result_json(result), encoding="utf-8")
        (gradescope / name).write_text(gradescope_json(result), encoding="utf-8")
    column = f"{rubric.title} ({rubric.id})"
    outputs = {
        "long_csv": out_dir / "checks_long.csv",
        "gradebook_csv": out_dir / "gradebook.csv",
        "junit": out_dir / "junit.xml",
        "summary": out_dir / "summary.json",
    }
    outputs["long_csv"].write_text(long_csv(results), encoding="utf-8")
    outputs["gradebook_csv"].write_text(
        gradebook_csv(results, column, rubric.points_possible), encoding="utf-8"
    )
    outputs["junit"].write_text(junit_xml(results), encoding="utf-8")
    outputs["summary"].write_text(
        json.dumps(_summary(rubric, results, seconds), indent=2), encoding="utf-8"
    )
    return BatchSummary(results, seconds, jobs, outputs)
