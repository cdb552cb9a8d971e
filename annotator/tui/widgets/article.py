"""The article view: one Static per paragraph, so a key repaints only what it changed."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from textual import events
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.message import Message
from textual.widgets import Static

from annotator.domain.spans import Span
from annotator.tui.render import Marks, Painted, Painter


class Paragraph(Static):
    """One line of the article (characters [start, end))."""

    DEFAULT_CSS = """
    Paragraph { height: auto; }
    """

    def __init__(self, start: int, end: int):
        super().__init__("", markup=False)
        self.start = start
        self.end = end
        self._painted: Painted | None = None

    def paint(self, painted: Painted) -> None:
        """Show a newly painted paragraph; skip the layout pass when only styles changed
        (same text, same tags), which is what most keys do: a cursor move, a selection."""
        same_text = (
            self._painted is not None and painted.content.plain == self._painted.content.plain
        )
        self._painted = painted
        self.update(painted.content, layout=not same_text)

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


class ArticleView(VerticalScroll):
    """Shows an article's text with its spans; posts clicks and drags as char offsets."""

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
        """The mouse button went down over the character at ``offset`` (from a paragraph)."""

        offset: int

    @dataclass
    class Released(Message):
        """The mouse button came up over the character at ``offset`` (from a paragraph)."""

        offset: int

    def __init__(self, painter: Painter, **kwargs):
        super().__init__(**kwargs)
        self.painter = painter
        self.shown = ""
        self.spans: list[Span] = []
        self.marks = Marks()
        self._paragraphs: list[Paragraph] = []
        self._starts: list[int] = []
        self._press: int | None = None

    def _layout(self, shown: str) -> list[tuple[int, int]]:
        ranges, position = [], 0
        for line in shown.split("\n"):
            ranges.append((position, position + len(line)))
            position += len(line) + 1
        return ranges

    def preset(self, shown: str, spans: list[Span], marks: Marks) -> None:
        """Give the view its first article before it is mounted (so the very first frame
        shows it)."""
        self.shown, self.spans, self.marks = shown, spans, marks
        self._paragraphs = [Paragraph(start, end) for start, end in self._layout(shown)]
        self._starts = [p.start for p in self._paragraphs]
        for paragraph in self._paragraphs:
            paragraph.paint(self._paint(paragraph))

    def compose(self):
        yield from self._paragraphs

    async def show(self, shown: str, spans: list[Span], marks: Marks) -> None:
        """Replace the article (``shown`` is its display-safe text). Paragraph widgets are
        reused, and only the difference in their number is mounted or removed: mounting
        is the slow part of opening an article."""
        self.shown, self.spans, self.marks = shown, spans, marks
        ranges = self._layout(shown)
        keep = self._paragraphs[: len(ranges)]
        surplus = self._paragraphs[len(ranges) :]
        for paragraph, (start, end) in zip(keep, ranges, strict=False):
            paragraph.start, paragraph.end = start, end
            paragraph.paint(self._paint(paragraph))
        fresh = [Paragraph(start, end) for start, end in ranges[len(keep) :]]
        for paragraph in fresh:
            paragraph.paint(self._paint(paragraph))
        self._paragraphs = keep + fresh
        self._starts = [p.start for p in self._paragraphs]
        if surplus:
            await self.remove_children(surplus)
        if fresh:
            await self.mount_all(fresh)
        self.scroll_home(animate=False)

    def _paint(self, paragraph: Paragraph):
        return self.painter.paragraph(
            self.shown, paragraph.start, paragraph.end, self.spans, self.marks
        )

    def update_marks(self, spans: list[Span], marks: Marks, dirty: list[tuple[int, int]]) -> None:
        """New spans and marks; repaint only the paragraphs that ``dirty`` ranges touch
        (plus those the old and new marks touch)."""
        ranges = dirty + self.marks.ranges() + marks.ranges()
        self.spans = spans
        self.marks = marks
        for index in self._paragraphs_touching(ranges):
            paragraph = self._paragraphs[index]
            paragraph.paint(self._paint(paragraph))

    def repaint_all(self) -> None:
        """Repaint every paragraph (after a change of tokens or tag display)."""
        for paragraph in self._paragraphs:
            paragraph.paint(self._paint(paragraph))

    def _paragraphs_touching(self, ranges: list[tuple[int, int]]) -> set[int]:
        touched: set[int] = set()
        for start, end in ranges:
            first = max(0, bisect.bisect_right(self._starts, start) - 1)
            last = max(0, bisect.bisect_right(self._starts, max(start, end - 1)) - 1)
            touched.update(range(first, last + 1))
        return {i for i in touched if i < len(self._paragraphs)}

    def scroll_to_offset(self, offset: int) -> None:
        """Scroll so that the line holding character ``offset`` is visible."""
        if not self._paragraphs:
            return
        index = max(0, bisect.bisect_right(self._starts, offset) - 1)
        paragraph = self._paragraphs[index]
        width = max(1, paragraph.content_region.width or self.size.width or 80)
        line = (offset - paragraph.start) // width
        region = paragraph.virtual_region
        self.scroll_to_region(
            Region(0, region.y + line, region.width, 1), animate=False, immediate=True
        )

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
