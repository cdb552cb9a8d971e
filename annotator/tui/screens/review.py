"""The review screen: settle annotators' disagreements into the gold annotation.

It is the annotation screen working on the article's gold (same keys, same storage at
every keypress, same undo), given another mode: `space` takes the current span and
rejects the candidates it overlaps, an article is done only when no candidate is left,
and a second line shows what each annotator marked where the cursor is.
"""

from __future__ import annotations

from textual.binding import Binding

from annotator.tui import texts
from annotator.tui.screens.annotate import AnnotateScreen, ScreenMode


class ReviewScreen(AnnotateScreen):
    """Adjudicate one article at a time, worst agreement first."""

    BINDINGS = [
        Binding("space", "take", "take"),
        Binding("A", "take_all", "take all", show=False),
    ]

    MODE = ScreenMode(
        keys_bar=texts.REVIEW_KEYS,
        help_rows=texts.REVIEW_HELP,
        progress_word="settled",
        describe_origin=texts.review_origin,
        done_needs_no_pending=True,
        compare_layers=True,
    )
