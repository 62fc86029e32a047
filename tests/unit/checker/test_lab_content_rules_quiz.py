"""manifest.quiz_answer and quiz_feedback (choose-a-strategy lab): digests, not answers, in the
rubric; every way an answers file can be wrong is named; explanations only once answered."""

from __future__ import annotations

from pathlib import Path

from checker import Status, load_manifests
from checker.quiz_rules import answer_digest, quiz_feedback, read_answers
from checker.rules import RULES, RuleInputs

LAB = Path(__file__).resolve().parents[3] / "labs" / "choose-a-strategy"
PARAMS = {
    "file": "answers.yaml",
    "question": "capacity",
    "choices": ["a", "b", "c"],
    "answer_sha256": answer_digest("capacity", "c"),
}


def _grade(files: dict[str, str]) -> tuple[Status, str]:
    outcome = RULES["manifest.quiz_answer"].fn(RuleInputs(manifests=load_manifests(files)), PARAMS)
    return outcome.status, outcome.observed


def test_the_outcome_points_at_the_answer_line() -> None:
    files = {"answers.yaml": "# my answers\nother: a\ncapacity: b\n"}
    outcome = RULES["manifest.quiz_answer"].fn(RuleInputs(manifests=load_manifests(files)), PARAMS)
    assert outcome.where == "answers.yaml:3"


def test_digest_is_per_question_and_ignores_case_and_spaces() -> None:
    assert answer_digest("capacity", " C ") == answer_digest("capacity", "c")
    assert answer_digest("capacity", "c") != answer_digest("other", "c")
    assert len(answer_digest("q", "a")) == 64


def test_right_wrong_and_unanswered() -> None:
    assert _grade({"answers.yaml": 'capacity: "C"\n'}) == (
        Status.PASSED,
        "answer 'c' to 'capacity' is right",
    )
    assert _grade({"answers.yaml": "capacity: a\n"}) == (
        Status.FAILED,
        "answer 'a' to 'capacity' is not the best choice",
    )
    for blank in ('capacity: ""\n', "capacity:\n", 'capacity: "?"\n'):
        assert _grade({"answers.yaml": blank}) == (
            Status.FAILED,
            "question 'capacity' is not answered yet",
        )


def test_malformed_answers_are_named_without_the_answer() -> None:
    cases = {
        "capacity: d\n": "answer 'd' to 'capacity' is not one of a, b, c",
        "other: a\n": "answers.yaml has no line for question 'capacity'",
        "capacity: a\ncapacity: b\n": "answers.yaml:2:",
        "# nothing yet\n": "answers.yaml holds no answers",
    }
    for text, phrase in cases.items():
        status, observed = _grade({"answers.yaml": text})
        assert status is Status.FAILED and phrase in observed, observed
    assert _grade({"notes.yaml": "capacity: c\n"}) == (
        Status.FAILED,
        "no answers.yaml in your folder",
    )


def test_feedback_only_for_answered_questions(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text('stateless-release: "b"\ncapacity: ""\n', encoding="utf-8")
    read = read_answers(answers)
    assert read == {"stateless-release": "b", "capacity": ""}
    shown = quiz_feedback(LAB, read)
    assert list(shown) == ["stateless-release"]
    assert shown["stateless-release"].startswith("A canary fits best")
    assert quiz_feedback(LAB, read_answers(tmp_path / "missing.yaml")) == {}
    answers.write_text("- not a mapping\n", encoding="utf-8")
    assert read_answers(answers) == {}


def test_every_explanation_has_a_question_in_the_rubric() -> None:
    from checker import load_rubric

    questions = {c.params["question"] for c in load_rubric(LAB).checks}
    everything = quiz_feedback(LAB, dict.fromkeys(questions, "a"))
    assert set(everything) == questions
