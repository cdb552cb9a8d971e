"""Paint one paragraph of an article as Textual Content: spans, cursor, selection, tags.

Article text arrives already passed through ``domain.text.visible`` and is never parsed
as markup: it goes into ``Content`` as plain text, styled by character ranges.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.color import Color
from textual.content import Content
from textual.content import Span as StyleSpan
from textual.style import Style

from annotator.domain.scheme import LabelScheme
from annotator.domain.spans import Origin, Span

# reverse=False: the cursor and selection must look the same inside the (reversed) current span.
CURSOR = Style(
    background=Color.parse("#f0f0f0"), foreground=Color.parse("#000000"), bold=True, reverse=False
)
SELECTION = Style(
    background=Color.parse("#2f5f9f"), foreground=Color.parse("#ffffff"), reverse=False
)
CURRENT = Style(reverse=True, bold=True)
BLACK = Color.parse("#000000")


@dataclass(frozen=True, slots=True)
class Marks:
    """What is highlighted besides spans: the cursor token, the selection, the current span."""

    cursor: tuple[int, int] | None = None
    selection: tuple[int, int] | None = None
    current: Span | None = None

    def ranges(self) -> list[tuple[int, int]]:
        """Character ranges these marks touch (to know which paragraphs to repaint)."""
        found = [r for r in (self.cursor, self.selection) if r is not None]
        if self.current is not None:
            found.append((self.current.start, self.current.end))
        return found


class Painter:
    """Styles per label, built once per scheme, and the paragraph painter."""

    def __init__(self, scheme: LabelScheme, show_tags: bool = True):
        self.scheme = scheme
        self.show_tags = show_tags
        self._confirmed: dict[str, Style] = {}
        self._suggested: dict[str, Style] = {}

    def _styles(self, label: str) -> tuple[Style, Style]:
        if label not in self._confirmed:
            colour = Color.parse(self.scheme.colour_of(label))
            self._confirmed[label] = Style(background=colour, foreground=BLACK)
            self._suggested[label] = Style(foreground=colour, underline=True, italic=True)
        return self._confirmed[label], self._suggested[label]

    def span_style(self, span: Span) -> Style:
        """How a span looks: confirmed spans filled with the label colour, suggestions
        underlined in it."""
        confirmed, suggested = self._styles(span.label)
        return suggested if span.origin is Origin.SUGGESTED else confirmed

    def tag(self, span: Span) -> str:
        """The label tag drawn after a span (a "?" marks a suggestion). Joined by a middle
        dot, not a space, so that line wrapping never parts a span from its label."""
        if span.origin is not Origin.SUGGESTED:
            return f"·{span.label}"
        # In review, a candidate names the annotators who proposed it.
        return f"·{span.label}?{','.join(span.sources)}"

    def paragraph(
        self, shown: str, start: int, end: int, spans: list[Span], marks: Marks
    ) -> Content:
        """Content for characters [start, end) of ``shown`` with ``spans`` (those that
        touch the paragraph) and ``marks``. Every piece carries meta {"at": offset} so a
        mouse click can be mapped back to a character of the article."""
        cuts = {start, end}
        inside = [s for s in spans if s.start < end and start < s.end]
        for span in inside:
            cuts.add(max(start, span.start))
            cuts.add(min(end, span.end))
        for mark in (marks.cursor, marks.selection):
            if mark is not None:
                cuts.update(p for p in mark if start < p < end)
        for position in _word_edges(shown, start, end):
            cuts.add(position)
        points = sorted(cuts)

        text_parts: list[str] = []
        style_spans: list[StyleSpan] = []
        at = 0
        ends_here: dict[int, list[Span]] = {}
        if self.show_tags:
            for span in inside:
                if span.end <= end:
                    ends_here.setdefault(span.end, []).append(span)

        for a, b in zip(points, points[1:], strict=False):
            piece = shown[a:b]
            style = Style.from_meta({"at": a})
            covering = [s for s in inside if s.start <= a and b <= s.end]
            if covering:
                span = min(covering, key=lambda s: s.end - s.start)
                style = self.span_style(span) + style
                if marks.current is not None and span == marks.current:
                    style = style + CURRENT
            if marks.selection is not None and marks.selection[0] <= a and b <= marks.selection[1]:
                style = style + SELECTION
            if marks.cursor is not None and marks.cursor[0] <= a and b <= marks.cursor[1]:
                style = style + CURSOR
            text_parts.append(piece)
            style_spans.append(StyleSpan(at, at + len(piece), style))
            at += len(piece)
            for span in ends_here.get(b, ()):
                tag = self.tag(span)
                tag_style = self.span_style(span) + Style(
                    bold=True, italic=span.origin is Origin.SUGGESTED
                )
                if marks.current is not None and span == marks.current:
                    tag_style = tag_style + CURRENT
                tag_style = tag_style + Style.from_meta({"at": span.start})
                text_parts.append(tag)
                style_spans.append(StyleSpan(at, at + len(tag), tag_style))
                at += len(tag)
        return Content("".join(text_parts), style_spans, strip_control_codes=False)


def _word_edges(shown: str, start: int, end: int) -> list[int]:
    """Positions where a run of spaces starts or ends, so each word gets its own piece
    (and its own click target)."""
    edges = []
    previous_space = None
    for index in range(start, end):
        is_space = shown[index] == " "
        if previous_space is not None and is_space != previous_space:
            edges.append(index)
        previous_space = is_space
    return edges
