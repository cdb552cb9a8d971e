"""The Textual application: it only sets up and pushes the annotation screen."""

from __future__ import annotations

from collections.abc import Callable

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
        screen: type[AnnotateScreen] = AnnotateScreen,
        retrainer: object | None = None,
    ):
        super().__init__()
        self.scheme = scheme
        self._screen_class = screen
        self._first = first
        self._open_session = open_session
        self._open_nlp = open_nlp
        self._retrainer = retrainer  # services.retraining.Retrainer, or None
        # The one line to print when the app has ended with an error (printed by the
        # caller, after the terminal is restored, unwrapped: see leave()).
        self.farewell: str | None = None

    def leave(self, return_code: int, farewell: str) -> None:
        """End the app with ``return_code``; ``farewell`` (data made visible already) is
        what the caller prints as one line."""
        self.farewell = farewell
        self.exit(return_code=return_code)

    def on_mount(self) -> None:
        self.push_screen(
            self._screen_class(
                self.scheme,
                self._open_session,
                self._open_nlp,
                self._first,
                retrainer=self._retrainer,
            )
        )

    def key_handled(self) -> None:
        """Called by the screen once a key's action has run (benchmarks measure from here;
        nothing to do otherwise)."""

    def article_shown(self) -> None:
        """Called by the screen once an article is painted (benchmarks measure from here;
        nothing to do otherwise)."""
