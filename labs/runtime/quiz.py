"""Short graded questions (lab 6): the questions, the learner's answers file, explanations.

Questions are read from the lab's README (`**<id>.** question` then `- a) option` lines); the
answers go into the learner's real `answers.yaml` in the workspace, so the checker grades the
same file whether it was edited by hand or through the quiz view. Explanations come from the
checker's `quiz_feedback` and only for questions already answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from checker.quiz_rules import quiz_feedback, read_answers
from labs.runtime.session import LabSession

__all__ = ["ANSWERS_FILE", "Question", "explanations", "questions", "save_answers"]

ANSWERS_FILE = "answers.yaml"
_QUESTION = re.compile(r"^\*\*(?P<id>[a-z0-9-]+)\.\*\*\s*(?P<text>.*)$")
_OPTION = re.compile(r"^-\s*(?P<letter>[a-z])\)\s*(?P<text>.+)$")
_HEADER = (
    "# Your answers to the questions in README.md: put one letter (a, b or c) between the quotes.\n"
)


@dataclass(frozen=True)
class Question:
    """One question: id (as in answers.yaml), text, and (letter, option text) pairs."""

    id: str
    text: str
    options: tuple[tuple[str, str], ...]


def questions(lab: LabSession) -> list[Question]:
    """The questions of the lab's README, in order."""
    try:
        lines = (lab.workspace.lab_dir / "README.md").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    found: list[Question] = []
    current: dict[str, Any] | None = None
    for line in [*lines, ""]:
        heading = _QUESTION.match(line)
        option = _OPTION.match(line.strip())
        if heading:
            if current:
                found.append(Question(current["id"], current["text"], tuple(current["options"])))
            current = {"id": heading["id"], "text": heading["text"], "options": []}
        elif current is not None and option:
            current["options"].append((option["letter"], option["text"]))
        elif current is not None and line.strip() and not current["options"]:
            current["text"] += " " + line.strip()
        elif current is not None and current["options"] and not option:
            found.append(Question(current["id"], current["text"], tuple(current["options"])))
            current = None
    return found


def current_answers(lab: LabSession) -> dict[str, str]:
    return read_answers(lab.workspace.path / ANSWERS_FILE)


def save_answers(lab: LabSession, answers: dict[str, str]) -> dict[str, str]:
    """Merge `answers` into answers.yaml (unanswered stay ""), record each new answer."""
    merged = {q.id: "" for q in questions(lab)}
    merged.update(current_answers(lab))
    previous = dict(merged)
    merged.update({k: v for k, v in answers.items() if v})
    path = lab.workspace.path / ANSWERS_FILE
    path.write_text(_HEADER + yaml.safe_dump(merged, sort_keys=False), encoding="utf-8")
    for question, answer in merged.items():
        if answer and previous.get(question) != answer:
            lab.progress.answer(question, answer)
    return merged


def explanations(lab: LabSession) -> dict[str, str]:
    """question id -> explanation, for the questions answered in the workspace file."""
    if not (lab.workspace.lab_dir / "explanations.yaml").is_file():
        return {}
    return quiz_feedback(lab.workspace.lab_dir, current_answers(lab))
