"""The shared shape of the live views: a titled ipywidgets box, refreshed in the background.

A view renders `(html, text)` from its view model; the HTML goes into the widget and the text
becomes the output's `text/plain`, so a headless run (nbclient, a screen reader, a terminal)
gets the same words the browser shows. Buttons run `on_button(name)` and show its message.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["LiveWidget"]


class LiveWidget:
    """Base class: subclasses implement `render()` and, with buttons, `on_button(name)`."""

    css_class = "rl-live-view"

    def __init__(self, *, title: str, buttons: tuple[str, ...] = (), interval: float = 1.0) -> None:
        import ipywidgets as widgets

        self.interval = interval
        self.last_html = ""
        self.last_text = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.title = widgets.HTML(f"<b>{title}</b>")
        self.body = widgets.HTML()
        self.body.add_class("rl-view-body")
        self.message = widgets.Label()
        self.message.add_class("rl-view-message")
        self.buttons = {}
        for name in buttons:
            button = widgets.Button(description=name, tooltip=f"{name} (same as the CLI)")
            button.add_class(f"rl-button-{name}")
            button.on_click(lambda _b, name=name: self._click(name))
            self.buttons[name] = button
        children = [self.title, self.body]
        if self.buttons:
            children.append(widgets.HBox(list(self.buttons.values())))
        children.append(self.message)
        self.box = widgets.VBox(children)
        self.box.add_class(self.css_class)

    # -- subclass hooks ------------------------------------------------------------------------
    def render(self) -> tuple[str, str]:
        raise NotImplementedError

    def on_button(self, name: str) -> str:
        raise NotImplementedError

    # -- behaviour -----------------------------------------------------------------------------
    def refresh(self) -> str:
        """Render once; returns the text form."""
        try:
            html_value, text = self.render()
        except Exception as error:  # a view must survive a cluster blip; say what happened
            self.message.value = f"could not refresh: {type(error).__name__}: {error}"[:300]
            return self.last_text
        if html_value != self.last_html:
            self.body.value = html_value
            self.last_html = html_value
        self.last_text = text
        return text

    def _click(self, name: str) -> None:
        try:
            self.message.value = self.on_button(name)
        except Exception as error:  # show the API's message instead of a traceback
            self.message.value = f"{name} failed: {error}"[:300]
        self.refresh()

    def start(self) -> None:
        """Refresh every `interval` seconds in a daemon thread until `stop()`."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True, name=type(self).__name__)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.refresh()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def text(self) -> str:
        return self.refresh()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """Display as the widget, with the view's words as the plain-text form."""
        text = self.refresh()
        bundle = self.box._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        bundle = dict(bundle or {})
        bundle["text/plain"] = text
        self.start()
        return bundle
