"""What a key or a new article costs Textual: layout passes, paints, and the database
jobs held while a frame is painted. Run on the real app (Textual's pilot) over a real
SQLite database, or on the real database thread with a real session."""

from __future__ import annotations

import asyncio
import gc
import threading
from pathlib import Path

import pytest
from textual.app import App
from textual.content import Content
from textual.content import Span as StyleSpan
from textual.screen import Screen
from textual.style import Style

from annotator.domain.spans import Span
from annotator.services.annotating import AnnotationSession
from annotator.store.engine import open_store
from annotator.tui.dbthread import DatabaseThread
from annotator.tui.widgets.article import Paragraph
from annotator.tui.widgets.bars import InfoBar
from tests.tui.conftest import add_article, running, settle, stored

WORDS = "the forces village shelling province rebels regime ceasefire convoy said".split()


def paragraphs(lengths: list[int], seed: int) -> tuple[str, list[Span]]:
    """Lines of about ``lengths`` characters each, with a span on every fifth word."""
    import random

    rng = random.Random(seed)
    lines, spans, position = [], [], 0
    for length in lengths:
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < length:
            word = rng.choice(WORDS)
            if len(words) % 5 == 2:
                spans.append(Span(position, position + len(word), "LOCATION"))
            words.append(word)
            position += len(word) + 1
        lines.append(" ".join(words))
    return "\n".join(lines), spans


@pytest.fixture
def two_shapes(tmp_path: Path) -> Path:
    """Two articles with as many lines, each line of the second several rows longer than
    the first's (so every chunk and the view change height from one to the other)."""
    db = tmp_path / "frames.db"
    store = open_store(db)
    for title, lengths, seed in [
        ("Short lines", [150, 300, 90, 200], 1),
        ("Long lines", [700, 900, 500, 800], 2),
    ]:
        text, spans = paragraphs(lengths, seed)
        add_article(store, text, title, spans)
    store.dispose()
    return db


def count_layouts(monkeypatch) -> list[int]:
    """Count Textual's layout passes (not the re-placing a scroll does) from now on."""
    passes = [0]
    original = Screen._refresh_layout

    def counted(self, size=None, scroll=False):
        if not (scroll and not self._layout_widgets):
            passes[0] += 1
        return original(self, size, scroll)

    monkeypatch.setattr(Screen, "_refresh_layout", counted)
    return passes


async def test_the_next_article_is_laid_out_in_one_pass(two_shapes, monkeypatch):
    async with running(two_shapes) as (pilot, screen):
        view = screen.article_view
        heights = [p.size.height for p in view.query(Paragraph)]
        passes = count_layouts(monkeypatch)
        await pilot.press("a")
        for _ in range(200):
            if screen.loaded is not None and screen.loaded.title == "Long lines":
                break
            await pilot.pause(0.01)
        await settle(pilot, screen)
        await pilot.pause(0.2)
        assert screen.loaded.title == "Long lines"
        new_heights = [p.size.height for p in view.query(Paragraph)]
        assert all(new > old for new, old in zip(new_heights, heights, strict=True))
        # Every chunk and the view changed size: still one pass, and what it laid out is
        # what is drawn (each chunk as high as its rows, the view as high as the article).
        assert passes[0] == 1
        assert view.virtual_size.height == sum(new_heights) == view.rows
        for paragraph in view.query(Paragraph):
            width = paragraph.size.width
            assert paragraph.size.height == len(paragraph.visual.wrap(width))


async def test_chunks_are_laid_out_as_high_as_the_rows_textual_draws(tmp_path):
    # Words longer than a line (folded), wide characters, an empty line, a tag at the end.
    text = (
        "Idlib " + "x" * 130 + " said\n"
        "東京 forces village 東京東京 shelling province rebels regime ceasefire\n"
        "\n"
        "the convoy crossed the front near Hama"
    )
    spans = [Span(0, 5, "LOCATION"), Span(text.index("Hama"), len(text), "LOCATION")]
    db = tmp_path / "wide.db"
    store = open_store(db)
    add_article(store, text, "Wide", spans)
    store.dispose()
    async with running(db, size=(40, 30)) as (pilot, screen):
        for width in range(30, 72, 3):  # every width a line may just fit or not
            await pilot.resize_terminal(width, 30)
            await pilot.pause()
            chunks = list(screen.article_view.query(Paragraph))
            assert len(chunks) == 4
            for paragraph in chunks:
                drawn = paragraph.visual.wrap(paragraph.size.width)
                assert paragraph.size.height == len(drawn), width


class Recorder:
    """Stands where the screen is: keeps what the database thread posts."""

    def __init__(self):
        self.messages: list[object] = []

    def post_message(self, message) -> None:
        self.messages.append(message)


def test_held_jobs_wait_for_release_and_keep_their_order(project):
    target = Recorder()
    thread = DatabaseThread(target, lambda: AnnotationSession(open_store(project), "ana"))
    thread.start()
    ran: list[str] = []
    try:
        thread.submit(lambda s: ran.append("before"))
        assert thread.wait_idle(10)
        thread.hold()
        thread.hold()  # two holds: both must be released
        thread.submit(lambda s: ran.append("first"))
        thread.submit_write(lambda s: ran.append("write") or 0, local_id=1, article_id=1)
        assert not thread.wait_idle(0.3)  # held jobs are pending, and do not run
        assert ran == ["before"]
        thread.release()
        assert not thread.wait_idle(0.3)
        thread.release()
        thread.submit(lambda s: ran.append("after"))
        assert thread.wait_idle(10)
        assert ran == ["before", "first", "write", "after"]
        assert any(type(m).__name__ == "WriteStored" for m in target.messages)
        # Submitted from another thread while held (the spaCy worker submits too).
        thread.hold()
        worker = threading.Thread(target=lambda: thread.submit(lambda s: ran.append("worker")))
        worker.start()
        worker.join()
        assert not thread.wait_idle(0.2)
        thread.release()
        assert thread.wait_idle(10) and ran[-1] == "worker"
        # Jobs held when the thread is stopped still run before it ends.
        thread.hold()
        thread.submit(lambda s: ran.append("at stop"))
    finally:
        thread.stop(timeout=10)
    assert ran[-1] == "at stop"


async def test_an_edit_keys_write_goes_to_the_thread_after_the_frame_showing_it(project):
    async with running(project) as (pilot, screen):
        frames = [0]
        paint = screen._compositor_refresh

        def counted() -> None:
            frames[0] += 1
            paint()

        screen._compositor_refresh = counted  # type: ignore[method-assign]
        queued: list[tuple[str, int]] = []  # (job kind, frames painted when it was queued)
        put = screen.db._jobs.put

        def recorded(item, *args, **kwargs):
            queued.append((type(item).__name__, frames[0]))
            return put(item, *args, **kwargs)

        screen.db._jobs.put = recorded  # type: ignore[method-assign]
        await pilot.press("tab")
        await pilot.pause()
        spans_before = len(screen.editor.spans)
        painted = frames[0]
        await pilot.press("delete")
        await settle(pilot, screen)
        assert len(screen.editor.spans) == spans_before - 1
        writes = [frame for kind, frame in queued if kind == "_Write"]
        assert len(writes) == 1 and writes[0] > painted
    assert len(stored(project)[1][1]) == spans_before - 1


async def test_the_finish_of_a_goes_to_the_thread_after_the_next_article_is_painted(project):
    async with running(project) as (pilot, screen):
        assert screen.life.ahead is not None  # `a` shows the read-ahead at once
        frames = [0]
        paint = screen._compositor_refresh

        def counted() -> None:
            frames[0] += 1
            paint()

        screen._compositor_refresh = counted  # type: ignore[method-assign]
        queued: list[tuple[str, int, int | None]] = []  # (kind, frames painted, article shown)
        put = screen.db._jobs.put

        def recorded(item, *args, **kwargs):
            shown = screen.loaded.article_id if screen.loaded is not None else None
            queued.append((type(item).__name__, frames[0], shown))
            return put(item, *args, **kwargs)

        screen.db._jobs.put = recorded  # type: ignore[method-assign]
        painted = frames[0]
        await pilot.press("a")
        await settle(pilot, screen)
        writes = [(frame, shown) for kind, frame, shown in queued if kind == "_Write"]
        assert len(writes) == 1
        frame, shown = writes[0]
        assert frame > painted and shown == 2  # article 2 was on screen, and painted
    assert stored(project)[1][0] == "done"


class BarApp(App):
    def compose(self):
        yield InfoBar(Content("ready"), markup=False)


async def test_a_bar_given_what_it_shows_already_asks_for_no_paint(monkeypatch):
    app = BarApp()
    async with app.run_test(size=(60, 5)) as pilot:
        bar = app.query_one(InfoBar)
        refreshes = [0]
        original = type(bar).refresh

        def counted(self, *args, **kwargs):
            refreshes[0] += 1
            return original(self, *args, **kwargs)

        monkeypatch.setattr(type(bar), "refresh", counted)
        bold = Style(bold=True)
        bar.update(Content("saved", [StyleSpan(0, 5, bold)]), layout=False)
        await pilot.pause()
        assert refreshes[0] == 1 and bar.visual.plain == "saved"
        bar.update(Content("saved", [StyleSpan(0, 5, bold)]), layout=False)
        await pilot.pause()
        assert refreshes[0] == 1  # the same text in the same styles: nothing to paint
        bar.update(Content("saved"), layout=False)  # same text, other styles
        await pilot.pause()
        assert refreshes[0] == 2
        bar.update(Content("saved?"), layout=False)
        await pilot.pause()
        assert refreshes[0] == 3 and bar.visual.plain == "saved?"


async def test_long_lived_objects_are_frozen_while_the_app_runs(project):
    before = gc.get_freeze_count()
    async with running(project) as (pilot, screen):
        # The database session is open (the first article came from it): frozen.
        assert screen.loaded is not None and "database" in screen._frozen
        assert gc.get_freeze_count() > before
        await pilot.press("tab")
    await asyncio.sleep(0)
    assert gc.get_freeze_count() == 0  # given back to the collector when the app ended
