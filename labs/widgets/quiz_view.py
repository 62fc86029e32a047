"""The quiz view: one set of choices per question, save to answers.yaml, then explanations.

Saving writes the learner's real answers file and runs the (static) check, so each question
shows PASS or FAIL in words; an explanation appears only for questions already answered.
"""

from __future__ import annotations

import html
from typing import Any

from labs.widgets.common import LiveWidget

__all__ = ["QuizWidget", "render_feedback"]


def render_feedback(result: Any, feedback: dict[str, str]) -> tuple[str, str]:
    """(html, text): each answered question's check status and explanation."""
    status = {check.id: check for check in result.checks} if result is not None else {}
    html_parts, text_parts = [], []
    for question, explanation in feedback.items():
        check = status.get(question)
        label = {"passed": "PASS", "failed": "FAIL"}.get(str(check.status), "") if check else ""
        text_parts.append(f"{label:<4}  {question}: {explanation}")
        html_parts.append(
            f'<p data-question="{html.escape(question)}"><b>{label}</b> '
            f"<b>{html.escape(question)}</b>: {html.escape(explanation)}</p>"
        )
    if not feedback:
        text_parts.append("Answer a question to see its explanation.")
        html_parts.append("<p>Answer a question to see its explanation.</p>")
    return "".join(html_parts), "\n".join(text_parts)


class QuizWidget(LiveWidget):
    """Radio buttons per question; `save answers` writes answers.yaml and checks them."""

    def __init__(self, session: Any) -> None:
        import ipywidgets as widgets

        from labs.runtime.quiz import current_answers, questions

        self.session = session
        self.result: Any = None
        self.choices: dict[str, Any] = {}
        answered = current_answers(session)
        rows = []
        for question in questions(session):
            options = [(f"{letter}) {text}", letter) for letter, text in question.options]
            choice = widgets.RadioButtons(
                options=options, value=answered.get(question.id) or None, layout={"width": "auto"}
            )
            self.choices[question.id] = choice
            label = widgets.HTML(f"<b>{html.escape(question.id)}.</b> {html.escape(question.text)}")
            rows.append(widgets.VBox([label, choice]))
        super().__init__(title="Choose a strategy", buttons=("save answers",), interval=3600)
        self.box.children = (self.title, *rows, *self.box.children[1:])

    def render(self) -> tuple[str, str]:
        from labs.runtime.quiz import explanations

        return render_feedback(self.result, explanations(self.session))

    def on_button(self, name: str) -> str:
        from labs.runtime.quiz import save_answers

        chosen = {q: c.value for q, c in self.choices.items() if c.value}
        save_answers(self.session, chosen)
        self.result = self.session.check(static=True)
        return f"saved {len(chosen)} answer(s) to answers.yaml and checked them"

    def start(self) -> None:
        """The quiz changes only when the learner saves (no background refresh)."""
