from __future__ import annotations

import pytest
from sqlalchemy import select

from annotator.domain.errors import InputError
from annotator.store import queue
from annotator.store.models import Annotation, Article, QueueItem


def _add_articles(store, n: int) -> list[int]:
    with store.write() as session:
        rows = [Article(content_hash=f"h{i}", text=f"text {i}") for i in range(n)]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


def _finish(store, name: str, article_id: int, status: str = "done") -> None:
    with store.write() as session:
        person = queue.ensure_annotator(session, name)
        session.add(Annotation(article_id=article_id, annotator_id=person.id, status=status))
        queue.set_queue_open(session, person.id, article_id, False)


def _next(store, name: str) -> int | None:
    with store.write() as session:
        return queue.next_article_id(session, queue.ensure_annotator(session, name))


def test_queue_serves_articles_in_order_and_skips_finished(store):
    ids = _add_articles(store, 5)
    assert _next(store, "ana") == ids[0]
    _finish(store, "ana", ids[0])
    _finish(store, "ana", ids[1], "skipped")
    assert _next(store, "ana") == ids[2]
    assert _next(store, "bob") == ids[0]  # each annotator has their own queue


def test_queue_fills_lazily_in_batches(store, monkeypatch):
    monkeypatch.setattr(queue, "REFILL_BATCH", 3)
    ids = _add_articles(store, 10)
    assert _next(store, "ana") == ids[0]
    with store.read() as session:
        assert len(session.scalars(select(QueueItem)).all()) == 3  # not all ten
    for article_id in ids[:7]:
        _finish(store, "ana", article_id)
    assert _next(store, "ana") == ids[7]
    for article_id in ids[7:]:
        _finish(store, "ana", article_id)
    assert _next(store, "ana") is None


def test_queue_articles_imported_later_are_served(store):
    first = _add_articles(store, 1)
    _finish(store, "ana", first[0])
    assert _next(store, "ana") is None
    with store.write() as session:
        session.add(Article(content_hash="late", text="late article"))
    assert _next(store, "ana") is not None


def test_queue_article_finished_before_queueing_enters_closed(store):
    ids = _add_articles(store, 2)
    with store.write() as session:
        person = queue.ensure_annotator(session, "ana")
        session.add(Annotation(article_id=ids[0], annotator_id=person.id, status="done"))
    assert _next(store, "ana") == ids[1]


def test_queue_assigned_mode_serves_only_assigned(store):
    ids = _add_articles(store, 3)
    with store.write() as session:
        queue.set_setting(session, queue.ASSIGNMENT, "assigned")
        person = queue.ensure_annotator(session, "ana")
        session.add(QueueItem(annotator_id=person.id, article_id=ids[2], position=1))
    assert _next(store, "ana") == ids[2]
    _finish(store, "ana", ids[2])
    assert _next(store, "ana") is None


def test_queue_bad_annotator_name(store):
    with store.write() as session, pytest.raises(InputError, match="spaces"):
        queue.ensure_annotator(session, "ana maria")
