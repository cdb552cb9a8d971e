"""The fast start path (stdlib sqlite3, before the app starts) shows what the full path shows."""

from __future__ import annotations

import pytest

from annotator.domain.spans import Origin, Span
from annotator.services.annotating import AnnotationSession
from annotator.store.engine import open_store
from annotator.store.fastpath import first_article
from tests.tui.conftest import make_app, running, settle, stored


def _full_path(db, annotator):
    session = AnnotationSession(open_store(db), annotator)
    return session, session.load(session.next_article_id())


def test_fastpath_new_annotator_sees_what_the_store_would_show(project):
    fast = first_article(str(project), "newcomer")
    _, full = _full_path(project, "newcomer")
    assert (fast.article_id, fast.title, fast.text) == (full.article_id, full.title, full.text)
    assert fast.spans == full.spans and [s.origin for s in fast.spans] == [
        s.origin for s in full.spans
    ]
    assert fast.annotation_id is None and full.annotation_id is not None


def test_fastpath_returning_annotator_sees_their_work_and_history(project):
    session, full = _full_path(project, "ana")
    from annotator.domain.editing import Change

    session.apply(full.article_id, Change(removed=(Span(0, 5, "PERSON", Origin.SUGGESTED),)))
    session.apply(full.article_id, Change(added=(Span(44, 64, "ORG"),)))
    again = session.load(full.article_id)
    fast = first_article(str(project), "ana")
    assert fast.spans == again.spans
    assert fast.history.undo == again.history.undo and len(fast.history.undo) == 2
    assert fast.annotation_id == again.annotation_id


def test_fastpath_declines_what_it_cannot_answer(project, tmp_path):
    assert first_article(str(tmp_path / "missing.db"), "ana") is None
    assert first_article("postgresql://nowhere/db", "ana") is None
    store = open_store(project)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'other'")
    assert first_article(str(project), "ana") is None


@pytest.mark.asyncio
async def test_fastpath_edits_wait_for_the_database_and_nothing_shown_is_unsaved(project):
    app = make_app(project)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        # No waiting at all: these keys race the database thread's start. Each is either
        # refused (and said so) or stored; never shown without being stored.
        await pilot.press("delete", "tab", "2")
        refused = "still opening the database" in screen._message
        await settle(pilot, screen)
        assert {s.key for s in screen.editor.spans} == {s.key for s in stored(project)[1][1]}
        if refused:
            assert Span(0, 5, "PERSON") in screen.editor.spans
        await pilot.press("delete")  # the database is open now: stored
        await settle(pilot, screen)
        shown = {s.key for s in screen.editor.spans}
    assert shown == {s.key for s in stored(project)[1][1]}


@pytest.mark.asyncio
async def test_fastpath_and_full_path_screens_agree(project):
    async with running(project, fast=False) as (pilot, slow):
        slow_spans = list(slow.editor.spans)
    async with running(project, fast=True) as (pilot, quick):
        assert list(quick.editor.spans) == slow_spans


def test_fastpath_read_ahead_skips_the_current_article(project):
    assert first_article(str(project), "ana").article_id == 1
    assert first_article(str(project), "ana", {1}).article_id == 2
    assert first_article(str(project), "ana", {1, 2}).article_id == 3
