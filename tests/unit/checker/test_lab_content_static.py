"""Static grading (`--static`) of the five lab-content labs: each reference solution earns every
static point, and each starter fails exactly the checks the exercise is about, saying what it saw
without printing the answer."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from checker import GradeRequest, LabResult, Status, grade, load_manifest_dir, load_rubric

LABS = Path(__file__).resolve().parents[3] / "labs"
CONTENT_LABS = (
    "all-or-nothing",
    "canary-by-hand",
    "blue-green",
    "rollback-drill",
    "choose-a-strategy",
)
QUIZ = (
    "stateless-release",
    "conversation-state",
    "capacity",
    "weight-without-router",
    "full-test-before-users",
)

# lab -> {check id: a phrase its observation must contain} for the starter's failing checks
STARTER_FAILURES: dict[str, dict[str, str]] = {
    "all-or-nothing": {
        "deployment-spec": "spec.replicas is 1; the task asks for a different count"
    },
    "canary-by-hand": {
        "rollout-present": "no Rollout named 'agent' in the files; saw Deployment 'agent'",
        "selector-labels": "no Rollout named 'agent'",
        "replicas": "no Rollout named 'agent'",
        "canary-steps": "no Rollout named 'agent'",
        "canary-services": "no Rollout named 'agent'",
        "services-select-pods": "no Rollout named 'agent'",
    },
    "blue-green": {"bluegreen-services": "previewService is empty"},
    "rollback-drill": {},
    "choose-a-strategy": {q: f"question {q!r} is not answered yet" for q in QUIZ},
}


@cache
def _static(lab: str, folder: str) -> LabResult:
    rubric = load_rubric(LABS / lab)
    return grade(
        GradeRequest(rubric=rubric, mode="static", manifests=load_manifest_dir(LABS / lab / folder))
    )


@pytest.mark.parametrize("lab", CONTENT_LABS)
def test_solution_earns_every_static_point(lab: str) -> None:
    result = _static(lab, "solution")
    ran = [c for c in result.checks if c.status is not Status.SKIPPED]
    assert ran, "the lab has no static checks"
    assert all(c.status is Status.PASSED for c in ran), [(c.id, c.observed) for c in ran]
    assert result.score == result.max_score > 0
    skipped = {c.id for c in result.checks if c.status is Status.SKIPPED}
    assert skipped == {c.id for c in load_rubric(LABS / lab).checks if c.family != "manifest"}


@pytest.mark.parametrize("lab", CONTENT_LABS)
def test_starter_fails_exactly_the_intended_checks(lab: str) -> None:
    result = _static(lab, "starter")
    failed = {c.id: c.observed for c in result.checks if c.status is Status.FAILED}
    expected = STARTER_FAILURES[lab]
    assert set(failed) == set(expected), failed
    for check, phrase in expected.items():
        assert phrase in failed[check], (check, failed[check])
    others = [c for c in result.checks if c.id not in expected]
    assert all(c.status in (Status.PASSED, Status.SKIPPED) for c in others)
    for check in result.checks:  # a failing check offers its first hint, never the answer
        if check.status is Status.FAILED:
            assert check.hint and check.hint_level == 1


def test_starter_messages_do_not_give_the_answers_away() -> None:
    seen = " ".join(c.observed for lab in CONTENT_LABS for c in _static(lab, "starter").checks)
    for answer in ("replicas is 3", "agent-preview", "autoPromotionEnabled is false", "pause: {}"):
        assert answer not in seen
    quiz = _static("choose-a-strategy", "starter")
    assert all("right" not in c.observed for c in quiz.checks)


@pytest.mark.parametrize("lab", CONTENT_LABS)
def test_lab_folder_is_complete(lab: str) -> None:
    folder = LABS / lab
    for name in ("lab.yaml", "README.md", "solve.py"):
        assert (folder / name).is_file(), name
    starter = sorted(p.name for p in (folder / "starter").iterdir())
    solution = sorted(p.name for p in (folder / "solution").iterdir())
    assert starter == solution and starter
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "## For instructors" in readme and "solve(session" in readme
    assert load_rubric(folder).id == lab


def test_quiz_explanations_are_not_shipped_to_the_workspace() -> None:
    folder = LABS / "choose-a-strategy"
    assert (folder / "explanations.yaml").is_file()
    assert not list((folder / "starter").glob("explanations*"))
    assert "explanations" not in " ".join(load_rubric(folder).scaffolding)
