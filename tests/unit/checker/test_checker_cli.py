"""`rollout-lab check / submit / grade` as a learner and an instructor would run them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from checker import read_bundle
from labs.catalog import LabNotFound, find_lab, lab_ids
from labs.cli import main

LAB = Path(__file__).resolve().parents[3] / "labs" / "canary-analysis"


def _workdir(tmp_path: Path, kind: str) -> Path:
    work = tmp_path / kind
    shutil.copytree(LAB / kind, work)
    return work


def test_catalog_finds_the_lab_and_names_the_others():
    assert "canary-analysis" in lab_ids()
    assert find_lab("canary-analysis") == LAB
    with pytest.raises(LabNotFound, match="canary-analysis"):
        find_lab("no-such-lab")


def test_static_check_of_the_starter_fails_and_climbs_the_hint_ladder(tmp_path, capsys):
    work = _workdir(tmp_path, "starter")
    assert main(["check", "canary-analysis", "--dir", str(work), "--static"]) == 1
    first = capsys.readouterr().out
    assert "FAIL" in first and "hint 1 of 2" in first
    assert (
        main(
            [
                "check",
                "canary-analysis",
                "--dir",
                str(work),
                "--static",
                "--json",
                str(work / "r.json"),
            ]
        )
        == 1
    )
    assert "hint 2 of 2" in capsys.readouterr().out
    attempts = json.loads((work / ".rollout-lab" / "attempts.json").read_text(encoding="utf-8"))
    assert attempts["canary-steps"] == 2
    assert json.loads((work / "r.json").read_text(encoding="utf-8"))["mode"] == "static"


def test_static_check_of_the_solution_passes(tmp_path, capsys):
    assert (
        main(["check", "canary-analysis", "--dir", str(_workdir(tmp_path, "solution")), "--static"])
        == 0
    )
    assert "public checks: 21 / 21" in capsys.readouterr().out  # points of visible manifest checks


def test_live_check_without_a_cluster_is_undecided_not_failed(tmp_path, capsys):
    work = _workdir(tmp_path, "solution")
    code = main(
        [
            "check",
            "canary-analysis",
            "--dir",
            str(work),
            "--kubeconfig",
            str(tmp_path / "none"),
            "--deadline",
            "0.1",
        ]
    )
    out = capsys.readouterr().out
    assert code == 2
    assert "ERR" in out and "FAIL" not in out


def test_submit_then_grade_round_trip(tmp_path, capsys):
    work = _workdir(tmp_path, "solution")
    bundle = tmp_path / "ada.zip"
    assert (
        main(
            [
                "submit",
                "canary-analysis",
                "--dir",
                str(work),
                "--static",
                "--out",
                str(bundle),
                "--learner-id",
                "101",
                "--name",
                "Ada",
            ]
        )
        == 0
    )
    contents = read_bundle(bundle)
    assert contents.learner.name == "Ada" and set(contents.manifests) == {
        "rollout.yaml",
        "services.yaml",
        "analysis-template.yaml",
    }
    assert contents.lab_files and contents.result and contents.result["mode"] == "static"
    out = tmp_path / "out"
    assert main(["grade", "canary-analysis", str(bundle), "--out", str(out), "--jobs", "1"]) == 0
    assert "canary-steps" in capsys.readouterr().out
    result = json.loads(next((out / "results").glob("*.json")).read_text(encoding="utf-8"))
    assert result["learner"]["id"] == "101" and result["integrity"]["edited_files"] == []


def test_unknown_lab_is_a_clear_error(capsys):
    assert main(["check", "nope", "--static"]) == 2
    assert "labs available" in capsys.readouterr().err


def test_live_check_reads_the_recorded_timeline_from_the_work_folder(tmp_path, capsys):
    from checker.scenarios import canary_timeline
    from checker.timeline import WORKDIR_TIMELINE

    work = _workdir(tmp_path, "solution")
    (work / WORKDIR_TIMELINE).parent.mkdir()
    (work / WORKDIR_TIMELINE).write_text(
        canary_timeline("abort_then_undo").to_jsonl(), encoding="utf-8"
    )
    report = tmp_path / "r.json"
    code = main(
        [
            "check",
            "canary-analysis",
            "--dir",
            str(work),
            "--kubeconfig",
            str(tmp_path / "none"),
            "--deadline",
            "0.1",
            "--json",
            str(report),
        ]
    )
    assert code == 2  # the cluster part is undecided, nothing failed
    checks = {
        c["id"]: c["status"] for c in json.loads(report.read_text(encoding="utf-8"))["checks"]
    }
    assert checks["rolled-back"] == "passed" and checks["aborted-early"] == "passed"
    assert checks["rollout-healthy"] == "error"


def test_labs_are_listed_in_course_order():
    assert lab_ids()[:6] == [
        "all-or-nothing",
        "canary-by-hand",
        "canary-analysis",
        "blue-green",
        "rollback-drill",
        "choose-a-strategy",
    ]
