"""Two terminals of one annotator writing the same annotation at once, on SQLite and on a
real PostgreSQL server: every write either lands (and moves the version by exactly one)
or is refused as a conflict; nothing passes the check on a stale version."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlmodel import select

from annotator.domain.editing import Change
from annotator.domain.errors import ConflictError
from annotator.domain.spans import Span
from annotator.services.annotating import AnnotationSession
from annotator.store.engine import open_store
from annotator.store.models import Annotation, Article, Event
from annotator.store.work import spans_of_annotation

EDITS = 200
TEXT = "x" * (EDITS + 10)


def _writer(url: str, label: str, start, results) -> None:
    """One terminal: 200 edits, each retried after a reload when the other wrote first."""
    session = AnnotationSession(open_store(url), "ana")
    session.load(1)
    start.wait(30)
    stored = conflicts = 0
    for i in range(EDITS):
        while True:
            try:
                session.apply(1, Change(added=(Span(i, i + 1, label),)))
                stored += 1
                break
            except ConflictError:
                conflicts += 1
                session.load(1)  # see what the other terminal wrote, then try again
    results.put((label, stored, conflicts))


def _race(url: str) -> tuple[list[tuple[str, int, int]], int, int, int]:
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=_writer, args=(url, label, start, results))
        for label in ("PERSON", "LOCATION")
    ]
    for worker in workers:
        worker.start()
    start.set()
    outcome = [results.get(timeout=240) for _ in workers]
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    store = open_store(url)
    with store.read() as session:
        annotation = session.exec(select(Annotation)).one()
        spans = len(spans_of_annotation(session, annotation_id=annotation.id))
        edits = len(session.exec(select(Event).where(Event.action == "edit")).all())
        version = annotation.version
    store.dispose()
    return outcome, spans, edits, version


def _article(store) -> None:
    from annotator.domain.text import content_hash

    with store.write() as session:
        session.add(Article(content_hash=content_hash(TEXT), text=TEXT, title="t"))
    AnnotationSession(store, "ana").load(1)  # the annotation exists before the race


def _check(outcome, spans: int, edits: int, version: int) -> None:
    assert sorted(o[1] for o in outcome) == [EDITS, EDITS]
    assert spans == 2 * EDITS  # nothing lost
    assert edits == 2 * EDITS  # each stored edit logged once
    assert version == 1 + 2 * EDITS  # every write moved the version by exactly one


@pytest.mark.slow
def test_store_two_writers_of_one_annotation_lose_nothing_on_sqlite(tmp_path):
    db = tmp_path / "race.db"
    store = open_store(db)
    _article(store)
    store.dispose()
    _check(*_race(str(db)))


@pytest.mark.slow
def test_store_two_writers_of_one_annotation_lose_nothing_on_postgres(pg_store):
    _article(pg_store)
    outcome, spans, edits, version = _race(pg_store.url)
    _check(outcome, spans, edits, version)
    assert sum(o[2] for o in outcome) > 0  # they really raced
    print(f"postgres race: {outcome}")
