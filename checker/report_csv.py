"""Class CSVs: long (learner x check), a Canvas-importable gradebook, and per-check pass rates."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from checker.results import LabResult, Status

__all__ = ["CANVAS_ID_COLUMNS", "check_pass_rates", "gradebook_csv", "long_csv"]

CANVAS_ID_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
LONG_COLUMNS = (
    "learner_id",
    "learner_name",
    "lab",
    "check_id",
    "check_title",
    "family",
    "visibility",
    "status",
    "score",
    "max_score",
    "observed",
    "source",
)


def _safe(text: str) -> str:
    """Neutralise spreadsheet formulas in learner-controlled text (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def long_csv(results: Sequence[LabResult]) -> str:
    """One row per learner x check (for analytics and regrades)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(LONG_COLUMNS)
    for result in results:
        for check in result.checks:
            writer.writerow(
                [
                    _safe(result.learner.id),
                    _safe(result.learner.name),
                    result.lab,
                    check.id,
                    check.title,
                    check.family,
                    str(check.visibility),
                    str(check.status),
                    f"{check.score:g}",
                    f"{check.max_score:g}",
                    _safe(check.observed),
                    _safe(result.source),
                ]
            )
        if not result.checks:
            writer.writerow(
                [
                    _safe(result.learner.id),
                    _safe(result.learner.name),
                    result.lab,
                    "",
                    "",
                    "",
                    "",
                    "error",
                    "0",
                    "0",
                    _safe("; ".join(result.errors)),
                    _safe(result.source),
                ]
            )
    return buffer.getvalue()


def gradebook_csv(results: Sequence[LabResult], column: str, points_possible: float) -> str:
    """Wide gradebook: Canvas identifier columns, one score column, a Points Possible row.

    `column` is the assignment column header (e.g. "Canary with analysis (canary-analysis)").
    Ungradable submissions get an empty score so they are not silently zero.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*CANVAS_ID_COLUMNS, column])
    writer.writerow(["    Points Possible", "", "", "", "", f"{points_possible:g}"])
    for result in results:
        learner = result.learner
        score = f"{result.score:g}" if result.gradable else ""
        writer.writerow(
            [
                _safe(learner.name),
                _safe(learner.id),
                _safe(learner.sis_user_id),
                _safe(learner.sis_login_id),
                _safe(learner.section),
                score,
            ]
        )
    return buffer.getvalue()


def check_pass_rates(results: Sequence[LabResult]) -> list[dict[str, object]]:
    """Per check: how many passed / failed / undecided, to spot a broken or unfair check."""
    titles: dict[str, str] = {}
    tallies: dict[str, dict[str, int]] = {}
    for result in results:
        for check in result.checks:
            titles.setdefault(check.id, check.title)
            tally = tallies.setdefault(check.id, {"passed": 0, "failed": 0, "undecided": 0})
            if check.status is Status.PASSED:
                tally["passed"] += 1
            elif check.status is Status.FAILED:
                tally["failed"] += 1
            elif check.status is not Status.SKIPPED:
                tally["undecided"] += 1
    rows: list[dict[str, object]] = []
    for check_id, tally in tallies.items():
        decided = tally["passed"] + tally["failed"]
        rate = round(tally["passed"] / decided, 3) if decided else None
        rows.append({"check_id": check_id, "title": titles[check_id], **tally, "pass_rate": rate})
    return rows
