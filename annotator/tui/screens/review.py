"""The review screen: settle annotators' disagreements into the gold annotation.

It is the annotation screen working on the article's gold (same keys, same storage at
every keypress, same undo), with three differences: `space` takes the current span and
rejects the candidates it overlaps, an article is done only when no candidate is left,
and a second line shows what each annotator marked where the cursor is.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.style import Style

from annotator.domain.spans import Origin, Span, Status
from annotator.tui.screens.annotate import AnnotateScreen, _short
from annotator.tui.widgets.bars import plain


class ReviewScreen(AnnotateScreen):
    """Adjudicate one article at a time, worst agreement first."""

    BINDINGS = [
        Binding("space", "take", "take"),
        Binding("A", "take_all", "take all", show=False),
    ]

    PROGRESS_WORD = "settled"

    KEYS_BAR = [
        ("tab", "next span"),
        ("space", "take"),
        ("del", "reject"),
        ("1-9", "relabel"),
        ("[ ] { }", "resize"),
        ("a", "gold done"),
        ("u", "undo"),
        ("?", "help"),
        ("q", "quit"),
    ]

    HELP_ROWS = [
        ("", "Spans all annotators share are already accepted (filled). Every other span is a"),
        ("", "candidate (underlined), tagged with who proposed it: Idlib·LOCATION?ana,bob."),
        ("tab / shift+tab", "next / previous span"),
        ("space", "take the current span as gold; the candidates it overlaps are rejected"),
        ("delete / backspace", "reject the current span"),
        ("1..9, 0", "relabel the current span, or label the selection (edit)"),
        ("[  ]  {  }", "move the current span's start / end by one token (edit)"),
        ("A (shift+a)", "take every candidate (only when they do not overlap)"),
        ("a", "this gold is done (no candidate may be left); next article"),
        ("s / f", "skip / flag the article (with a note)"),
        ("u / ctrl+z, ctrl+y", "undo / redo (across restarts)"),
        ("p / n", "previous / next article you reviewed"),
        ("→ ← ↓ ↑, shift+→ ←", "move the cursor, select"),
        ("/", "find text"),
        ("q", "quit (everything is already saved)"),
    ]

    def action_take(self) -> None:
        self._edit(lambda e: e.take())

    def action_take_all(self) -> None:
        editor = self.editor
        if editor is None:
            return
        pending = editor.pending()
        if any(a.overlaps(b) for i, a in enumerate(pending) for b in pending[i + 1 :]):
            self._say("candidates overlap: take or reject them one by one")
            return
        self._edit(lambda e: e.confirm_all())

    def _finish(self, status: Status, note: str | None = None) -> None:
        if status is Status.DONE and self.editor is not None and self.editor.pending():
            count = len(self.editor.pending())
            self._say(
                f"{count} candidate{'s' if count != 1 else ''} left: take (space) or reject (delete) each"
            )
            return
        super()._finish(status, note)

    def _info_lines(self) -> list[Content]:
        lines = super()._info_lines()
        if self.editor is None or self.loaded is None or not self.loaded.layers:
            return lines
        region = self._region()
        if region is None:
            return lines
        start, end = region
        parts: list[Content] = []
        for name, spans in self.loaded.layers.items():
            here = [s for s in spans if s.start < end and start < s.end]
            parts.append(plain(f"{name}: ", Style(bold=True)))
            parts.append(plain(", ".join(self._describe(s) for s in here) if here else "—"))
            parts.append(plain("   "))
        return [*lines, Content("").join(parts)]

    def describe_origin(self, span: Span) -> str:
        if span.origin is Origin.SUGGESTED:
            return f"candidate from {', '.join(span.sources) or 'nobody'}"
        if span.origin is Origin.ACCEPTED:
            return "in gold" + (f" (as {', '.join(span.sources)})" if span.sources else "")
        if span.origin is Origin.EDITED:
            return "in gold, edited"
        return "in gold, added by the reviewer"

    def _region(self) -> tuple[int, int] | None:
        editor = self.editor
        assert editor is not None
        if editor.selection_chars() is not None:
            return editor.selection_chars()
        if editor.current is not None:
            return editor.current.start, editor.current.end
        return editor.cursor_chars()

    def _describe(self, span: Span) -> str:
        assert self.editor is not None
        return f"{span.label} “{_short(self.editor.text[span.start : span.end], 30)}”"
