"""Annotations and their spans: create, read, replace, set status; the event log; export reads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, insert, select
from sqlmodel import Session

from annotator.domain.spans import Kind, Origin, Status
from annotator.domain.spans import Span as SpanValue
from annotator.store.models import Annotation, Annotator, Article, Event, Span, utcnow
from annotator.store.queue import ensure_annotator, set_queue_open

SPAN = Span.__table__  # type: ignore[attr-defined]


def get_annotation(
    session: Session, article_id: int, annotator_id: int, kind: Kind = Kind.ANNOTATION
) -> Annotation | None:
    """The annotation of this article by this annotator (or their gold), or None."""
    return session.scalars(
        select(Annotation).where(
            Annotation.article_id == article_id,
            Annotation.annotator_id == annotator_id,
            Annotation.kind == kind.value,
        )
    ).first()


def gold_of(session: Session, article_id: int) -> Annotation | None:
    """The gold annotation of an article, whoever adjudicated it, or None."""
    return session.scalars(
        select(Annotation).where(
            Annotation.article_id == article_id, Annotation.kind == Kind.GOLD.value
        )
    ).first()


def ensure_annotation(
    session: Session, article_id: int, annotator_id: int, kind: Kind = Kind.ANNOTATION
) -> Annotation:
    """The annotation, created in progress (and flushed, so it has an id) if new."""
    annotation = get_annotation(session, article_id, annotator_id, kind)
    if annotation is None:
        annotation = Annotation(article_id=article_id, annotator_id=annotator_id, kind=kind.value)
        session.add(annotation)
        session.flush()
    return annotation


def to_value(row: Span) -> SpanValue:
    """A stored span as a domain value."""
    return SpanValue(row.start, row.end, row.label, Origin(row.origin), tuple(row.sources or ()))


def spans_of(session: Session, annotation_id: int) -> list[SpanValue]:
    """The spans of an annotation, ordered by start, end, label."""
    rows = session.scalars(
        select(Span)
        .where(Span.annotation_id == annotation_id)
        .order_by(Span.start, Span.end, Span.label)
    )
    return [to_value(row) for row in rows]


def touch(annotation: Annotation) -> None:
    """Mark a change: a new version (for conflict detection) and a new update time."""
    annotation.version += 1
    annotation.updated_at = utcnow()


def replace_spans(session: Session, annotation: Annotation, spans: Iterable[SpanValue]) -> None:
    """Make ``spans`` the annotation's spans (one delete, one executemany)."""
    assert annotation.id is not None
    session.execute(delete(Span).where(Span.annotation_id == annotation.id))
    rows = [
        {
            "annotation_id": annotation.id,
            "start": s.start,
            "end": s.end,
            "label": s.label,
            "origin": s.origin.value,
            "suggestion_id": None,
            "sources": list(s.sources) if s.sources else None,
        }
        for s in spans
    ]
    if rows:
        session.execute(insert(SPAN), rows)
    touch(annotation)
    session.add(annotation)


def set_status(
    session: Session, annotation: Annotation, status: Status, note: str | None = None
) -> None:
    """Set the status (and note); a finished annotation leaves its annotator's queue."""
    annotation.status = status.value
    if note is not None:
        annotation.note = note
    touch(annotation)
    session.add(annotation)
    if annotation.kind == Kind.ANNOTATION.value:
        set_queue_open(session, annotation.annotator_id, annotation.article_id, not status.finished)


def log_event(
    session: Session,
    action: str,
    *,
    annotator_id: int | None = None,
    article_id: int | None = None,
    annotation_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Append an event to the log (never updated or deleted afterwards)."""
    event = Event(
        action=action,
        annotator_id=annotator_id,
        article_id=article_id,
        annotation_id=annotation_id,
        payload=payload or {},
    )
    session.add(event)
    return event


def span_payload(spans: Iterable[SpanValue]) -> list[list[Any]]:
    """Spans in the compact form events store: [start, end, label, origin]."""
    return [[s.start, s.end, s.label, s.origin.value] for s in spans]


def save_annotation(
    session: Session,
    *,
    article_id: int,
    annotator: str,
    spans: Iterable[SpanValue],
    status: Status = Status.DONE,
    note: str = "",
    kind: Kind = Kind.ANNOTATION,
    action: str = "import",
) -> Annotation:
    """Store one annotator's complete annotation of an article (replacing what they had),
    with its status, and log it. Used by importers and by adjudication."""
    person = ensure_annotator(session, annotator)
    assert person.id is not None
    annotation = ensure_annotation(session, article_id, person.id, kind)
    spans = list(spans)
    replace_spans(session, annotation, spans)
    set_status(session, annotation, status, note)
    log_event(
        session,
        action,
        annotator_id=person.id,
        article_id=article_id,
        annotation_id=annotation.id,
        payload={"status": status.value, "spans": span_payload(spans)},
    )
    return annotation


@dataclass(frozen=True, slots=True)
class StoredAnnotation:
    """One annotation as exports see it: the article, who, what status, which spans."""

    article_id: int
    text: str
    title: str
    source: str
    external_id: str | None
    meta: dict[str, Any]
    annotator: str
    kind: Kind
    status: Status
    note: str
    updated_at: datetime
    spans: tuple[SpanValue, ...]


def _selection(
    query: Select,
    source: str,
    status: str,
    articles: tuple[int | None, int | None] = (None, None),
) -> Select:
    """``query`` (joined to Annotation and Annotator) narrowed to the annotations an export
    of ``source`` and ``status`` takes, of articles with ids in ``(after, upto]``."""
    after, upto = articles
    if after is not None:
        query = query.where(Annotation.article_id > after)
    if upto is not None:
        query = query.where(Annotation.article_id <= upto)
    if source == "gold":
        query = query.where(Annotation.kind == Kind.GOLD.value)
    else:
        query = query.where(Annotation.kind == Kind.ANNOTATION.value)
        if source != "all":
            query = query.where(Annotator.name == source)
    if status != "all":
        query = query.where(Annotation.status == Status(status).value)
    return query


def selected_articles(
    session: Session,
    *,
    source: str = "all",
    status: str = "done",
    articles: tuple[int | None, int | None] = (None, None),
) -> list[tuple[int, str, str]]:
    """(article id, content hash, annotator name) of each annotation stored_annotations
    would yield, in the same order, without texts or spans: what an export needs to know
    before it starts (how many, the train/dev split, articles annotated twice)."""
    query = (
        select(Annotation.article_id, Article.content_hash, Annotator.name)
        .join(Article, Article.id == Annotation.article_id)
        .join(Annotator, Annotator.id == Annotation.annotator_id)
        .order_by(Annotation.article_id, Annotator.name, Annotation.kind)
    )
    return [tuple(row) for row in session.execute(_selection(query, source, status, articles))]


def stored_annotations(
    session: Session,
    *,
    source: str = "all",
    status: str = "done",
    articles: tuple[int | None, int | None] = (None, None),
    chunk: int = 500,
) -> Iterator[StoredAnnotation]:
    """Annotations in a stable order (article id, then annotator name), streamed.

    ``source``: "gold" (adjudicated), "all" (every annotator's own annotations) or one
    annotator's name. ``status``: "done", "all", or another status name. ``articles``: only
    article ids in ``(after, upto]`` (None: no bound), so that two processes can share an
    export. Spans are read a chunk of annotations at a time, so memory does not grow with
    the corpus.
    """
    # Plain rows (Core), not ORM objects: an export reads every annotation once, and
    # building two mapped objects per row cost more than SQLite reading it.
    query = (
        select(
            Annotation.id,
            Annotation.article_id,
            Article.text,
            Article.title,
            Article.source,
            Article.external_id,
            Article.meta,
            Annotator.name,
            Annotation.kind,
            Annotation.status,
            Annotation.note,
            Annotation.updated_at,
        )
        .join(Article, Article.id == Annotation.article_id)
        .join(Annotator, Annotator.id == Annotation.annotator_id)
        .order_by(Annotation.article_id, Annotator.name, Annotation.kind)
    )
    query = _selection(query, source, status, articles)
    result = session.execute(query.execution_options(yield_per=chunk))
    span_query = select(
        Span.annotation_id, Span.start, Span.end, Span.label, Span.origin, Span.sources
    ).order_by(Span.annotation_id, Span.start, Span.end, Span.label)
    for partition in result.partitions():
        spans: dict[int, list[SpanValue]] = {row[0]: [] for row in partition}
        for annotation_id, start, end, label, origin, sources in session.execute(
            span_query.where(Span.annotation_id.in_(list(spans)))  # type: ignore[attr-defined]
        ):
            spans[annotation_id].append(
                SpanValue(start, end, label, Origin(origin), tuple(sources or ()))
            )
        for (
            annotation_id,
            article_id,
            text,
            title,
            article_source,
            external_id,
            meta,
            name,
            kind,
            annotation_status,
            note,
            updated_at,
        ) in partition:
            yield StoredAnnotation(
                article_id=article_id,
                text=text,
                title=title,
                source=article_source,
                external_id=external_id,
                meta=meta,
                annotator=name,
                kind=Kind(kind),
                status=Status(annotation_status),
                note=note,
                updated_at=updated_at,
                spans=tuple(spans[annotation_id]),
            )
