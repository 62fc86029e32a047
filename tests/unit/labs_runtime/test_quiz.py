"""Lab 6's quiz: questions from the README, answers into the learner's answers.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.runtime.quiz import current_answers, explanations, questions, save_answers
from labs.runtime.session import LabSession
from labs.widgets.quiz_view import QuizWidget


@pytest.fixture
def quiz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LabSession:
    monkeypatch.setenv("ROLLOUT_LAB_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("ROLLOUT_LAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    return LabSession.open("choose-a-strategy")


def test_questions_come_with_their_options(quiz: LabSession):
    found = questions(quiz)
    assert len(found) >= 3
    starter_ids = set(current_answers(quiz))
    assert {q.id for q in found} == starter_ids  # every question of the answers file
    assert all([letter for letter, _ in q.options][:2] == ["a", "b"] for q in found)
    assert all(q.text.endswith(("?", ".")) for q in found)


def test_explanations_only_after_answering_and_answers_are_recorded(quiz: LabSession):
    assert explanations(quiz) == {}
    first = questions(quiz)[0].id
    save_answers(quiz, {first: "b"})
    assert set(explanations(quiz)) == {first}
    assert current_answers(quiz)[first] == "b"
    save_answers(quiz, {first: "a"})
    assert quiz.progress.summary().quiz_answers == {first: "a"}
    assert len(quiz.progress.entries("quiz")) == 2


def test_quiz_view_saves_checks_and_explains(quiz: LabSession):
    view = QuizWidget(quiz)
    first = questions(quiz)[0].id
    view.choices[first].value = "c"
    view.buttons["save answers"].click()
    assert view.message.value.startswith("saved 1 answer(s)")
    assert view.last_text.split(":")[0].split() in (["PASS", first], ["FAIL", first])
    assert len(view.last_text.splitlines()) == 1  # nothing about unanswered questions
