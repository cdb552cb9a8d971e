"""The moments a pilot normally never types into: before the database has the article,
while another process holds the write lock, when another terminal wrote first.

Each test runs the real app on a real SQLite file. Faults are real too: the database's
write lock is held by another connection (`BEGIN IMMEDIATE`), another session of the same
annotator writes the same annotation; only the opening is held back on purpose, by a
session that waits on a threading.Event before doing its real work.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from annotator.domain.editing import Change
from annotator.domain.lifecycle import Phase
from annotator.domain.spans import Origin, Span, Status
from annotator.services.annotating import AnnotationSession
from annotator.services.schemes import find_scheme
from annotator.store import engine as engine_module
from annotator.store.engine import open_store
from annotator.store.models import Suggestion as SuggestionRow
from annotator.store.models import SuggestionRun
from annotator.tui.app import AnnotatorApp
from annotator.tui.screens import annotate as annotate_module
from tests.tui.conftest import settle, stored

pytestmark = pytest.mark.asyncio

PERSON = Span(0, 5, "PERSON", Origin.SUGGESTED)
LOCATION = Span(21, 26, "LOCATION", Origin.SUGGESTED)
DATE = Span(30, 38, "DATE", Origin.SUGGESTED)


class HeldSession(AnnotationSession):
    """The real session, whose first opening of an article waits for ``gate``."""

    def __init__(self, store, annotator, gate: threading.Event):
        super().__init__(store, annotator)
        self.gate = gate

    def load(self, article_id):
        assert self.gate.wait(20)
        return super().load(article_id)


def app_for(db: Path, open_session=None) -> AnnotatorApp:
    from annotator.store.fastpath import first_article

    return AnnotatorApp(
        scheme=find_scheme("conflict"),
        open_session=open_session or (lambda: AnnotationSession(open_store(db), "ana")),
        first=first_article(str(db), "ana"),
    )


def info(screen) -> str:
    return screen.query_one("#info").visual.plain


async def until(pilot, condition, seconds: float = 15.0) -> None:
    """Let the app run until ``condition()`` holds (fails after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the screen never got there"
        await pilot.pause(0.05)


@contextmanager
def write_lock(db: Path):
    """Another process's view: a connection holding the database's write lock."""
    conn = sqlite3.connect(db, isolation_level=None, timeout=1)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    finally:
        conn.execute("ROLLBACK")
        conn.close()


@pytest.fixture
def short_busy_timeout(monkeypatch):
    """Attempts give up on a held lock after 0.3 s instead of 30 s (so the retries show
    within a test); the screen's own behaviour is the same."""
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", 300)


async def test_lifecycle_keys_before_the_database_opened_the_article_are_replayed(project):
    gate = threading.Event()
    app = app_for(project, lambda: HeldSession(open_store(project), "ana", gate))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.pause()
        assert screen.life.phase is Phase.PREVIEW  # shown from the fast path
        await pilot.press("space", "tab", "2")  # confirm Assad; next span; Idlib -> ARMED_GROUP
        assert len(screen.life.waiting) == 3
        assert "3 keys wait" in info(screen)
        assert stored(project) == {}  # nothing could be stored yet
        gate.set()
        await settle(pilot, screen)
        assert screen.life.phase is Phase.OPEN and screen.life.waiting == []
        assert "3 keys typed while opening applied" in info(screen)
    spans = {s.key: s.origin for s in stored(project)[1][1]}
    assert spans == {
        (0, 5, "PERSON"): Origin.ACCEPTED,
        (21, 26, "ARMED_GROUP"): Origin.EDITED,
        (30, 38, "DATE"): Origin.SUGGESTED,
    }


async def test_lifecycle_keys_after_a_replayed_finish_wait_for_the_next_article(project):
    """`a`, Tab and Space typed before the database opened the first article: `a` is
    replayed when it opens, and finds nothing read ahead yet (the read-ahead was only just
    asked for). Tab and Space must then wait for the next article and confirm its span
    there. They used to run at once, on the finished article's editor, and Space crashed
    the app (an edit with no open article)."""
    gate = threading.Event()
    app = app_for(project, lambda: HeldSession(open_store(project), "ana", gate))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.pause()
        assert screen.life.phase is Phase.PREVIEW  # shown from the fast path
        await pilot.press("a", "tab", "space")
        assert len(screen.life.waiting) == 3
        gate.set()
        await until(pilot, lambda: screen.loaded is not None and screen.loaded.article_id == 2)
        await settle(pilot, screen)
        assert screen.life.phase is Phase.OPEN and screen.life.waiting == []
        assert "2 keys typed while opening applied" in info(screen)
    rows = stored(project)
    assert rows[1][0] == "done"
    # `a` accepted the first article's three suggestions, and nothing else happened there.
    assert {(s.key, s.origin) for s in rows[1][1]} == {
        (span.key, Origin.ACCEPTED) for span in (PERSON, LOCATION, DATE)
    }
    assert [(s.start, s.end, s.origin) for s in rows[2][1]] == [(23, 30, Origin.ACCEPTED)]


async def test_lifecycle_keys_are_dropped_and_said_when_the_database_has_changed(project):
    gate = threading.Event()
    app = app_for(project, lambda: HeldSession(open_store(project), "ana", gate))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.pause()
        await pilot.press("space")  # meant for "Assad", which another terminal removes now
        other = AnnotationSession(open_store(project), "ana")
        other.load(1)
        other.apply(1, Change(removed=(PERSON,)))
        gate.set()
        await settle(pilot, screen)
        assert "1 key typed while the article was opening was not applied" in info(screen)
        assert PERSON not in screen.editor.spans  # the screen shows the database's version
        await pilot.press("right")
        assert "not applied" not in info(screen)  # said until the next key
    assert {s.origin for s in stored(project)[1][1]} == {Origin.SUGGESTED}


async def test_lifecycle_a_failed_open_says_why_and_ctrl_r_retries(project, short_busy_timeout):
    with write_lock(project):
        app = app_for(project)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            await until(pilot, lambda: screen.life.phase is Phase.FAILED)
            assert "could not open the article" in info(screen) and "ctrl+r" in info(screen)
            assert "locked" in info(screen)
            await pilot.press("space")  # waits, as while opening
            assert len(screen.life.waiting) == 1
            # still locked: another failure, still FAILED and saying so
            await pilot.press("ctrl+r")
            await until(pilot, lambda: screen.life.phase is Phase.FAILED)
    app = app_for(project)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await settle(pilot, screen)
        assert screen.life.phase is Phase.OPEN


async def test_lifecycle_retry_after_the_lock_is_gone_opens_and_replays(
    project, short_busy_timeout
):
    lock = sqlite3.connect(project, isolation_level=None, timeout=1)
    lock.execute("BEGIN IMMEDIATE")
    app = app_for(project)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await until(pilot, lambda: screen.life.phase is Phase.FAILED)
        await pilot.press("space")
        lock.execute("ROLLBACK")
        lock.close()
        await pilot.press("ctrl+r")
        await until(pilot, lambda: screen.life.phase is Phase.OPEN and not screen.life.writes)
        await settle(pilot, screen)
    assert (0, 5, "PERSON") in {s.key for s in stored(project)[1][1] if s.origin is Origin.ACCEPTED}


async def test_lifecycle_an_edit_under_a_held_lock_shows_unsaved_then_lands(
    project, short_busy_timeout
):
    app = app_for(project)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await settle(pilot, screen)
        lock = sqlite3.connect(project, isolation_level=None, timeout=1)
        lock.execute("BEGIN IMMEDIATE")
        await pilot.press("space")
        await until(pilot, lambda: screen.life.unsaved())
        await until(pilot, lambda: "NOT SAVED YET" in info(screen))
        assert "locked" in info(screen)
        await pilot.press("a")  # refused: the article keeps its unsaved edit on screen
        assert screen.life.article_id == 1 and "not leaving this article" in info(screen)
        assert screen._finished == 0
        lock.execute("ROLLBACK")
        lock.close()
        await until(pilot, lambda: not screen.life.writes, seconds=20)
        assert "NOT SAVED" not in info(screen)
        assert "saved: every change is stored now" in info(screen)
        await pilot.press("a")
        await settle(pilot, screen)
        assert screen._finished == 1  # moved once the store confirmed
    rows = stored(project)
    assert rows[1][0] == "done"
    assert {s.key: s.origin for s in rows[1][1]}[(0, 5, "PERSON")] is Origin.ACCEPTED


async def test_lifecycle_quit_with_unsaved_edits_says_what_and_exits_1(
    project, short_busy_timeout, monkeypatch
):
    monkeypatch.setattr(annotate_module, "QUIT_WAIT_S", 1.0)
    app = app_for(project)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await settle(pilot, screen)
        with write_lock(project):
            await pilot.press("tab", "delete")
            await pilot.press("q")
            await until(pilot, lambda: app.return_code is not None, seconds=10)
    assert app.return_code == 1
    message = app.farewell
    assert message is not None and len(message.splitlines()) == 1
    assert message.startswith("error: not saved: article #1 “Shelling in Idlib”: -LOCATION")
    assert "locked" in message
    assert {s.key for s in stored(project)[1][1]} >= {(21, 26, "LOCATION")}  # really not saved


async def test_lifecycle_a_conflict_on_done_reloads_that_article(project):
    app = app_for(project)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await settle(pilot, screen)
        await until(pilot, lambda: screen.life.ahead is not None)
        other = AnnotationSession(open_store(project), "ana")  # a second terminal
        other.load(1)
        other.apply(1, Change(removed=(DATE,)))
        await pilot.press("a")  # shows article 2 at once; the database refuses the finish
        await settle(pilot, screen)
        assert screen.life.article_id == 1 and screen.loaded.article_id == 1
        assert "another terminal" in info(screen) and "not saved" in info(screen)
        assert DATE not in screen.editor.spans  # as the other terminal left it
        assert screen._finished == 0
    assert stored(project)[1][0] == "in_progress"
    assert stored(project).get(2, ("in_progress", []))[0] == "in_progress"


async def test_lifecycle_undo_right_after_done_reopens_the_article_as_it_was(project):
    app = app_for(project)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await settle(pilot, screen)
        await pilot.press("tab", "delete")  # remove Idlib, leave two suggestions pending
        before = list(screen.editor.spans)
        await pilot.press("a")
        await settle(pilot, screen)
        assert screen.loaded.article_id == 2 and stored(project)[1][0] == "done"
        await pilot.press("u")
        await settle(pilot, screen)
        assert screen.loaded.article_id == 1 and screen.loaded.status is Status.IN_PROGRESS
        assert screen.editor.spans == before
        await pilot.press("u")  # and the edit before it is undone next
        await settle(pilot, screen)
        assert LOCATION in screen.editor.spans
    status, spans = stored(project)[1]
    assert status == "in_progress"
    assert sorted(s.key for s in spans) == sorted(s.key for s in [PERSON, LOCATION, DATE])
    assert {s.origin for s in spans} == {Origin.SUGGESTED}


async def test_lifecycle_undo_after_going_back_with_p_reopens_it(project):
    app = app_for(project)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await settle(pilot, screen)
        await pilot.press("a")
        await settle(pilot, screen)
        await pilot.press("p")
        await settle(pilot, screen)
        assert screen.loaded.article_id == 1 and screen.loaded.status is Status.DONE
        await pilot.press("u")
        await settle(pilot, screen)
        assert screen.loaded.status is Status.IN_PROGRESS
        assert {s.origin for s in screen.editor.spans} == {Origin.SUGGESTED}
    status, spans = stored(project)[1]
    assert status == "in_progress" and {s.origin for s in spans} == {Origin.SUGGESTED}


def _suggest(db: Path, article_id: int, spans: list[Span]) -> None:
    store = open_store(db)
    with store.write() as session:
        for s in spans:
            session.add(
                SuggestionRow(
                    article_id=article_id, source="late", start=s.start, end=s.end, label=s.label
                )
            )
        session.add(SuggestionRun(article_id=article_id, source="late", count=len(spans)))
    store.dispose()


async def test_lifecycle_late_suggestions_never_enter_a_finished_article(project):
    app = app_for(project)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await settle(pilot, screen)
        await pilot.press("a")
        await settle(pilot, screen)
        await pilot.press("a")  # article 2 done; article 3 (no suggestions) opens
        await settle(pilot, screen)
        assert screen.loaded.article_id == 3
        await pilot.press("a")  # finished with no span, before any suggestion exists
        await settle(pilot, screen)
        _suggest(project, 3, [Span(20, 24, "LOCATION")])  # `annotator suggest` runs later
        await pilot.press("p")
        await settle(pilot, screen)
        assert screen.loaded.article_id == 3 and screen.editor.spans == []
    assert stored(project)[3] == ("done", [])
    session = AnnotationSession(open_store(project), "ana")
    session.load(3)
    assert session.seed(3) == Change() and stored(project)[3] == ("done", [])


async def test_lifecycle_progress_is_what_the_store_holds_after_fast_keys(project):
    app = app_for(project)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await settle(pilot, screen)
        await pilot.press("a", "p", "a")  # as fast as the pilot types
        await settle(pilot, screen)
        await asyncio.sleep(0)
        done = sum(1 for status, _ in stored(project).values() if status == "done")
        assert screen._finished == done


@pytest.fixture
def small_disk(tmp_path):
    """A real 4 MB filesystem (tmpfs), or a skip where mounting is not permitted."""
    import subprocess

    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small filesystem here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def _fill(folder: Path) -> Path:
    """Fill the filesystem to the last byte; returns the filler file."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as out:
        block = b"\0" * 65536
        try:
            while True:
                out.write(block)
        except OSError:
            pass
        try:
            while True:
                out.write(b"\0")
        except OSError:
            pass
    return filler


async def test_lifecycle_edits_on_a_full_disk_are_kept_and_stored_once_there_is_room(
    project, small_disk
):
    db = small_disk / "tui.db"
    db.write_bytes(project.read_bytes())
    app = app_for(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await settle(pilot, screen)
        filler = _fill(small_disk)
        for _ in range(3):
            await pilot.press("tab", "space")
        await until(pilot, lambda: screen.life.unsaved(), seconds=20)
        await until(pilot, lambda: "NOT SAVED YET" in info(screen))
        assert "disk is full" in info(screen)
        filler.unlink()  # room again: every edit lands, in order
        await until(pilot, lambda: not screen.life.writes, seconds=30)
        assert "NOT SAVED" not in info(screen)
        await settle(pilot, screen)
    assert {s.origin for s in stored(db)[1][1]} == {Origin.ACCEPTED}
