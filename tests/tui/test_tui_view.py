"""The article view: chunks of long lines, where characters are drawn, up/down by visual
row, the view following the cursor and the current span, and the bars at 80 columns.
Run on the real app (Textual's pilot) over a real SQLite database."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from annotator.domain.spans import Span
from annotator.services.schemes import find_scheme
from annotator.store.engine import open_store
from annotator.tui.render import SpanIndex
from annotator.tui.widgets.article import CHUNK, LONG, ArticleView, Paragraph, chunk_ranges
from annotator.tui.widgets.bars import KeysBar, Legend, lay_out
from tests.tui.conftest import add_article, running

WORDS = "the forces village shelling province rebels regime ceasefire convoy said".split()


def article(paragraphs: int, words: int, seed: int = 0) -> tuple[str, list[Span]]:
    """Paragraphs of ``words`` words, with a span on every seventh word."""
    rng = random.Random(seed)
    lines, spans, position = [], [], 0
    for _ in range(paragraphs):
        line = []
        for i in range(words):
            word = rng.choice(WORDS)
            if i % 7 == 3:
                spans.append(Span(position, position + len(word), "LOCATION"))
            line.append(word)
            position += len(word) + 1
        lines.append(" ".join(line))
    return "\n".join(lines), spans


def database(tmp_path: Path, text: str, spans: list[Span]) -> Path:
    db = tmp_path / "view.db"
    store = open_store(db)
    add_article(store, text, "A long one", spans)
    store.dispose()
    return db


def visible_rows(view: ArticleView) -> range:
    top = round(view.scroll_y)
    return range(top, top + view.scrollable_content_region.height)


def drawn_rows(view: ArticleView) -> list[str]:
    """The article as Textual wraps each chunk's Content (Content.wrap at its width)."""
    rows: list[str] = []
    for paragraph in view.query(Paragraph):
        rows.extend(line.plain for line in paragraph.visual.wrap(paragraph.size.width))
    return rows


def test_span_index_finds_exactly_the_spans_touching_a_range():
    rng = random.Random(7)
    spans = []
    for _ in range(400):
        start = rng.randrange(0, 5000)
        spans.append(Span(start, start + rng.randrange(1, 60), rng.choice(["A", "B"])))
    index = SpanIndex(spans)
    for _ in range(300):
        start = rng.randrange(0, 5100)
        end = start + rng.randrange(1, 300)
        expected = sorted(
            (s for s in spans if s.start < end and start < s.end), key=lambda s: (s.start, s.end)
        )
        assert sorted(index.touching(start, end), key=lambda s: (s.start, s.end)) == expected


def test_long_lines_are_cut_into_chunks_at_spaces_and_short_lines_stay_whole():
    text, spans = article(1, 3000)
    short = "a short line\n" + "word " * 300
    ranges = chunk_ranges(text, SpanIndex(spans))
    assert len(text) > LONG and len(ranges) > len(text) // CHUNK
    assert ranges[0][0] == 0 and ranges[-1][1] == len(text)
    for (a, b), (c, _) in zip(ranges, ranges[1:], strict=False):
        assert b == c and 0 < b - a <= CHUNK and text[b - 1] == " "
        assert not any(s.start < b < s.end for s in spans)  # never inside a span
    assert chunk_ranges(short) == [(0, 12), (13, len(short))]


async def test_where_and_row_agree_with_the_rows_textual_draws(tmp_path):
    text, spans = article(3, 60)
    async with running(database(tmp_path, text, spans), size=(60, 30)) as (pilot, screen):
        view = screen.article_view
        rows = drawn_rows(view)
        assert view.rows == len(rows)
        for start, end in screen.editor.tokens[::9]:
            row, column = view.where(start)
            word = text[start:end]
            assert rows[row][column : column + len(word)] == word
            assert view.row(row, column).under == start


async def test_down_and_up_visit_every_visual_row_across_paragraphs(tmp_path):
    text, spans = article(3, 40)  # each paragraph wraps over several rows at 50 columns
    async with running(database(tmp_path, text, spans), size=(50, 40)) as (pilot, screen):
        view = screen.article_view
        seen = [view.where(screen.editor.cursor_chars()[0])[0]]
        for _ in range(view.rows + 2):
            await pilot.press("j")
            seen.append(view.where(screen.editor.cursor_chars()[0])[0])
        assert seen[: view.rows] == list(range(view.rows))  # one row at a time, none skipped
        assert seen[-1] == view.rows - 1  # and it stays on the last row
        for _ in range(view.rows - 1):
            await pilot.press("up")
        assert view.where(screen.editor.cursor_chars()[0])[0] == 0  # back into paragraph 1


async def test_down_keeps_the_column_it_started_from(tmp_path):
    text = "alpha beta gamma delta epsilon\nshort\nalpha beta gamma delta epsilon"
    async with running(database(tmp_path, text, []), size=(80, 24)) as (pilot, screen):
        await pilot.press("right", "right", "right", "right")  # "epsilon"
        await pilot.press("down")
        assert screen.editor.text.__getitem__(slice(*screen.editor.cursor_chars())) == "short"
        await pilot.press("down")
        start, end = screen.editor.cursor_chars()
        assert (start, end) == (text.rindex("epsilon"), len(text))


async def test_end_home_and_tab_keep_the_cursor_and_current_span_in_view_at_80x24(tmp_path):
    text, spans = article(12, 80)
    async with running(database(tmp_path, text, spans), size=(80, 24)) as (pilot, screen):
        view = screen.article_view
        await pilot.press("end")
        assert screen.editor.cursor == len(screen.editor.tokens) - 1
        assert view.where(screen.editor.cursor_chars()[0])[0] in visible_rows(view)
        await pilot.press("home")
        assert screen.editor.cursor == 0 and round(view.scroll_y) == 0
        for _ in range(len(spans) + 1):
            await pilot.press("tab")
            current = screen.editor.current
            shown = visible_rows(view)
            assert view.where(current.start)[0] in shown
            assert view._end_row(current.end) in shown  # its tag too


async def test_tab_scrolls_a_third_of_a_view_ahead_and_not_a_row_a_key(tmp_path):
    text, spans = article(12, 80)
    async with running(database(tmp_path, text, spans), size=(80, 24)) as (pilot, screen):
        view = screen.article_view
        height = view.scrollable_content_region.height
        ahead = height // 3
        scrolls, left_view = 0, 0
        for _ in range(len(spans) - 1):
            before = round(view.scroll_y)
            await pilot.press("tab")
            current = screen.editor.current
            top = round(view.scroll_y)
            last = view._end_row(current.end)
            if last >= before + height:
                left_view += 1
            if top != before:
                scrolls += 1
                assert top > before  # Tab goes forward through the article
                # A third of the view shows what comes after the span, unless the
                # article ends first.
                assert last == top + height - 1 - ahead or top == round(view.max_scroll_y)
            assert view.where(current.start)[0] >= top and last < top + height
        rows = view.rows
        assert scrolls == left_view  # it scrolls only when the span would be out of view
        assert 2 <= scrolls <= rows // ahead + 1  # about once a screenful, not once a row


async def test_a_key_repaints_only_the_chunks_it_touches(tmp_path):
    text, spans = article(1, 6000)  # one line of ~40,000 characters
    async with running(database(tmp_path, text, spans), size=(100, 30)) as (pilot, screen):
        chunks = list(screen.query(Paragraph))
        assert len(chunks) > 40
        before = [c.painted for c in chunks]
        await pilot.press("tab", "tab")
        changed = [i for i, c in enumerate(chunks) if c.painted is not before[i]]
        assert 1 <= len(changed) <= 2
        joined = "".join(c.painted.content.plain for c in chunks)
        assert joined.replace("·LOCATION?", "") == text  # every character, in order
        await pilot.press("2")  # relabel: the tag changes in one chunk only
        assert sum(c.painted is not before[i] for i, c in enumerate(chunks)) <= 2
        assert "·ARMED_GROUP" in "".join(c.painted.content.plain for c in chunks)


@pytest.mark.parametrize("width", [60, 80, 100, 120, 160])
def test_legend_never_parts_a_key_from_its_label(width):
    legend = Legend(find_scheme("conflict"))
    lines = lay_out(legend.chips, width).plain.split("\n")
    for chip in legend.chips:
        assert any(chip.plain in line for line in lines), chip.plain
    assert all(len(line) <= width for line in lines)


@pytest.mark.parametrize("width", [50, 60, 80, 100, 120])
def test_keys_bar_always_shows_undo_help_and_quit(width):
    for keys in (
        [("tab", "next span"), ("1-9", "label"), ("space", "confirm"), ("del", "delete")]
        + [("a", "done"), ("s", "skip"), ("f", "flag"), ("u", "undo"), ("?", "help")]
        + [("q", "quit")],
    ):
        line = KeysBar(keys).fit(width)
        assert line.cell_length <= width
        for word in ("undo", "help", "quit"):
            assert word in line.plain
    if width >= 120:
        assert "skip" in line.plain and "flag" in line.plain  # nothing dropped when it fits


async def test_cuts_in_a_long_line_do_not_show_at_any_width(tmp_path):
    """The chunks of a long line wrap into exactly the rows of the uncut line."""
    text, spans = article(1, 2500)
    async with running(database(tmp_path, text, spans), size=(100, 30)) as (pilot, screen):
        view = screen.article_view
        for size in [(100, 30), (80, 24), (61, 24)]:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.3)
            await pilot.pause()
            width = view.scrollable_content_region.width
            assert len(view.query(Paragraph)) > 5
            whole = view.painter.paint(text, 0, len(text), spans_of(screen), view.marks)
            expected = [line.plain.rstrip() for line in whole.content.wrap(width)]
            assert [row.rstrip() for row in drawn_rows(view)] == expected


def spans_of(screen) -> list[Span]:
    return list(screen.editor.spans)


async def test_confirming_a_suggestion_redraws_its_tag(project):
    """Spans compare equal whatever their origin: the view must still see the change."""
    from tests.tui.conftest import screen_text

    async with running(project) as (pilot, screen):
        assert "Assad·PERSON?" in screen_text(screen)
        await pilot.press("space")
        assert "Assad·PERSON " in screen_text(screen)
        await pilot.press("u")
        assert "Assad·PERSON?" in screen_text(screen)


async def test_chunks_drawn_row_by_row_are_the_strips_textual_draws(tmp_path):
    """A chunk is drawn a row at a time, rows kept from the last draw (_Rows), and a key
    repaints only the rows it changed (Paragraph._restyle, _redraw_from_change). What
    the compositor gets from each chunk must be what Textual draws for the chunk's
    Content from scratch, at every width, after keys that restyle a word, change a
    tag, delete a span, add one and undo."""
    from textual.content import Content
    from textual.geometry import Region
    from textual.strip import Strip
    from textual.visual import Visual

    from annotator.tui.widgets.article import _Rows

    text, spans = article(4, 70)
    text = text.replace("village", "村 village", 3)  # wide characters fold differently
    async with running(database(tmp_path, text, spans), size=(100, 30)) as (pilot, screen):
        view = screen.article_view

        def compare() -> int:
            checked = 0
            for paragraph in view.query(Paragraph):
                content = paragraph.visual
                assert isinstance(content, Content) and paragraph.size.width > 0
                assert content is paragraph.painted.content
                width, height = paragraph.size
                style = paragraph.visual_style
                theirs = Visual.to_strips(paragraph, content, width, None, style)
                # what the compositor takes: the rows kept since the last draw, the
                # ones a key marked redrawn, through Textual's line cache
                drawn = paragraph.render_lines(Region(0, 0, width, height))
                base, background = paragraph.background_colors
                inner = paragraph._styles_cache.get_inner_outer(base, background)[0]
                fresh = [
                    Strip(s.adjust_cell_length(width, inner.rich_style), width) for s in theirs
                ]
                assert drawn == fresh
                ours = Visual.to_strips(paragraph, _Rows(paragraph, content), width, None, style)
                assert ours == theirs
                again = Visual.to_strips(paragraph, _Rows(paragraph, content), width, None, style)
                assert again == theirs  # rows taken from the kept strips
                assert len(paragraph._rows) == len(ours)  # drawn row by row, not by Content
                checked += len(ours)
            return checked

        for size in [(100, 30), (61, 24)]:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.3)
            assert compare() > 10
            # space (confirm), 5 and 9 leave a tag as long as it was, mid-row: the rows
            # before and after it keep their breaks
            keys = ["tab", "tab", "space", "5", "tab", "2", "tab", "delete", "tab", "9"]
            keys += ["right", "shift+right", "4", "u", "u", "tab", "space"]
            for key in keys:
                await pilot.press(key)
                assert compare() > 10
        assert _Rows.usable  # this Textual's row renderer was used, never refused
        # and what is on screen is what those strips say
        rows = drawn_rows(view)
        top = round(view.scroll_y)
        shown = screen.app.screen._compositor.render_strips()
        region = view.content_region
        for y in range(min(5, region.height)):
            line = "".join(seg.text for seg in shown[region.y + y]._segments)
            assert line[region.x : region.x + len(rows[top + y].rstrip())] == rows[top + y].rstrip()
