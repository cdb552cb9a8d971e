"""Paint a stretch of an article as Textual Content: spans, cursor, selection, tags.

Article text arrives already passed through ``domain.text.visible`` and is never parsed
as markup: it goes into ``Content`` as plain text, styled by character ranges.

The view paints an article in chunks (a line, or a few thousand characters of a long
line); ``SpanIndex`` finds the spans of one chunk by bisection, so that painting a chunk
costs what the chunk holds, not what the whole article holds.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

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
# A jump hint, drawn over the first letters of its word (same length: nothing moves).
HINT = Style(
    background=Color.parse("#ffd700"), foreground=BLACK, bold=True, reverse=False, underline=False
)


@dataclass(frozen=True, slots=True)
class Marks:
    """What is highlighted besides spans: the cursor token, the selection, the current span."""

    cursor: tuple[int, int] | None = None
    selection: tuple[int, int] | None = None
    current: Span | None = None
    # Jump hints: (article offset of a word, the label drawn over its first letters).
    hints: tuple[tuple[int, str], ...] = ()

    def ranges(self) -> list[tuple[int, int]]:
        """Character ranges these marks touch (to know which chunks to repaint)."""
        found = [r for r in (self.cursor, self.selection) if r is not None]
        found.extend((at, at + len(label)) for at, label in self.hints)
        if self.current is not None:
            found.append((self.current.start, self.current.end))
        return found


class SpanIndex:
    """Spans sorted by start, searchable by character range in O(log n + found)."""

    def __init__(self, spans: Sequence[Span]):
        starts = [s.start for s in spans]
        if starts != sorted(starts):
            spans = sorted(spans, key=lambda s: (s.start, s.end))
            starts = [s.start for s in spans]
        self.spans = spans
        self._starts = starts
        self._longest = max((s.end - s.start for s in spans), default=0)

    def touching(self, start: int, end: int) -> list[Span]:
        """Spans sharing at least one character with [start, end), in order of start."""
        low = bisect.bisect_left(self._starts, start - self._longest + 1)
        high = bisect.bisect_left(self._starts, end)
        return [s for s in self.spans[low:high] if s.end > start]


class Painter:
    """Styles per label, built once per scheme, and the chunk painter."""

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

    def paint(self, shown: str, start: int, end: int, inside: list[Span], marks: Marks) -> Painted:
        """Content for characters [start, end) of ``shown``, with ``inside`` (the spans
        touching that stretch, in order of start) and ``marks``.

        Plain stretches stay one piece each: a piece per word (for click targets) made
        every key cost several milliseconds more to draw. Clicks and cursor moves are
        mapped through ``Painted`` instead. The pieces are visited left to right with the
        spans that cover them kept in a small active list, so the cost is linear in the
        pieces and spans of the chunk."""
        cuts = {start, end}
        for span in inside:
            cuts.add(max(start, span.start))
            cuts.add(min(end, span.end))
        for mark in (marks.cursor, marks.selection):
            if mark is not None:
                cuts.update(p for p in mark if start < p < end)
        hinted: dict[int, str] = {}  # article offset -> the hint letter drawn there
        for at, label in marks.hints:
            if start <= at and at + len(label) <= end:
                hinted.update((at + i, letter) for i, letter in enumerate(label))
                cuts.update((at, at + len(label)))
        points = sorted(cuts)

        text_parts: list[str] = []
        style_spans: list[StyleSpan] = []
        tags: list[tuple[int, int, int, int]] = []
        at = 0
        ends_here: dict[int, list[Span]] = {}
        if self.show_tags:
            for span in inside:
                if span.end <= end:
                    ends_here.setdefault(span.end, []).append(span)
        current = marks.current
        selection, cursor = marks.selection, marks.cursor
        active: list[Span] = []
        waiting = 0  # index into ``inside`` of the next span not yet active

        for a, b in zip(points, points[1:], strict=False):
            while waiting < len(inside) and inside[waiting].start <= a:
                active.append(inside[waiting])
                waiting += 1
            if active:
                active = [s for s in active if s.end > a]
            piece = shown[a:b]
            style: Style | None = None
            if active:
                span = min(active, key=lambda s: s.end - s.start)
                style = self.span_style(span)
                if current is not None and span == current:
                    style = style + CURRENT
            if selection is not None and selection[0] <= a and b <= selection[1]:
                style = SELECTION if style is None else style + SELECTION
            if cursor is not None and cursor[0] <= a and b <= cursor[1]:
                style = CURSOR if style is None else style + CURSOR
            if hinted and a in hinted:
                # The hint's letters in place of the word's first ones (plain text; the
                # cuts above keep a piece wholly inside or outside a hint).
                piece = "".join(hinted[i] for i in range(a, b))
                style = HINT if style is None else style + HINT
            text_parts.append(piece)
            if style is not None:
                style_spans.append(StyleSpan(at, at + len(piece), style))
            at += len(piece)
            for span in ends_here.get(b, ()):
                tag = self.tag(span)
                tag_style = self.span_style(span) + Style(
                    bold=True, italic=span.origin is Origin.SUGGESTED
                )
                if current is not None and span == current:
                    tag_style = tag_style + CURRENT
                text_parts.append(tag)
                style_spans.append(StyleSpan(at, at + len(tag), tag_style))
                tags.append((at, len(tag), b, span.start))
                at += len(tag)
        content = Content("".join(text_parts), style_spans, strip_control_codes=False)
        return Painted(content, start, end, tuple(tags))


@dataclass(frozen=True, slots=True)
class Painted:
    """A painted chunk: its Content, the article characters [start, end) it shows, and
    its tags as (index in the content, length, article offset it follows, span start),
    in order."""

    content: Content
    start: int
    end: int
    tags: tuple[tuple[int, int, int, int], ...] = ()
    _at: tuple[int, ...] = field(default=(), repr=False, compare=False)
    _after: tuple[int, ...] = field(default=(), repr=False, compare=False)
    _added: tuple[int, ...] = field(default=(0,), repr=False, compare=False)

    def __post_init__(self) -> None:
        # Lookups by bisection: where each tag is, what it follows, the tag cells before it.
        added = [0]
        for _at, length, _after, _span in self.tags:
            added.append(added[-1] + length)
        object.__setattr__(self, "_at", tuple(t[0] for t in self.tags))
        object.__setattr__(self, "_after", tuple(t[2] for t in self.tags))
        object.__setattr__(self, "_added", tuple(added))

    def _tag_at(self, index: int) -> int:
        """How many tags start at or before content ``index``."""
        return bisect.bisect_right(self._at, index)

    def offset_of(self, index: int) -> int:
        """The article offset shown at ``index`` of the content (a tag shows its span's
        start: a click on a tag means its span)."""
        before = self._tag_at(index)
        if before and index < self._at[before - 1] + self.tags[before - 1][1]:
            return self.tags[before - 1][3]
        return min(self.start + index - self._added[before], max(self.start, self.end - 1))

    def is_text(self, index: int) -> bool:
        """True when ``index`` of the content is article text, not a tag."""
        before = self._tag_at(index)
        return not (before and index < self._at[before - 1] + self.tags[before - 1][1])

    def index_of(self, offset: int) -> int:
        """Where article character ``offset`` (inside this chunk) is in the content:
        after every tag that follows a character before it."""
        return offset - self.start + self._added[bisect.bisect_right(self._after, offset)]

    def breaks(self, width: int) -> list[int]:
        """Indexes of the content where each visual line starts when wrapped at
        ``width``: the line breaks Textual draws (rich's divide_line with folding, as
        Content does; a test pins the agreement)."""
        plain = self.content.plain
        if not plain or width <= 0:
            return [0]
        return [0, *divide_line(plain, width, fold=True)]

    @staticmethod
    def column_index(plain: str, line_start: int, line_stop: int, column: int) -> int:
        """The index of the character under cell ``column`` of the line
        plain[line_start:line_stop] (its last character past its end)."""
        cells = 0
        index = line_start
        while index < line_stop:
            cells += cell_len(plain[index])
            if cells > column:
                return index
            index += 1
        return max(line_start, line_stop - 1)

    def offset_at(self, column: int, row: int, width: int) -> int | None:
        """The article offset under cell (column, row) of the chunk wrapped at
        ``width``, or None past its end."""
        plain = self.content.plain
        if not plain or width <= 0:
            return None
        starts = self.breaks(width)
        if row < 0 or row >= len(starts):
            return None
        stop = starts[row + 1] if row + 1 < len(starts) else len(plain)
        return self.offset_of(self.column_index(plain, starts[row], stop, column))
