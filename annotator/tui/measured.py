"""The annotation app with its timings recorded: only the benchmarks use it.

Key latency is the time from a key event's creation to the end of the screen refresh
that shows its effect; open time is from a request for an article (`a`, `s`, `f`,
`p`, `n`) to the end of the refresh that shows it.
"""

from __future__ import annotations

import time

from textual import events

from annotator.tui.app import AnnotatorApp


class MeasuredApp(AnnotatorApp):
    """AnnotatorApp recording ``latencies`` (keys) and ``open_times`` (articles)."""

    OPENING_KEYS = frozenset("a s f p n".split())

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.latencies: list[float] = []
        self.open_times: list[float] = []
        self._key_time: float | None = None
        self._open_time: float | None = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            # Keys reach the app first; the screen acts on them later (see key_handled).
            self._key_time = event.time
            if event.key in self.OPENING_KEYS:
                self._open_time = event.time
        await super().on_event(event)

    def key_handled(self) -> None:
        if self._key_time is not None:
            created, self._key_time = self._key_time, None
            self.screen.call_after_refresh(
                lambda: self.latencies.append(time.monotonic() - created)
            )

    def article_shown(self) -> None:
        if self._open_time is not None:
            requested, self._open_time = self._open_time, None
            self.screen.call_after_refresh(
                lambda: self.open_times.append(time.monotonic() - requested)
            )
