"""File reports from one LabResult: result.json, Gradescope results.json, JUnit XML.

Gradescope fields follow its autograder spec: top-level `score`, `output`, `output_format`,
`visibility`, `stdout_visibility`, `extra_data`, `tests[]` with `name`, `number`, `score`,
`max_score`, `status` (passed/failed), `output`, `output_format`, `tags`, `visibility`.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

from checker.results import CheckResult, LabResult, Status, Visibility

__all__ = ["gradescope_json", "junit_xml", "result_json"]

_GS_VISIBILITY = {
    Visibility.VISIBLE: "visible",
    Visibility.HIDDEN: "hidden",
    Visibility.AFTER_DUE: "after_due_date",
}


def result_json(result: LabResult) -> str:
    """The canonical versioned record (schema `rollout-lab.result/v1`)."""
    return json.dumps(result.to_dict(), indent=2, sort_keys=True) + "\n"


def _check_markdown(check: CheckResult) -> str:
    lines = [f"**{check.status.upper()}** — {check.observed}"]
    if check.where:
        lines.append(f"at `{check.where}`")
    if check.hint:
        lines.append(f"Hint {check.hint_level} of {check.hints_total}: {check.hint}")
    if check.evidence:
        lines.append(f"Look: `{check.evidence}`")
    if check.status in (Status.PENDING, Status.ERROR):
        lines.append("_The checker could not decide this check; it is not a mark against you._")
    return "\n\n".join(lines)


def gradescope_json(result: LabResult) -> str:
    """Gradescope-compatible results.json (pending/error become failed with an explanation)."""
    tests: list[dict[str, Any]] = []
    for number, check in enumerate(result.checks, start=1):
        tests.append(
            {
                "name": check.title,
                "number": str(number),
                "score": check.score,
                "max_score": check.max_score,
                "status": "passed" if check.status is Status.PASSED else "failed",
                "output": _check_markdown(check),
                "output_format": "md",
                "tags": [check.family, check.id, str(check.status)],
                "visibility": _GS_VISIBILITY[check.visibility],
            }
        )
    output = f"{result.lab_title}: {result.score:g} / {result.points_possible:g} points."
    if not result.gradable:
        output += " Some checks could not be decided (pending or error); ask your instructor."
    if result.integrity:
        output += " Edited lab files: " + ", ".join(result.integrity) + "."
    document = {
        "score": result.score,
        "output": output,
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {
            "checker_version": result.checker_version,
            "rubric_hash": result.rubric_hash,
            "mode": result.mode,
            "gradable": result.gradable,
        },
        "tests": tests,
    }
    return json.dumps(document, indent=2) + "\n"


def junit_xml(results: Iterable[LabResult]) -> str:
    """JUnit XML: one testsuite per result, one testcase per check."""
    root = ET.Element("testsuites", name="rollout-lab")
    for result in results:
        suite_name = f"{result.lab}:{result.learner.id or result.source or 'local'}"
        counts = result.counts()
        suite = ET.SubElement(
            root,
            "testsuite",
            name=suite_name,
            tests=str(len(result.checks)),
            failures=str(counts["failed"]),
            errors=str(counts["error"] + counts["pending"]),
            skipped=str(counts["skipped"]),
        )
        for check in result.checks:
            case = ET.SubElement(
                suite, "testcase", classname=f"{result.lab}.{check.family}", name=check.id, time="0"
            )
            message = check.observed[:500]
            if check.status is Status.FAILED:
                ET.SubElement(case, "failure", message=message, type="failed").text = check.observed
            elif check.status in (Status.ERROR, Status.PENDING):
                ET.SubElement(
                    case, "error", message=message, type=str(check.status)
                ).text = check.observed
            elif check.status is Status.SKIPPED:
                ET.SubElement(case, "skipped", message=message)
        for error in result.errors:
            case = ET.SubElement(
                suite, "testcase", classname=f"{result.lab}.submission", name="bundle"
            )
            ET.SubElement(case, "error", message=error[:500], type="submission").text = error
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
