"""Reference path of the choose-a-strategy quiz: write the reference answers into the workspace.

`solve(session)` is called by `rollout-lab lab solve choose-a-strategy` and the notebook's
skip-ahead cell (labs/runtime/lifecycle.py loads this file by path); `session` is a `LabSession`.
`explanations(session)` returns the explanation of every question answered so far, for the
notebook to show after the learner answers (never before).
"""

from __future__ import annotations

from typing import Any

from checker.quiz_rules import quiz_feedback, read_answers

ANSWERS_FILE = "answers.yaml"


def solve(session: Any) -> None:
    """Copy `solution/answers.yaml` into the learner's workspace (no cluster needed)."""
    session.workspace.use_solution()


def explanations(session: Any) -> dict[str, str]:
    """question id -> explanation, only for the questions answered in the workspace file."""
    answers = read_answers(session.workspace.path / ANSWERS_FILE)
    return quiz_feedback(session.workspace.lab_dir, answers)


def main(argv: list[str] | None = None) -> int:
    """`python labs/choose-a-strategy/solve.py ANSWERS.yaml`: print explanations of answered
    questions (the terminal's way to see them; the notebook calls `explanations`)."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("answers", type=Path, help="your answers.yaml")
    args = parser.parse_args(argv)
    feedback = quiz_feedback(Path(__file__).resolve().parent, read_answers(args.answers))
    if not feedback:
        print("No answered questions yet: put a letter between the quotes in answers.yaml.")
    for question, text in feedback.items():
        print(f"{question}:\n  {text}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
