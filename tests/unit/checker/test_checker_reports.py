"""Reports from a LabResult (result.json, Gradescope, JUnit, CSVs, terminal); rubric loading."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped
from rich.console import Console

from checker import (
    GradeRequest,
    LabResult,
    Learner,
    RubricError,
    Status,
    grade,
    gradebook_csv,
    gradescope_json,
    junit_xml,
    load_manifest_dir,
    load_rubric,
    long_csv,
    parse_rubric,
    print_result,
    result_json,
)
from checker.scenarios import canary_timeline, settled_snapshot

LAB = Path(__file__).resolve().parents[3] / "labs" / "canary-analysis"
RUBRIC = load_rubric(LAB)


def _results() -> list[LabResult]:
    solution = grade(
        GradeRequest(
            rubric=RUBRIC,
            mode="offline",
            manifests=load_manifest_dir(LAB / "solution"),
            snapshot=settled_snapshot(),
            timeline=canary_timeline("abort_then_undo"),
            learner=Learner("101", "Ada Lovelace", "S101", "ada", "A"),
        )
    )
    starter = grade(
        GradeRequest(
            rubric=RUBRIC,
            mode="static",
            manifests=load_manifest_dir(LAB / "starter"),
            learner=Learner("102", "=HYPERLINK(evil)", "S102", "bob", "B"),
        )
    )
    live = grade(
        GradeRequest(
            rubric=RUBRIC,
            mode="offline",
            manifests=load_manifest_dir(LAB / "solution"),
            learner=Learner("103", "Cy", "S103", "cy", "A"),
        )
    )
    return [solution, starter, live]


def test_result_json_is_versioned_and_round_trips():
    result = _results()[0]
    data = json.loads(result_json(result))
    assert data["schema"] == "rollout-lab.result/v1"
    assert data["checker_version"] and data["rubric_hash"].startswith("sha256:")
    assert data["environment"]["backend"] == "fixture"
    assert data["environment"]["kubernetes_version"] == "v1.34.0"
    assert data["environment"]["rollouts_version"] == "v1.9.1"
    assert data["score"] == data["max_score"] == data["points_possible"] == RUBRIC.points_possible
    again = LabResult.from_dict(data)
    assert again.to_dict() == result.to_dict()


def test_rubric_hash_changes_when_a_shipped_file_changes(tmp_path):
    for path in LAB.rglob("*"):
        if path.is_file():
            target = tmp_path / path.relative_to(LAB)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    assert load_rubric(tmp_path).hash == RUBRIC.hash
    (tmp_path / "starter" / "rollout.yaml").write_text("# edited\n", encoding="utf-8")
    assert load_rubric(tmp_path).hash != RUBRIC.hash


GS_TOP = {
    "score",
    "output",
    "output_format",
    "visibility",
    "stdout_visibility",
    "extra_data",
    "tests",
}
GS_TEST = {
    "name",
    "number",
    "score",
    "max_score",
    "status",
    "output",
    "output_format",
    "tags",
    "visibility",
}


def test_gradescope_results_use_only_documented_fields_and_values():
    for result in _results():
        data = json.loads(gradescope_json(result))
        assert set(data) <= GS_TOP
        assert data["score"] == result.score
        assert len(data["tests"]) == len(RUBRIC.checks)
        for test in data["tests"]:
            assert set(test) <= GS_TEST
            assert test["status"] in ("passed", "failed")
            assert test["output_format"] in ("text", "html", "md", "ansi")
            assert test["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
            assert 0 <= test["score"] <= test["max_score"]
    hidden = json.loads(gradescope_json(_results()[0]))["tests"]
    assert {t["visibility"] for t in hidden} == {"visible", "hidden", "after_due_date"}


def test_junit_xml_parses_with_junitparser(tmp_path):
    results = _results()
    path = tmp_path / "junit.xml"
    path.write_text(junit_xml(results), encoding="utf-8")
    xml = JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert len(suites) == 3
    outcomes = {}
    for suite, result in zip(suites, results, strict=True):
        assert suite.tests == len(result.checks)
        for case in suite:
            kinds = {type(r) for r in case.result}
            outcomes[(suite.name, case.name)] = kinds
    starter = suites[1].name
    assert outcomes[(starter, "canary-steps")] == {Failure}
    assert outcomes[(starter, "rolled-back")] == {Skipped}
    assert outcomes[(suites[0].name, "canary-steps")] == set()
    assert outcomes[(suites[2].name, "rollout-healthy")] == {Error}


def test_long_csv_has_one_row_per_learner_and_check():
    rows = list(csv.DictReader(io.StringIO(long_csv(_results()))))
    assert len(rows) == 3 * len(RUBRIC.checks)
    starter_steps = next(
        r for r in rows if r["learner_id"] == "102" and r["check_id"] == "canary-steps"
    )
    assert starter_steps["status"] == "failed" and "no steps" in starter_steps["observed"]
    assert {r["learner_name"] for r in rows} >= {"'=HYPERLINK(evil)"}  # formula neutralised


def test_gradebook_csv_is_canvas_shaped():
    results = _results()
    text = gradebook_csv(results, "Canary (canary-analysis)", RUBRIC.points_possible)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        "Canary (canary-analysis)",
    ]
    assert rows[1][0].strip() == "Points Possible" and float(rows[1][5]) == RUBRIC.points_possible
    assert rows[2][:5] == ["Ada Lovelace", "101", "S101", "ada", "A"]
    assert float(rows[2][5]) == RUBRIC.points_possible
    assert rows[4][5] == ""  # ungradable (no snapshot): left blank, not a silent zero


def test_terminal_report_shows_words_not_colour_and_hides_hidden_checks():
    console = Console(record=True, width=120, color_system=None)
    print_result(_results()[1], console=console)
    text = console.export_text()
    assert "FAIL" in text and "PASS" in text and "SKIP" in text
    assert "saw: the canary has no steps" in text
    assert "look: sed -n" in text
    assert "Rollback within 15 minutes" not in text
    assert "2 hidden check(s) are scored after you submit." in text
    assert "public checks:" in text
    instructor = Console(record=True, width=120, color_system=None)
    print_result(_results()[1], console=instructor, audience="instructor")
    assert "Rollback within 15 minutes" in instructor.export_text()
    after_due = Console(record=True, width=120, color_system=None)
    print_result(_results()[1], console=after_due, audience="after-due")
    text = after_due.export_text()
    assert "The failed analysis aborted the release" in text and "Rollback within" not in text
    assert "1 hidden check(s)" in text


GOOD_RUBRIC = """\
schema: rollout-lab/rubric@1
id: tiny
title: Tiny
checks:
  - id: steps
    title: Steps
    rule: manifest.canary_steps
    params: {weights: [20], pauses: [null]}
    points: 1
"""


@pytest.mark.parametrize(
    ("broken", "line", "words"),
    [
        (GOOD_RUBRIC.replace("points: 1", "points: -1"), 9, "minimum"),
        (GOOD_RUBRIC.replace("manifest.canary_steps", "manifest.canary_stepz"), 7, "unknown rule"),
        (
            GOOD_RUBRIC.replace("weights: [20]", "weights: [200]"),
            8,
            "params of manifest.canary_steps",
        ),
        (
            GOOD_RUBRIC.replace(
                "params: {weights: [20], pauses: [null]}", "params: {weights: [20]}"
            ),
            8,
            "'pauses' is a required property",
        ),
        (
            GOOD_RUBRIC.replace("    points: 1", "    points: 1\n    visibilty: hidden"),
            10,
            "visibilty",
        ),
        (GOOD_RUBRIC.replace("schema: rollout-lab/rubric@1", "schema: v2"), 1, "schema"),
        (GOOD_RUBRIC.replace("  - id: steps", "  - id: Steps!"), 5, "does not match"),
        (
            GOOD_RUBRIC + "  - id: steps\n    title: again\n    rule: manifest.replicas\n"
            "    params: {equals: 3}\n    points: 1\n",
            10,
            "duplicate check id",
        ),
        (GOOD_RUBRIC.replace("title: Tiny", "title: Tiny\ntitle: Again"), 4, "duplicate key"),
        (GOOD_RUBRIC.replace("    points: 1", "\tpoints: 1"), 9, "tab"),
    ],
)
def test_broken_rubric_error_points_at_the_line(broken, line, words):
    with pytest.raises(RubricError) as caught:
        parse_rubric("lab.yaml", broken)
    message = str(caught.value)
    assert message.startswith(f"lab.yaml:{line}:"), message
    assert words in message


def test_valid_rubric_parses_and_defaults_fill_declared_params_only():
    rubric = parse_rubric(
        "lab.yaml",
        GOOD_RUBRIC.replace("checks:", "defaults: {rollout: agent, good_image: x}\nchecks:"),
    )
    assert rubric.checks[0].params == {"rollout": "agent", "weights": [20], "pauses": [None]}
    assert rubric.checks[0].family == "manifest"
    assert Status.PASSED == "passed"
