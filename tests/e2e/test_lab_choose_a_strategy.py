"""Lab choose-a-strategy through a learner session (the quiz needs no cluster): unanswered
questions fail without giving answers or explanations away; an answer brings its explanation
(and only its own); solve writes the reference answers, which score full marks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_content_support import assert_full_marks, lab_harness, statuses

from checker import Status
from labs.runtime.lifecycle import find_solver
from labs.runtime.session import LabSession

LAB = "choose-a-strategy"
QUESTIONS = (
    "stateless-release",
    "conversation-state",
    "capacity",
    "weight-without-router",
    "full-test-before-users",
)


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LabSession]:
    monkeypatch.setenv("ROLLOUT_LAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    opened = LabSession.open(LAB, workspace_root=tmp_path / "ws")
    yield opened
    opened.close()


def _module() -> dict:
    solver = find_solver(LAB)
    assert solver is not None
    return solver.__globals__


def test_unanswered_quiz_fails_every_question_and_explains_nothing(session: LabSession) -> None:
    assert session.cluster is None
    result = session.check(static=True)
    seen = statuses(result)
    assert set(seen) == set(QUESTIONS)
    for question in QUESTIONS:
        assert seen[question] == (Status.FAILED, f"question {question!r} is not answered yet")
    assert _module()["explanations"](session) == {}


def test_an_answer_brings_only_its_own_explanation(session: LabSession) -> None:
    answers = session.workspace.path / "answers.yaml"
    text = answers.read_text(encoding="utf-8")
    answers.write_text(text.replace('capacity: ""', 'capacity: "a"'), encoding="utf-8")
    seen = statuses(session.check(static=True))
    assert seen["capacity"] == (Status.FAILED, "answer 'a' to 'capacity' is not the best choice")
    assert seen["stateless-release"][0] is Status.FAILED
    shown = _module()["explanations"](session)
    assert list(shown) == ["capacity"]
    assert "Blue-green brings up a full second copy" in shown["capacity"]


def test_solve_writes_answers_that_score_full_marks(session: LabSession) -> None:
    find_solver(LAB)(session)
    result = session.check(static=True)
    assert_full_marks(result)
    assert all("is right" in observed for _, observed in statuses(result).values())
    assert set(_module()["explanations"](session)) == set(QUESTIONS)


def test_with_a_cluster_running_the_quiz_grades_the_same(tmp_path: Path) -> None:
    with lab_harness(tmp_path, LAB, workloads=False) as harness:
        session = harness.open("live")
        try:
            assert session.cluster is not None
            find_solver(LAB)(session)
            result = session.check(deadline=5)
        finally:
            session.close()
    assert result.mode == "cluster"
    assert_full_marks(result)
