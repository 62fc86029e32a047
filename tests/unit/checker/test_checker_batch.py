"""Batch grading: 500 bundles with 4 worker processes, one corrupt and one that hangs."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

from junitparser import JUnitXml

from checker import Learner, Status, grade_batch, load_rubric, write_bundle
from checker.batch import STALL_ENV
from checker.scenarios import BAD, ROLLBACK_PATHS, WRONG_PATHS, canary_timeline, settled_snapshot

LAB = Path(__file__).resolve().parents[3] / "labs" / "canary-analysis"
RUBRIC = load_rubric(LAB)


def _manifests(kind: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (LAB / kind).glob("*.yaml")}


def _class(tmp_path: Path, count: int) -> list[Path]:
    """A generated class: solutions and starters, with every rollback path and wrong path."""
    solution, starter = _manifests("solution"), _manifests("starter")
    paths = ROLLBACK_PATHS + WRONG_PATHS
    bundles = []
    for i in range(count):
        path_name = paths[i % len(paths)]
        bad_final = path_name in ("promote_full",)
        bundles.append(
            write_bundle(
                tmp_path / "in" / f"learner-{i:03d}.zip",
                lab="canary-analysis",
                learner=Learner(
                    str(1000 + i), f"Learner {i}", f"S{i}", f"l{i}", "A" if i % 2 else "B"
                ),
                manifests=starter if i % 7 == 0 else solution,
                snapshot=settled_snapshot(BAD) if bad_final else settled_snapshot(),
                timeline=canary_timeline(path_name),
                lab_files={"starter/rollout.yaml": "0" * 64} if i % 50 == 0 else {},
            )
        )
    return bundles


def test_five_hundred_bundles_with_a_corrupt_and_a_hanging_one(tmp_path, monkeypatch):
    bundles = _class(tmp_path, 500)
    bundles[17].write_bytes(b"PK\x03\x04 this zip was cut short")
    monkeypatch.setenv(STALL_ENV, bundles[233].name)
    started = time.monotonic()
    summary = grade_batch(LAB, bundles, tmp_path / "out", jobs=4, timeout=10.0)
    elapsed = time.monotonic() - started
    assert elapsed < 60

    assert len(summary.results) == 500
    errors = {r.source: r.errors for r in summary.results if r.errors}
    assert set(errors) == {str(bundles[17]), str(bundles[233])}
    assert "unreadable bundle" in errors[str(bundles[17])][0]
    assert "longer than 10s" in errors[str(bundles[233])][0]
    assert all(c.status is Status.ERROR for c in summary.results[233].checks)
    # Results keep input order and identities.
    assert [r.learner.id for i, r in enumerate(summary.results) if i not in (17, 233)] == [
        str(1000 + i) for i in range(500) if i not in (17, 233)
    ]
    graded = summary.results[1]
    assert graded.score == graded.points_possible  # solution + abort_then_undo
    assert summary.results[50].integrity == ["starter/rollout.yaml"]

    out = tmp_path / "out"
    assert len(list((out / "results").glob("*.json"))) == 500
    assert len(list((out / "gradescope").glob("*.json"))) == 500
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert data["submissions"] == 500 and data["errors"] == 2
    rates = {row["check_id"]: row for row in data["checks"]}
    assert rates["canary-steps"]["failed"] == sum(
        1 for i in range(500) if i % 7 == 0 and i not in (17, 233)
    )
    assert rates["files-parse"]["pass_rate"] == 1.0

    gradebook = list(csv.reader(io.StringIO((out / "gradebook.csv").read_text(encoding="utf-8"))))
    assert len(gradebook) == 502 and gradebook[1][0].strip() == "Points Possible"
    assert gradebook[2 + 17][5] == "" and gradebook[2 + 1][5] == f"{RUBRIC.points_possible:g}"
    long_rows = list(
        csv.DictReader(io.StringIO((out / "checks_long.csv").read_text(encoding="utf-8")))
    )
    assert len(long_rows) == 500 * len(RUBRIC.checks)
    junit = JUnitXml.fromfile(str(out / "junit.xml"))
    assert len(list(junit)) == 500


def test_batch_of_one_and_reports_for_an_empty_batch(tmp_path):
    one = _class(tmp_path, 1)
    summary = grade_batch(LAB, one, tmp_path / "one", jobs=4, timeout=30)
    assert len(summary.results) == 1 and not summary.results[0].errors
    empty = grade_batch(LAB, [], tmp_path / "none", jobs=2, timeout=30)
    assert empty.results == []
    assert json.loads(empty.outputs["summary"].read_text(encoding="utf-8"))["submissions"] == 0


def test_bundle_queued_behind_a_hang_is_still_graded(tmp_path, monkeypatch):
    bundles = _class(tmp_path, 3)
    monkeypatch.setenv(STALL_ENV, bundles[0].name)
    summary = grade_batch(LAB, bundles, tmp_path / "out", jobs=1, timeout=3.0)
    assert [bool(r.errors) for r in summary.results] == [True, False, False]
    assert "longer than 3s" in summary.results[0].errors[0]
    assert all(r.gradable for r in summary.results[1:])
