"""Paint one paragraph of an article as Textual Content: spans, cursor, selection, tags.

Article text arrives already passed through ``domain.text.visible`` and is never parsed
as markup: it goes into ``Content`` as plain text, styled by character ranges.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich._wrap import divide_line  # how Textual wraps Content (rich's own helper)
from rich.cells import cell_len
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
    ) -> Painted:
        """Content for characters [start, end) of ``shown`` with ``spans`` (those that
        touch the paragraph) and ``marks``, and where each of its characters comes from.

        Plain stretches stay one piece each: a piece per word (for click targets) made
        every key cost several milliseconds more to draw. Clicks are mapped back through
        ``Painted.positions`` instead."""
        cuts = {start, end}
        inside = [s for s in spans if s.start < end and start < s.end]
        for span in inside:
            cuts.add(max(start, span.start))
            cuts.add(min(end, span.end))
        for mark in (marks.cursor, marks.selection):
            if mark is not None:
                cuts.update(p for p in mark if start < p < end)
        points = sorted(cuts)

        text_parts: list[str] = []
        style_spans: list[StyleSpan] = []
        positions: list[int] = []
        at = 0
        ends_here: dict[int, list[Span]] = {}
        if self.show_tags:
            for span in inside:
                if span.end <= end:
                    ends_here.setdefault(span.end, []).append(span)

        for a, b in zip(points, points[1:], strict=False):
            piece = shown[a:b]
            style: Style | None = None
            covering = [s for s in inside if s.start <= a and b <= s.end]
            if covering:
                span = min(covering, key=lambda s: s.end - s.start)
                style = self.span_style(span)
                if marks.current is not None and span == marks.current:
                    style = style + CURRENT
            if marks.selection is not None and marks.selection[0] <= a and b <= marks.selection[1]:
                style = SELECTION if style is None else style + SELECTION
            if marks.cursor is not None and marks.cursor[0] <= a and b <= marks.cursor[1]:
                style = CURSOR if style is None else style + CURSOR
            text_parts.append(piece)
            if style is not None:
                style_spans.append(StyleSpan(at, at + len(piece), style))
            positions.extend(range(a, b))
            at += len(piece)
            for span in ends_here.get(b, ()):
                tag = self.tag(span)
                tag_style = self.span_style(span) + Style(
                    bold=True, italic=span.origin is Origin.SUGGESTED
                )
                if marks.current is not None and span == marks.current:
                    tag_style = tag_style + CURRENT
                text_parts.append(tag)
                style_spans.append(StyleSpan(at, at + len(tag), tag_style))
                positions.extend([span.start] * len(tag))  # a click on a tag means its span
                at += len(tag)
        content = Content("".join(text_parts), style_spans, strip_control_codes=False)
        return Painted(content, positions)


@dataclass(frozen=True, slots=True)
class Painted:
    """A painted paragraph: its Content, and for each character of it the article offset
    it shows (tags point at their span's start)."""

    content: Content
    positions: list[int]

    def offset_at(self, column: int, row: int, width: int) -> int | None:
        """The article offset under cell (column, row) of the paragraph wrapped at
        ``width``, or None past its end. The line breaks are computed the way Textual
        draws Content (rich's divide_line; a test pins the agreement)."""
        plain = self.content.plain
        if not plain or width <= 0:
            return None
        starts = [0, *divide_line(plain, width, fold=True)]
        if row < 0 or row >= len(starts):
            return None
        index = starts[row]
        stop = starts[row + 1] if row + 1 < len(starts) else len(plain)
        cells = 0
        while index < stop:
            cells += cell_len(plain[index])
            if cells > column:
                break
            index += 1
        if index >= stop:
            index = stop - 1 if stop > starts[row] else starts[row]
        return self.positions[min(index, len(self.positions) - 1)]
