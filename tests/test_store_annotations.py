from __future__ import annotations

from sqlalchemy import select

from annotator.domain.spans import Kind, Origin, Span, Status, pack_offsets, unpack_offsets
from annotator.store import queue
from annotator.store.annotations import (
    gold_of,
    save_annotation,
    spans_of,
    stored_annotations,
)
from annotator.store.models import Article, Event


def _article(store, text: str) -> int:
    with store.write() as session:
        article = Article(content_hash=text, text=text)
        session.add(article)
        session.flush()
        return article.id


def test_annotations_save_replaces_and_logs(store):
    article_id = _article(store, "Assad in Idlib")
    with store.write() as session:
        save_annotation(
            session, article_id=article_id, annotator="ana", spans=[Span(0, 5, "PERSON")]
        )
    with store.write() as session:
        annotation = save_annotation(
            session,
            article_id=article_id,
            annotator="ana",
            spans=[Span(9, 14, "LOCATION", Origin.ACCEPTED), Span(0, 5, "PERSON")],
            status=Status.FLAGGED,
            note="check",
        )
        annotation_id = annotation.id
    with store.read() as session:
        assert spans_of(session, annotation_id) == [Span(0, 5, "PERSON"), Span(9, 14, "LOCATION")]
        assert spans_of(session, annotation_id)[1].origin is Origin.ACCEPTED
        events = session.scalars(select(Event).order_by(Event.id)).all()
        assert [e.action for e in events] == ["import", "import"]
        assert events[1].payload["status"] == "flagged"


def test_annotations_finishing_closes_the_queue_item(store):
    first = _article(store, "one")
    second = _article(store, "two")
    with store.write() as session:
        person = queue.ensure_annotator(session, "ana")
        assert queue.next_article_id(session, person) == first
        save_annotation(session, article_id=first, annotator="ana", spans=[], status=Status.DONE)
        assert queue.next_article_id(session, person) == second


def test_annotations_export_reads_filter_and_order(store):
    ids = [_article(store, f"text number {i}") for i in range(3)]
    with store.write() as session:
        save_annotation(session, article_id=ids[1], annotator="zoe", spans=[Span(0, 4, "A")])
        save_annotation(session, article_id=ids[1], annotator="ana", spans=[Span(5, 11, "B")])
        save_annotation(
            session, article_id=ids[0], annotator="ana", spans=[], status=Status.SKIPPED
        )
        save_annotation(
            session,
            article_id=ids[2],
            annotator="rev",
            spans=[Span(0, 4, "A", sources=("ana", "zoe"))],
            kind=Kind.GOLD,
        )
    with store.read() as session:
        done = list(stored_annotations(session, chunk=1))
        assert [(a.article_id, a.annotator) for a in done] == [(ids[1], "ana"), (ids[1], "zoe")]
        every = list(stored_annotations(session, status="all"))
        assert [(a.article_id, a.status) for a in every][0] == (ids[0], Status.SKIPPED)
        assert [a.annotator for a in stored_annotations(session, source="zoe")] == ["zoe"]
        [gold] = stored_annotations(session, source="gold")
        assert gold.spans[0].sources == ("ana", "zoe") and gold.kind is Kind.GOLD
        assert gold_of(session, ids[2]) is not None and gold_of(session, ids[1]) is None


def test_annotations_token_offsets_round_trip():
    tokens = [(0, 5), (6, 8), (9, 14), (4_000_000, 4_000_001)]
    assert unpack_offsets(pack_offsets(tokens)) == tokens
    assert len(pack_offsets(tokens)) == 8 * len(tokens)
