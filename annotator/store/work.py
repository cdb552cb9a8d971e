"""What the annotation and review screens read and write, one annotation at a time.

Module-level, keyword-only functions, session first (the services compose them; they
write no SQL of their own). Every write to an annotation first claims its version with
one compare-and-set UPDATE (``WHERE version = :seen``): on SQLite the write lock is held
already, on PostgreSQL the UPDATE takes the row lock, so two writers of one annotation
can never both pass the check, whichever back end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlmodel import Session

from annotator.domain.spans import Kind, Origin, Span, Status
from annotator.store.models import (
    Annotation,
    Article,
    Event,
    QueueItem,
    Suggestion,
    SuggestionRun,
    Tokens,
    utcnow,
)
from annotator.store.models import Span as SpanRow
from annotator.store.queue import ASSIGNMENT, get_setting, set_queue_open

ANNOTATION = Annotation.__table__  # type: ignore[attr-defined]
SPAN = SpanRow.__table__  # type: ignore[attr-defined]
EVENT = Event.__table__  # type: ignore[attr-defined]
ARTICLE = Article.__table__  # type: ignore[attr-defined]
RUN = SuggestionRun.__table__  # type: ignore[attr-defined]
SUGGESTION = Suggestion.__table__  # type: ignore[attr-defined]
TOKENS = Tokens.__table__  # type: ignore[attr-defined]
QUEUE = QueueItem.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class AnnotationState:
    """The columns of an annotation that a session works with."""

    id: int
    article_id: int
    annotator_id: int
    kind: Kind
    status: Status
    note: str
    seeded: bool
    version: int


_STATE_COLUMNS = (
    ANNOTATION.c.id,
    ANNOTATION.c.article_id,
    ANNOTATION.c.annotator_id,
    ANNOTATION.c.kind,
    ANNOTATION.c.status,
    ANNOTATION.c.note,
    ANNOTATION.c.seeded,
    ANNOTATION.c.version,
)


def _state(row) -> AnnotationState:
    return AnnotationState(
        row[0], row[1], row[2], Kind(row[3]), Status(row[4]), row[5] or "", bool(row[6]), row[7]
    )


def annotation_state(
    session: Session, *, article_id: int, annotator_id: int | None, kind: Kind
) -> AnnotationState | None:
    """The annotation of the article by the annotator (any annotator's, for gold with
    ``annotator_id`` None), or None."""
    query = select(*_STATE_COLUMNS).where(
        ANNOTATION.c.article_id == article_id, ANNOTATION.c.kind == kind.value
    )
    if annotator_id is not None:
        query = query.where(ANNOTATION.c.annotator_id == annotator_id)
    row = session.connection().execute(query.limit(1)).first()
    return None if row is None else _state(row)


def annotation_by_id(session: Session, *, annotation_id: int) -> AnnotationState | None:
    """The annotation with this id, or None."""
    row = (
        session.connection()
        .execute(select(*_STATE_COLUMNS).where(ANNOTATION.c.id == annotation_id))
        .first()
    )
    return None if row is None else _state(row)


def create_annotation(
    session: Session, *, article_id: int, annotator_id: int, kind: Kind
) -> AnnotationState:
    """A new, empty annotation in progress."""
    now = utcnow()
    result = session.connection().execute(
        insert(ANNOTATION).values(
            article_id=article_id,
            annotator_id=annotator_id,
            kind=kind.value,
            status=Status.IN_PROGRESS.value,
            note="",
            seeded=False,
            version=1,
            created_at=now,
            updated_at=now,
        )
    )
    key = result.inserted_primary_key
    assert key is not None  # a single-row INSERT has its new primary key
    new_id = key[0]
    return AnnotationState(new_id, article_id, annotator_id, kind, Status.IN_PROGRESS, "", False, 1)


def hand_over(session: Session, *, annotation_id: int, annotator_id: int) -> None:
    """Give an annotation (a gold draft) to another annotator."""
    session.connection().execute(
        update(ANNOTATION)
        .where(ANNOTATION.c.id == annotation_id)
        .values(annotator_id=annotator_id, version=ANNOTATION.c.version + 1, updated_at=utcnow())
    )


def claim(session: Session, *, annotation_id: int, seen: int) -> int | None:
    """Move the annotation from version ``seen`` to the next one, atomically; returns the
    new version, or None when it is no longer at ``seen`` (someone else wrote it)."""
    result = session.connection().execute(
        update(ANNOTATION)
        .where(ANNOTATION.c.id == annotation_id, ANNOTATION.c.version == seen)
        .values(version=seen + 1, updated_at=utcnow())
    )
    return seen + 1 if result.rowcount == 1 else None


def spans_of_annotation(session: Session, *, annotation_id: int) -> list[Span]:
    """The spans of an annotation, ordered by start, end, label."""
    rows = session.connection().execute(
        select(SPAN.c.start, SPAN.c.end, SPAN.c.label, SPAN.c.origin, SPAN.c.sources)
        .where(SPAN.c.annotation_id == annotation_id)
        .order_by(SPAN.c.start, SPAN.c.end, SPAN.c.label)
    )
    return [Span(s, e, label, Origin(o), tuple(src or ())) for s, e, label, o, src in rows]


def add_spans(session: Session, *, annotation_id: int, spans: Iterable[Span]) -> None:
    """Insert spans into an annotation (one executemany)."""
    rows = [
        {
            "annotation_id": annotation_id,
            "start": s.start,
            "end": s.end,
            "label": s.label,
            "origin": s.origin.value,
            "suggestion_id": None,
            "sources": list(s.sources) or None,
        }
        for s in spans
    ]
    if rows:
        session.connection().execute(insert(SPAN), rows)


def remove_spans(session: Session, *, annotation_id: int, spans: Iterable[Span]) -> bool:
    """Delete these spans (by start, end, label); False when one of them was not there."""
    connection = session.connection()
    for span in spans:
        result = connection.execute(
            delete(SPAN).where(
                SPAN.c.annotation_id == annotation_id,
                SPAN.c.start == span.start,
                SPAN.c.end == span.end,
                SPAN.c.label == span.label,
            )
        )
        if result.rowcount != 1:
            return False
    return True


def set_span_sources(session: Session, *, annotation_id: int, sources: dict[tuple, list]) -> None:
    """Record, per span (start, end, label), the names it came from."""
    connection = session.connection()
    for (start, end, label), names in sources.items():
        connection.execute(
            update(SPAN)
            .where(
                SPAN.c.annotation_id == annotation_id,
                SPAN.c.start == start,
                SPAN.c.end == end,
                SPAN.c.label == label,
            )
            .values(sources=list(names))
        )


def accept_pending(session: Session, *, annotation_id: int) -> None:
    """Every pending suggestion of the annotation becomes accepted (one UPDATE)."""
    session.connection().execute(
        update(SPAN)
        .where(SPAN.c.annotation_id == annotation_id, SPAN.c.origin == Origin.SUGGESTED.value)
        .values(origin=Origin.ACCEPTED.value)
    )


def count_pending(session: Session, *, annotation_id: int) -> int:
    """How many spans of the annotation are suggestions not yet confirmed."""
    return (
        session.connection()
        .execute(
            select(func.count())
            .select_from(SPAN)
            .where(SPAN.c.annotation_id == annotation_id, SPAN.c.origin == Origin.SUGGESTED.value)
        )
        .scalar_one()
    )


def store_status(
    session: Session, *, state: AnnotationState, status: Status, note: str | None = None
) -> None:
    """Set the status (and note) of an annotation; a finished annotation leaves its
    annotator's queue, a reopened one comes back into it."""
    values: dict[str, Any] = {"status": status.value}
    if note is not None:
        values["note"] = note
    session.connection().execute(
        update(ANNOTATION).where(ANNOTATION.c.id == state.id).values(**values)
    )
    if state.kind is Kind.ANNOTATION:
        set_queue_open(session, state.annotator_id, state.article_id, not status.finished)


def mark_seeded(session: Session, *, annotation_id: int) -> None:
    """Note that the annotation got its starting spans (suggestions go in only once)."""
    session.connection().execute(
        update(ANNOTATION).where(ANNOTATION.c.id == annotation_id).values(seeded=True)
    )


def append_event(
    session: Session,
    *,
    action: str,
    annotator_id: int | None,
    article_id: int | None,
    annotation_id: int | None,
    payload: dict[str, Any],
) -> int:
    """Append an event to the log (never updated or deleted afterwards); returns its id."""
    result = session.connection().execute(
        insert(EVENT).values(
            at=utcnow(),
            action=action,
            annotator_id=annotator_id,
            article_id=article_id,
            annotation_id=annotation_id,
            payload=payload,
        )
    )
    key = result.inserted_primary_key
    assert key is not None  # a single-row INSERT has its new primary key
    return key[0]


def events_of(session: Session, *, annotation_id: int) -> list[tuple[int, str, dict]]:
    """(id, action, payload) of an annotation's events, in log order."""
    rows = session.connection().execute(
        select(EVENT.c.id, EVENT.c.action, EVENT.c.payload)
        .where(EVENT.c.annotation_id == annotation_id)
        .order_by(EVENT.c.id)
    )
    return [(i, a, p or {}) for i, a, p in rows]


@dataclass(frozen=True, slots=True)
class ArticleText:
    """An article's text and the lines about it."""

    id: int
    title: str
    text: str
    source: str


def article_text(session: Session, *, article_id: int) -> ArticleText | None:
    """The article's title, text and source, or None when there is no such article."""
    row = (
        session.connection()
        .execute(
            select(ARTICLE.c.id, ARTICLE.c.title, ARTICLE.c.text, ARTICLE.c.source).where(
                ARTICLE.c.id == article_id
            )
        )
        .first()
    )
    return None if row is None else ArticleText(*row)


def has_suggestions(session: Session, *, article_id: int) -> bool:
    """True when some suggestion source has processed the article."""
    found = (
        session.connection()
        .execute(select(RUN.c.article_id).where(RUN.c.article_id == article_id).limit(1))
        .first()
    )
    return found is not None


def run_counts(session: Session, *, article_id: int) -> dict[str, int]:
    """The suggestion sources that have processed the article, with how many suggestions
    each has stored for it (0: found nothing, or its suggestions were superseded)."""
    rows = session.connection().execute(
        select(RUN.c.source, RUN.c.count).where(RUN.c.article_id == article_id)
    )
    return {source: count for source, count in rows}


def suggested_spans(session: Session, *, article_id: int) -> list[Span]:
    """The article's machine suggestions as pending spans (every source, unmerged), each
    with its source in ``sources``."""
    rows = session.connection().execute(
        select(SUGGESTION.c.start, SUGGESTION.c.end, SUGGESTION.c.label, SUGGESTION.c.source).where(
            SUGGESTION.c.article_id == article_id
        )
    )
    return [Span(s, e, label, Origin.SUGGESTED, (source,)) for s, e, label, source in rows]


def tokens_blob(session: Session, *, article_id: int, tokenizer: str | None) -> bytes | None:
    """The packed token offsets of the article (of ``tokenizer`` if given, else of the
    first tokenizer by name), or None."""
    query = select(TOKENS.c.offsets).where(TOKENS.c.article_id == article_id)
    if tokenizer:
        query = query.where(TOKENS.c.tokenizer == tokenizer)
    row = session.connection().execute(query.order_by(TOKENS.c.tokenizer).limit(1)).first()
    return None if row is None else row[0]


def _count(session: Session, query) -> int:
    return int(session.connection().execute(query).scalar_one())


def count_finished(session: Session, *, annotator_id: int, kind: Kind) -> int:
    """How many of the annotator's annotations (of ``kind``) are finished."""
    return _count(
        session,
        select(func.count())
        .select_from(ANNOTATION)
        .where(
            ANNOTATION.c.annotator_id == annotator_id,
            ANNOTATION.c.kind == kind.value,
            ANNOTATION.c.status != Status.IN_PROGRESS.value,
        ),
    )


def queue_size(session: Session, *, annotator_id: int) -> int:
    """Articles in the annotator's queue (assignment mode), or in the project (open mode)."""
    if get_setting(session, ASSIGNMENT, "open") == "open":
        return _count(session, select(func.count()).select_from(ARTICLE))
    return _count(
        session,
        select(func.count()).select_from(QUEUE).where(QUEUE.c.annotator_id == annotator_id),
    )


def opened_neighbour(
    session: Session, *, annotator_id: int, kind: Kind, article_id: int | None, step: int
) -> int | None:
    """The article the annotator opened before (step -1) or after (step 1) ``article_id``,
    in the order they first opened articles; with ``article_id`` None, the one they
    opened last. None at either end."""
    mine = and_(ANNOTATION.c.annotator_id == annotator_id, ANNOTATION.c.kind == kind.value)
    connection = session.connection()
    query = select(ANNOTATION.c.article_id).where(mine)
    if article_id is not None:
        current = connection.execute(
            select(ANNOTATION.c.id).where(mine, ANNOTATION.c.article_id == article_id)
        ).scalar()
        if current is None:
            return None
        query = query.where(ANNOTATION.c.id < current if step < 0 else ANNOTATION.c.id > current)
    ascending = step > 0 and article_id is not None
    order = ANNOTATION.c.id.asc() if ascending else ANNOTATION.c.id.desc()
    return connection.execute(query.order_by(order).limit(1)).scalar()


def settled_articles(session: Session, *, article_ids: list[int]) -> set[int]:
    """Which of these articles have a finished (done) gold annotation."""
    if not article_ids:
        return set()
    rows = session.connection().execute(
        select(ANNOTATION.c.article_id).where(
            ANNOTATION.c.kind == Kind.GOLD.value,
            ANNOTATION.c.status == Status.DONE.value,
            ANNOTATION.c.article_id.in_(article_ids),
        )
    )
    return {row[0] for row in rows}
