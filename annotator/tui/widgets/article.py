"""The article view: the text in chunks (a line, or a few thousand characters of a long
line), one Static each, so that a key repaints and re-wraps only the chunks it touched.

The view also answers where things are on screen, from the same line breaks Textual
draws: which character is at visual row r, column c, and where character o is. Up/down
moves and the scrolling that follows the cursor use those answers.
"""

from __future__ import annotations

import bisect
import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from textual import events
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.content import Span as StyleSpan
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import Reactive
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widget import Widget
from textual.widgets import Static

from annotator.domain.spans import Span
from annotator.tui.render import Marks, Painted, Painter, SpanIndex
from annotator.tui.widgets.kept import KeptLines

CHUNK = 800
"""Lines longer than LONG characters are cut into chunks of about this many characters:
a key then costs the wrapping and drawing of about this many, however long the line.
Once the width is known the cuts fall where the whole line's rows start (see
ArticleView._chunking), so they do not show; lines of ordinary length stay whole."""

LONG = 2000


# Textual's Widget.virtual_size asks for a layout pass (and a repaint) when it changes,
# and a layout pass is what changes it: a chunk or the view whose size a layout changed
# would cost a second layout pass and a second paint of the frame (every new article).
# The chunks and the view set it only from the layout that placed them, which has laid
# out and painted them already; a change of scrollbar asks for its own pass.
def _virtual_size() -> Reactive[Size]:
    return Reactive(Size(0, 0), layout=False, repaint=False)


def chunk_ranges(
    shown: str, spans: SpanIndex | None = None, limit: int = CHUNK, long: int = LONG
) -> list[tuple[int, int]]:
    """The character ranges [start, end) of the chunks of ``shown``: each line, with
    lines longer than ``long`` cut into stretches of at most ``limit``, each cut after a
    space in the second half of its stretch, outside any span when one such space
    exists (else after any space, else at ``limit``)."""
    ranges: list[tuple[int, int]] = []
    position = 0
    for line in shown.split("\n"):
        start, stop = position, position + len(line)
        while stop - start > (limit if len(line) > long else len(line)):
            cut = _cut(shown, start, start + limit, spans)
            ranges.append((start, cut))
            start = cut
        ranges.append((start, stop))
        position = stop + 1
    return ranges


def _cut(shown: str, start: int, stop: int, spans: SpanIndex | None) -> int:
    low = start + (stop - start) // 2
    first_space = None
    at = shown.rfind(" ", low, stop)
    while at >= 0:
        if first_space is None:
            first_space = at + 1
        if spans is None or not spans.touching(at, at + 2):
            return at + 1
        at = shown.rfind(" ", low, at)
    return first_space if first_space is not None else stop


# Textual's own row renderer (private: a test checks the rows against Content's own
# drawing); under a Textual without it, chunks are drawn by Content itself.
_FormattedLine: Any = getattr(importlib.import_module("textual.content"), "_FormattedLine", None)


class _Rows(Visual):
    """A chunk's painted Content drawn as Textual draws a Content (wrapped at spaces,
    folded, left-aligned: a chunk's rules), one visual row at a time, from the chunk's
    own line breaks (Textual would wrap the chunk once more). The strip of each row is
    kept (Paragraph._rows) while the chunk's width and base style stay, until a paint
    changes that row: a key draws again the rows it changed, where Textual would draw
    every row of the chunk. The rows are made by Textual's own
    steps (Content slicing, rstrip, truncate and its _FormattedLine, which
    Content.render_strips uses: a test pins that the strips are the same); under other
    rules, or with Textual's mouse selection showing, Content draws the chunk itself."""

    usable = _FormattedLine is not None  # (False once Textual's renderer refused a call)

    def __init__(self, paragraph: Paragraph, content: Content):
        self._paragraph = paragraph
        self.content = content

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        content = self.content
        get_rule = options.rules.get
        plain = content.plain
        paragraph = self._paragraph
        if (
            not width
            or not _Rows.usable
            or options.selection is not None
            or options.post_style is not None
            or get_rule("text_align", "left") not in ("left", "start")
            or get_rule("text_overflow", "fold") != "fold"
            or get_rule("text_wrap", "wrap") != "wrap"
            or get_rule("line_pad", 0)
            or "\t" in plain
            or "\n" in plain
            or (painted := paragraph.painted) is None
            or painted.content.plain != plain
        ):
            return content.render_strips(width, height, style, options)
        starts = paragraph.breaks(width)
        drawn_for = (width, style, plain)
        if paragraph._rows_for != drawn_for:
            paragraph._rows = {}
            paragraph._rows_for = drawn_for
        kept = paragraph._rows
        strips: list[Strip] = []
        last = len(starts) - 1
        for index, x in enumerate(starts):
            strip = kept.get(index)
            if strip is None:
                if index == last:
                    row = content[x:] if x else content
                else:
                    row = content[x : starts[index + 1]].rstrip()
                row = row.truncate(width).rstrip_end(width)
                try:
                    line = _FormattedLine(
                        options.get_style, row, width, x, 0, line_end=index == last
                    )
                    strip = kept[index] = Strip(*line.to_strip(style))
                except TypeError:  # a Textual whose _FormattedLine differs: Content draws
                    _Rows.usable = False
                    return content.render_strips(width, height, style, options)
            strips.append(strip)
        return strips if height is None else strips[:height]

    def get_optimal_width(self, rules, container_width: int) -> int:
        return self.content.get_optimal_width(rules, container_width)

    def get_minimal_width(self, rules) -> int:
        return self.content.get_minimal_width(rules)

    def get_height(self, rules, width: int) -> int:
        return self.content.get_height(rules, width)


def _shared_start(a: Sequence, b: Sequence) -> int:
    """How many items ``a`` and ``b`` have in common at their start."""
    shortest = min(len(a), len(b))
    same = 0
    while same < shortest and a[same] == b[same]:
        same += 1
    return same


class Paragraph(KeptLines, Static):
    """One chunk of the article: characters [start, end)."""

    DEFAULT_CSS = """
    Paragraph { height: auto; margin: 0; padding: 0; }
    """

    virtual_size = _virtual_size()

    def __init__(self, start: int, end: int):
        super().__init__("", markup=False)
        # News text is never markup, so a chunk holds no links: Textual need not style
        # them on every draw.
        self.set_reactive(Widget.auto_links, False)
        self.start = start
        self.end = end
        self._painted: Painted | None = None
        self._breaks: tuple[int, list[int]] | None = None  # (width, line starts)
        self._stale = False  # a layout was asked for and has not happened yet
        self._rows: dict[int, Strip] = {}  # row -> its strip, as _Rows last drew it
        self._rows_for: tuple | None = None  # (width, base style, characters) of those

    @property
    def painted(self) -> Painted | None:
        return self._painted

    def breaks(self, width: int) -> list[int]:
        """Where each visual line starts in the painted content, wrapped at ``width``
        (kept until the next paint or a change of width)."""
        if self._painted is None:
            return [0]
        if self._breaks is None or self._breaks[0] != width:
            self._breaks = (width, self._painted.breaks(width))
        return self._breaks[1]

    def height_at(self, width: int) -> int:
        """How many rows the chunk takes at ``width``: from its own line breaks when it
        has them, else from Textual's last layout when that is current (no wrapping:
        opening an article would otherwise wrap it all twice), else by wrapping it."""
        if self._breaks is not None and self._breaks[0] == width:
            return len(self._breaks[1])
        size = self.size
        if not self._stale and size.width == width and size.height > 0:
            return size.height
        return len(self.breaks(width))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """The rows Textual lays the chunk out in: counted from its own line breaks (the
        rows Textual draws; the view needs them anyway), not by Textual wrapping the text
        once more."""
        if self._painted is None or width <= 0:
            return super().get_content_height(container, viewport, width)
        return len(self.breaks(width))

    def paint(self, painted: Painted, width: int = 0) -> bool:
        """Show a newly painted chunk. A layout pass is asked for only when its height
        at ``width`` (its current width; 0: not known, or not worth wrapping for, as
        when a new article is shown) changes: most keys change only styles, and a
        changed label tag rarely changes the number of lines. Returns True when the
        chunk's height (may have) changed."""
        old = self._painted
        self._painted = painted
        if old is not None and painted.content.plain == old.content.plain:
            if painted.content.spans != old.content.spans:
                self._restyle(old.content.spans, painted.content.spans)
            return False
        if old is not None and width > 0 and width == self.size.width:
            before = self._breaks[1] if self._breaks and self._breaks[0] == width else None
            height = self.height_at(width)
            self._breaks = (width, painted.breaks(width))
            grown = len(self._breaks[1]) != height
            if not grown and before is not None and self._redraw_from_change(old, before):
                return False
        else:
            self._breaks = None
            grown = True
        if grown and self.is_mounted:
            self._stale = True
            self.call_after_refresh(self._laid_out)
        self.update(painted.content, layout=grown)
        return grown

    def _restyle(self, old: Sequence[StyleSpan], new: Sequence[StyleSpan]) -> None:
        """Repaint the rows whose styles changed: those holding any span outside the
        spans the old and new content share at their start and at their end (a
        character covered by shared spans alone has the same styles, in the same
        order). The kept strips of those rows are dropped; the other rows stay."""
        width = self.size.width
        if (
            not self.is_mounted
            or width <= 0
            or self._rows_for is None
            or self._rows_for[0] != width
        ):
            self.refresh()
            return
        same_start = _shared_start(old, new)
        same_end = _shared_start(old[same_start:][::-1], new[same_start:][::-1])
        changed = [*old[same_start : len(old) - same_end], *new[same_start : len(new) - same_end]]
        if not changed:
            return
        low = min(span.start for span in changed)
        high = max(max(span.end for span in changed), low + 1)
        starts = self.breaks(width)
        first = max(0, bisect.bisect_right(starts, low) - 1)
        last = max(first, bisect.bisect_right(starts, high - 1) - 1)
        for row in range(first, last + 1):
            self._rows.pop(row, None)
        self.refresh(Region(0, first, width, last - first + 1))

    def _redraw_from_change(self, old: Painted, before: list[int]) -> bool:
        """After new characters that leave the chunk as many rows high: repaint the rows
        from the first one whose characters, spans or place may differ, and keep the
        strips of the rows before it (a row is kept when it starts and ends where it
        did and every character it shows comes before the first changed character or
        span). False when the rows were not drawn at this width: paint it all."""
        width = self.size.width
        drawn_for = self._rows_for
        if not self.is_mounted or drawn_for is None or drawn_for[0] != width:
            return False
        new = self.painted
        assert new is not None and self._breaks is not None
        after = self._breaks[1]
        old_plain, new_plain = old.content.plain, new.content.plain
        low = _shared_start(old_plain, new_plain)
        old_spans, new_spans = old.content.spans, new.content.spans
        same = _shared_start(old_spans, new_spans)
        for span in (*old_spans[same:], *new_spans[same:]):
            low = min(low, span.start)
        keep = 0
        while (
            keep + 1 < len(after)
            and before[keep] == after[keep]
            and before[keep + 1] == after[keep + 1]
            and after[keep + 1] <= low
        ):
            keep += 1
        self._rows = {row: strip for row, strip in self._rows.items() if row < keep}
        self._rows_for = (width, drawn_for[1], new_plain)
        self.refresh(Region(0, keep, width, len(after) - keep))
        return True

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False
    ):
        # A repaint of the whole chunk (new text, a theme, the mouse) draws every row anew.
        if repaint and not regions:
            self._rows_for = None
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _laid_out(self) -> None:
        self._stale = False

    @property
    def visual(self) -> Visual:
        """What the chunk shows: its painted content (a repaint of a few rows does not
        go through Static.update), else Static's."""
        if self._painted is not None:
            return self._painted.content
        return super().visual

    def render(self) -> Visual:
        visual = self.visual
        return _Rows(self, visual) if isinstance(visual, Content) else visual

    def offset_at(self, event: events.MouseEvent) -> int | None:
        """The article offset under the mouse, or None."""
        if self._painted is None:
            return None
        return self._painted.offset_at(event.x, event.y, self.content_region.width)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        offset = self.offset_at(event)
        if offset is not None:
            self.post_message(ArticleView.Pressed(offset))

    def on_mouse_up(self, event: events.MouseUp) -> None:
        offset = self.offset_at(event)
        if offset is not None:
            self.post_message(ArticleView.Released(offset))


@dataclass(frozen=True, slots=True)
class Row:
    """One visual row of the article: the article characters [first, last] it shows
    (tags left out; None when it shows none) and the one under the asked-for column."""

    first: int | None
    last: int | None
    under: int | None


class ArticleView(KeptLines, VerticalScroll, inherit_bindings=False):
    """Shows an article's text with its spans; posts clicks and drags as char offsets.

    Arrow keys, home and end are left to the screen (they move the token cursor, and
    the view follows it); page up and page down scroll."""

    BINDINGS = [
        Binding("pageup", "page_up", "page up", show=False),
        Binding("pagedown", "page_down", "page down", show=False),
    ]

    virtual_size = _virtual_size()

    @dataclass
    class Clicked(Message):
        """A click on the character at ``offset``."""

        offset: int

    @dataclass
    class Dragged(Message):
        """A mouse drag over characters [start, end)."""

        start: int
        end: int

    @dataclass
    class Pressed(Message):
        """The mouse button went down over the character at ``offset`` (from a chunk)."""

        offset: int

    @dataclass
    class Released(Message):
        """The mouse button came up over the character at ``offset`` (from a chunk)."""

        offset: int

    def __init__(self, painter: Painter, **kwargs):
        super().__init__(**kwargs)
        self.painter = painter
        self.shown = ""
        self._index = SpanIndex([])
        self.marks = Marks()
        self._paragraphs: list[Paragraph] = []
        self._starts: list[int] = []
        self._press: int | None = None
        self._tops: tuple[int, list[int]] | None = None  # (width, first row of each chunk)
        self._goal: tuple[int, int] | None = None  # (offset an up/down move left, its column)
        self._token_starts: tuple[Sequence[tuple[int, int]], list[int]] | None = None
        self._aligned_width = 0  # the width long lines were cut for (0: cut at spaces)

    # --- the spans (a list property for the screen, indexed for painting) ----------------

    @property
    def spans(self) -> list[Span]:
        return list(self._index.spans)

    @spans.setter
    def spans(self, spans: list[Span]) -> None:
        # Most keys leave the spans as they were: the same list (the editor makes a new
        # one for each change and never changes one in place), or else the same objects,
        # compared by identity (spans compare equal across origins, and a confirmed span
        # must be redrawn).
        if spans is self._index.spans:
            return
        if list(map(id, spans)) != list(map(id, self._index.spans)):
            self._index = SpanIndex(spans)

    # --- painting -------------------------------------------------------------------------

    def _width(self) -> int:
        """The width the chunks are wrapped at (0 before the first layout)."""
        return self.scrollable_content_region.width

    def _paint(self, paragraph: Paragraph, width: int | None = None) -> bool:
        painted = self.painter.paint(
            self.shown,
            paragraph.start,
            paragraph.end,
            self._index.touching(paragraph.start, max(paragraph.end, paragraph.start + 1)),
            self.marks,
        )
        grown = paragraph.paint(painted, self._width() if width is None else width)
        if grown:
            self._tops = None
        return grown

    def preset(self, shown: str, spans: list[Span], marks: Marks) -> None:
        """Give the view its first article before it is mounted (so the very first frame
        shows it)."""
        self.shown, self.marks = shown, marks
        self.spans = spans
        self._paragraphs = [Paragraph(s, e) for s, e in chunk_ranges(shown, self._index)]
        self._starts = [p.start for p in self._paragraphs]
        for paragraph in self._paragraphs:
            self._paint(paragraph)
        self._tops = None

    def compose(self):
        yield from self._paragraphs

    async def show(self, shown: str, spans: list[Span], marks: Marks) -> None:
        """Replace the article (``shown`` is its display-safe text). Each chunk is
        painted once; chunk widgets are reused, a chunk whose painting did not change is
        not touched, and only the difference in their number is mounted or removed
        (mounting is the slow part of opening an article)."""
        same_article = shown == self.shown
        self.shown, self.marks = shown, marks
        self.spans = spans
        ranges = self._chunking(shown)
        keep = self._paragraphs[: len(ranges)]
        surplus = self._paragraphs[len(ranges) :]
        for paragraph, (start, end) in zip(keep, ranges, strict=False):
            paragraph.start, paragraph.end = start, end
            self._paint(paragraph, 0 if not same_article else None)
        fresh = [Paragraph(start, end) for start, end in ranges[len(keep) :]]
        for paragraph in fresh:
            self._paint(paragraph, 0)
        self._paragraphs = keep + fresh
        self._starts = [p.start for p in self._paragraphs]
        self._tops = None
        self._goal = None
        if surplus:
            await self.remove_children(surplus)
        if fresh:
            await self.mount_all(fresh)
        if not same_article:
            self.scroll_home(animate=False, immediate=True)

    def _chunking(self, shown: str) -> list[tuple[int, int]]:
        """The chunks of ``shown``. Once the width is known, long lines are cut where
        their rows start when the whole line is wrapped at that width (greedy wrapping
        goes on from a row start the same way), so the cuts do not show: the rows are
        those of the uncut line. Before that (the very first frame), at spaces."""
        width = self._width()
        self._aligned_width = width
        if width <= 0:
            return chunk_ranges(shown, self._index)
        ranges: list[tuple[int, int]] = []
        position = 0
        for line in shown.split("\n"):
            start, stop = position, position + len(line)
            position = stop + 1
            if len(line) <= LONG:
                ranges.append((start, stop))
                continue
            whole = self.painter.paint(
                shown, start, stop, self._index.touching(start, stop), Marks()
            )
            plain = whole.content.plain
            for index in whole.breaks(width)[1:]:
                offset = whole.offset_of(index)
                if offset - start >= CHUNK and whole.is_text(index) and not plain[index].isspace():
                    ranges.append((start, offset))
                    start = offset
            ranges.append((start, stop))
        return ranges

    def on_resize(self, event: events.Resize) -> None:
        # Long lines were cut at the rows of another width: cut them again for this one.
        if self._has_long() and self._width() != self._aligned_width:
            self.call_after_refresh(self._rechunk)

    def _has_long(self) -> bool:
        return (
            any(len(line) > LONG for line in self.shown.split("\n"))
            if len(self.shown) > LONG
            else False
        )

    def _rechunk(self) -> None:
        if self._width() != self._aligned_width:
            self.run_worker(
                self.show(self.shown, self.spans, self.marks), group="rechunk", exclusive=True
            )

    def update_marks(self, spans: list[Span], marks: Marks, dirty: list[tuple[int, int]]) -> None:
        """New spans and marks; repaint only the chunks that ``dirty`` ranges touch
        (plus those the old and new marks touch)."""
        ranges = dirty + self.marks.ranges() + marks.ranges()
        self.spans = spans
        self.marks = marks
        for index in sorted(self._paragraphs_touching(ranges)):
            self._paint(self._paragraphs[index])

    def repaint_all(self) -> None:
        """Repaint every chunk (after a change of tokens or tag display)."""
        for paragraph in self._paragraphs:
            self._paint(paragraph)

    def _chunk_of(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self._starts, offset) - 1)

    def _paragraphs_touching(self, ranges: list[tuple[int, int]]) -> set[int]:
        touched: set[int] = set()
        for start, end in ranges:
            first = self._chunk_of(start)
            last = self._chunk_of(max(start, end - 1))
            touched.update(range(first, last + 1))
        # A span may end where the next chunk starts: its tag is drawn in the chunk
        # holding its last character, which the range above already includes.
        return {i for i in touched if i < len(self._paragraphs)}

    # --- where things are -------------------------------------------------------------------

    def _row_tops(self, width: int) -> list[int]:
        """The first visual row of each chunk (and the total), at ``width``."""
        if self._tops is None or self._tops[0] != width:
            tops, row = [], 0
            for paragraph in self._paragraphs:
                tops.append(row)
                row += paragraph.height_at(width)
            tops.append(row)
            self._tops = (width, tops)
        return self._tops[1]

    def _row_of_index(self, chunk: int, index: int, width: int) -> tuple[int, int]:
        """(visual row in the article, cell column) of content ``index`` of a chunk."""
        paragraph = self._paragraphs[chunk]
        breaks = paragraph.breaks(width)
        row = max(0, bisect.bisect_right(breaks, index) - 1)
        plain = paragraph.painted.content.plain if paragraph.painted else ""
        return self._row_tops(width)[chunk] + row, cell_len(plain[breaks[row] : index])

    def where(self, offset: int) -> tuple[int, int] | None:
        """(visual row in the article, cell column) where character ``offset`` is
        drawn, or None before the first layout or in an empty view."""
        width = self._width()
        if not self._paragraphs or width <= 0:
            return None
        chunk = self._chunk_of(offset)
        painted = self._paragraphs[chunk].painted
        if painted is None:
            return None
        offset = max(painted.start, min(offset, painted.end))
        return self._row_of_index(chunk, painted.index_of(offset), width)

    def _end_row(self, end: int) -> int | None:
        """The visual row of the last cell of a stretch ending at ``end`` (its tag
        included, when one is drawn there)."""
        width = self._width()
        if not self._paragraphs or width <= 0:
            return None
        chunk = self._chunk_of(max(0, end - 1))
        painted = self._paragraphs[chunk].painted
        if painted is None:
            return None
        index = painted.index_of(max(painted.start, min(end, painted.end)))
        return self._row_of_index(chunk, max(0, index - 1), width)[0]

    @property
    def rows(self) -> int:
        """How many visual rows the article takes (0 before the first layout)."""
        width = self._width()
        return self._row_tops(width)[-1] if width > 0 and self._paragraphs else 0

    def row(self, row: int, column: int) -> Row | None:
        """What visual row ``row`` shows, and the character under cell ``column`` of
        it (the row's last character when the column is past its end); None past the
        article's rows."""
        width = self._width()
        if not self._paragraphs or width <= 0:
            return None
        tops = self._row_tops(width)
        if row < 0 or row >= tops[-1]:
            return None
        chunk = bisect.bisect_right(tops, row) - 1
        paragraph = self._paragraphs[chunk]
        painted = paragraph.painted
        if painted is None:
            return Row(None, None, None)
        plain = painted.content.plain
        breaks = paragraph.breaks(width)
        line = row - tops[chunk]
        begin = breaks[line]
        stop = breaks[line + 1] if line + 1 < len(breaks) else len(plain)
        text = [i for i in range(begin, stop) if painted.is_text(i) and not plain[i].isspace()]
        if not text:
            return Row(None, None, None)
        under = Painted.column_index(plain, begin, stop, column)
        if not painted.is_text(under) or plain[under].isspace():
            under = min(text, key=lambda i: abs(i - under))
        return Row(
            painted.offset_of(text[0]), painted.offset_of(text[-1]), painted.offset_of(under)
        )

    def in_view(self) -> tuple[int, int] | None:
        """The article offsets of the first and last characters drawn in the rows the
        view shows now; None before a layout or in an empty view."""
        top = int(self.scroll_y)
        height = max(1, self.scrollable_content_region.height)
        first = last = None
        for row in range(top, top + height):
            shown = self.row(row, 0)
            if shown is None:
                break
            if shown.first is not None and first is None:
                first = shown.first
            if shown.last is not None:
                last = shown.last
        return None if first is None or last is None else (first, last)

    def line_target(
        self, offset: int, direction: int, tokens: Sequence[tuple[int, int]]
    ) -> int | None:
        """The start of the token an up (direction -1) or down (+1) move from the token
        starting at ``offset`` lands on: on the nearest visual row in that direction
        that has a token starting on it, the token under the goal column (the column
        the first of a run of up/down moves started from), else the nearest one left of
        it, else the row's first. None at the first or last row, or before a layout."""
        here = self.where(offset)
        if here is None or not tokens:
            return None
        row, column = here
        if self._goal is not None and self._goal[0] == offset:
            column = self._goal[1]
        starts = self._starts_of(tokens)
        target = row + direction
        while True:
            shown = self.row(target, column)
            if shown is None:
                return None
            if shown.first is not None and shown.last is not None and shown.under is not None:
                low = bisect.bisect_left(starts, shown.first)
                high = bisect.bisect_right(starts, shown.last)
                if low < high:
                    pick = bisect.bisect_right(starts, shown.under, low, high) - 1
                    found = starts[max(low, pick)]
                    self._goal = (found, column)
                    return found
            target += direction

    def _starts_of(self, tokens: Sequence[tuple[int, int]]) -> list[int]:
        if self._token_starts is None or self._token_starts[0] is not tokens:
            self._token_starts = (tokens, [t[0] for t in tokens])
        return self._token_starts[1]

    # --- following the cursor ---------------------------------------------------------------

    def follow(self, marks: Marks) -> None:
        """Scroll so that the cursor token is visible, and with it as much of the
        current span (its tag included) and of the selection as the view can hold.

        Nothing moves while they are in view. When they leave it, the view jumps so that
        a third of its rows show what lies beyond them (in the direction they left by),
        as a pager does: Tab through the spans of a long article then scrolls once a
        screenful, not a row a key (each scroll redraws the whole view, over SSH too)."""
        if marks.cursor is None:
            return
        cursor_top = self.where(marks.cursor[0])
        cursor_bottom = self._end_row(marks.cursor[1])
        if cursor_top is None or cursor_bottom is None:
            return
        top, bottom = cursor_top[0], cursor_bottom
        height = max(1, self.scrollable_content_region.height)
        wanted = [
            marks.selection,
            None if marks.current is None else (marks.current.start, marks.current.end),
        ]
        for start, end in (w for w in wanted if w is not None):
            first, last = self.where(start), self._end_row(end)
            if first is None or last is None:
                continue
            low, high = min(top, first[0]), max(bottom, last)
            if high - low + 1 <= height:
                top, bottom = low, high
        shown = round(self.scroll_y)
        if shown <= top and bottom < shown + height:
            return
        ahead = height // 3
        if bottom >= shown + height:  # below the view: the rows after it come into view
            goal = min(top, bottom - height + 1 + ahead)
        else:  # above it: the rows before it
            goal = max(bottom - height + 1, top - ahead)
        goal = max(0, min(goal, round(self.max_scroll_y)))
        self.scroll_to(y=goal, animate=False, immediate=True)

    def scroll_to_offset(self, offset: int) -> None:
        """Scroll so that the row holding character ``offset`` is visible."""
        here = self.where(offset)
        if here is not None:
            self.scroll_to_region(
                Region(0, here[0], self._width(), 1), animate=False, immediate=True
            )

    # --- the mouse --------------------------------------------------------------------------

    def on_article_view_pressed(self, message: Pressed) -> None:
        message.stop()
        self._press = message.offset

    def on_article_view_released(self, message: Released) -> None:
        message.stop()
        press, self._press = self._press, None
        if press is None:
            return
        if message.offset == press:
            self.post_message(self.Clicked(press))
        else:
            low, high = sorted((press, message.offset))
            self.post_message(self.Dragged(low, high + 1))
