"""The Textual application: it only sets up and pushes the annotation screen."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual import events
from textual.app import App

from annotator.domain.scheme import LabelScheme
from annotator.domain.workitem import LoadedArticle
from annotator.tui.screens.annotate import AnnotateScreen


class AnnotatorApp(App):
    """Annotate (or, with the review screen, adjudicate) articles in one database."""

    CSS_PATH = "app.tcss"
    TITLE = "annotator"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        *,
        scheme: LabelScheme,
        open_session: Callable,
        open_nlp: Callable | None = None,
        first: LoadedArticle | None = None,
        measure: bool = False,
        screen: type[AnnotateScreen] = AnnotateScreen,
    ):
        super().__init__()
        self.scheme = scheme
        self._screen_class = screen
        self._first = first
        self._open_session = open_session
        self._open_nlp = open_nlp
        # Benchmarks set measure: seconds from each key event's creation to the end of the
        # screen refresh that follows it, and from a request for an article to its display.
        self.measure = measure
        self.latencies: list[float] = []
        self.open_times: list[float] = []
        self._key_time: float | None = None

    def on_mount(self) -> None:
        self.push_screen(
            self._screen_class(self.scheme, self._open_session, self._open_nlp, self._first)
        )

    async def on_event(self, event: events.Event) -> None:
        if self.measure and isinstance(event, events.Key):
            # Keys reach the app first; the screen acts on them later (see key_handled).
            self._key_time = event.time
        await super().on_event(event)

    def key_handled(self) -> None:
        """Called by the screen once a key's action has run: the time from the key event
        to the end of the refresh that shows its effect is recorded (when measuring)."""
        if self.measure and self._key_time is not None:
            self.screen.call_after_refresh(self._record_latency, self._key_time)
            self._key_time = None

    def _record_latency(self, created: float) -> None:
        self.latencies.append(time.monotonic() - created)
