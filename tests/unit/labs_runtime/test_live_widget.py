"""The ipywidgets shell of every view: text form, buttons, surviving a failed refresh."""

from __future__ import annotations

from labs.runtime.notebook import time_note
from labs.widgets.common import LiveWidget


class Counter(LiveWidget):
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.broken = False
        super().__init__(title="Counter", buttons=("bump",), interval=60)

    def render(self) -> tuple[str, str]:
        if self.broken:
            raise ConnectionError("cluster went away")
        return f"<p>{len(self.calls)} bumps</p>", f"{len(self.calls)} bumps"

    def on_button(self, name: str) -> str:
        self.calls.append(name)
        return f"{name} done"


def test_display_carries_the_text_form_and_the_widget():
    view = Counter()
    bundle = view._repr_mimebundle_()
    try:
        assert bundle["text/plain"] == "0 bumps"
        assert "application/vnd.jupyter.widget-view+json" in bundle
        assert view.body.value == "<p>0 bumps</p>"
    finally:
        view.stop()


def test_a_button_runs_its_action_and_shows_the_message():
    view = Counter()
    view.buttons["bump"].click()
    assert view.calls == ["bump"]
    assert view.message.value == "bump done"
    assert view.text() == "1 bumps"


def test_a_failed_refresh_keeps_the_last_view_and_says_why():
    view = Counter()
    assert view.refresh() == "0 bumps"
    view.broken = True
    assert view.refresh() == "0 bumps"
    assert view.message.value == "could not refresh: ConnectionError: cluster went away"
    assert view.body.value == "<p>0 bumps</p>"


def test_time_note_in_lab_terms():
    assert time_note(30) == (
        "Lab time runs 30x faster than the clock: a 5-minute pause takes 10 seconds, "
        "an analysis every 30s measures every 1 s."
    )
    assert "wall-clock speed" in time_note(1)
