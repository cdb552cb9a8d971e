"""The Textual application: it only sets up and pushes the annotation screen."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from textual import events
from textual.app import App

from annotator.domain.scheme import LabelScheme
from annotator.tui.screens.annotate import AnnotateScreen


class AnnotatorApp(App):
    """Annotate articles as ``annotator`` in the database ``db``."""

    CSS_PATH = "app.tcss"
    TITLE = "annotator"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        *,
        scheme: LabelScheme,
        open_session: Callable,
        open_nlp: Callable | None = None,
        latency_log: str | None = None,
    ):
        super().__init__()
        self.scheme = scheme
        self._open_session = open_session
        self._open_nlp = open_nlp
        # Benchmarks set ANNOTATOR_LATENCY_LOG: time from a key event to the repaint after it.
        self.latency_log = latency_log or os.environ.get("ANNOTATOR_LATENCY_LOG")
        self.latencies: list[float] = []

    def on_mount(self) -> None:
        self.push_screen(AnnotateScreen(self.scheme, self._open_session, self._open_nlp))

    async def on_event(self, event: events.Event) -> None:
        if self.latency_log and isinstance(event, events.Key):
            created = event.time
            await super().on_event(event)
            self.call_after_refresh(self._record_latency, created)
            return
        await super().on_event(event)

    def _record_latency(self, created: float) -> None:
        self.latencies.append(time.monotonic() - created)

    def on_unmount(self) -> None:
        if self.latency_log and self.latencies:
            with open(self.latency_log, "a", encoding="utf-8") as out:
                out.writelines(f"{value:.6f}\n" for value in self.latencies)
