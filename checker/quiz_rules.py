"""Quiz rules (the choose-a-strategy lab): short multiple-choice answers kept in a workspace
file (`answers.yaml`, a mapping of question id -> letter).

The rubric stores each right answer only as `sha256("<question>=<letter>")`, so reading
`lab.yaml` does not give the answers away, and results say only what was answered and whether it
is right. Explanations live in the lab folder (`explanations.yaml`, not a starter file) and are
returned by `quiz_feedback` for the questions the learner has answered, never before.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from checker.manifests import ManifestObject, ManifestSet
from checker.results import Outcome
from checker.rules import STRING, STRINGS, RuleInputs, rule
from checker.yaml_safe import load_yaml

__all__ = ["answer_digest", "quiz_feedback", "read_answers"]

EXPLANATIONS_FILE = "explanations.yaml"
_UNANSWERED = ("", "?")


def answer_digest(question: str, answer: str) -> str:
    """The digest a rubric stores for `answer` to `question` (lower-case, trimmed)."""
    return hashlib.sha256(f"{question}={answer.strip().lower()}".encode()).hexdigest()


def _answers_from(manifests: ManifestSet, file: str) -> ManifestObject | str:
    problems = [p for p in manifests.problems if p.file == file]
    if problems:
        return f"{problems[0].where()}: {problems[0].message}"
    item = next((o for o in manifests.objects if o.file == file), None)
    if item is None:
        if file in manifests.files:
            return f"{file} holds no answers (expected lines such as `question-id: b`)"
        return f"no {file} in your folder"
    return item


def _normalise(value: Any) -> str:
    return "" if value is None else str(value).strip().lower()


@rule(
    "manifest",
    "quiz_answer",
    {
        "file": STRING,
        "question": STRING,
        "choices": STRINGS,
        "answer_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    },
    required=("file", "question", "choices", "answer_sha256"),
)
def quiz_answer(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """The answer to one question is the right one (compared by digest, never printed)."""
    file, question = params["file"], params["question"]
    answers = _answers_from(inputs.manifests or ManifestSet(), file)
    evidence = f"grep -n '{question}' {file}"
    if isinstance(answers, str):
        return Outcome.failed(answers, evidence)
    if question not in answers.obj:
        return Outcome.failed(f"{file} has no line for question {question!r}", evidence)
    given = _normalise(answers.obj[question])
    where = answers.where(question)
    choices = [c.lower() for c in params["choices"]]
    if given in _UNANSWERED:
        return Outcome.failed(f"question {question!r} is not answered yet", evidence, where)
    if given not in choices:
        return Outcome.failed(
            f"answer {given!r} to {question!r} is not one of {', '.join(choices)}", evidence, where
        )
    if answer_digest(question, given) == params["answer_sha256"]:
        return Outcome.passed(f"answer {given!r} to {question!r} is right", evidence, where)
    return Outcome.failed(
        f"answer {given!r} to {question!r} is not the best choice", evidence, where
    )


def read_answers(path: Path) -> dict[str, str]:
    """The learner's answers file as question -> answer (empty when missing or unreadable)."""
    try:
        loaded = load_yaml(path.name, path.read_bytes())
    except OSError:
        return {}
    if loaded.problems or len(loaded.documents) != 1:
        return {}
    value = loaded.documents[0].value
    if not isinstance(value, dict):
        return {}
    return {str(k): _normalise(v) for k, v in value.items()}


def quiz_feedback(lab_dir: Path, answers: dict[str, str]) -> dict[str, str]:
    """Explanations (from `lab_dir/explanations.yaml`) for the questions answered so far."""
    loaded = load_yaml(EXPLANATIONS_FILE, (lab_dir / EXPLANATIONS_FILE).read_bytes())
    if loaded.problems or len(loaded.documents) != 1:
        raise ValueError(f"{lab_dir / EXPLANATIONS_FILE} is not a single YAML mapping")
    table = loaded.documents[0].value
    if not isinstance(table, dict):
        raise ValueError(f"{lab_dir / EXPLANATIONS_FILE} is not a mapping")
    feedback: dict[str, str] = {}
    for question, text in table.items():
        if answers.get(str(question), "") not in _UNANSWERED:
            feedback[str(question)] = str(text).strip()
    return feedback
