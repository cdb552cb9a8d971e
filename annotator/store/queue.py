"""Annotators and their work queues: which article each annotator gets next."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from annotator.domain.errors import InputError
from annotator.domain.spans import Kind, Status
from annotator.domain.text import check_name
from annotator.store.models import Annotation, Annotator, Article, QueueItem, Setting, key
from annotator.store.nextsql import next_open_params, next_open_sql

ASSIGNMENT = "assignment"  # setting: "open" (everyone gets every article) or "assigned"
REFILL_BATCH = 1000


def get_setting(session: Session, key: str, default: Any = None) -> Any:
    """A project setting's value, or ``default``."""
    row = session.get(Setting, key)
    return default if row is None else row.value


def set_setting(session: Session, key: str, value: Any) -> None:
    """Store a project setting (in the caller's write transaction)."""
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
        session.add(row)


def get_annotator(session: Session, name: str) -> Annotator | None:
    """The annotator called ``name``, or None."""
    return session.scalars(select(Annotator).where(col(Annotator.name) == name)).first()


def ensure_annotator(session: Session, name: str) -> Annotator:
    """The annotator called ``name``, created if new (call inside a write session)."""
    problem = check_name(name)
    if problem:
        raise InputError(problem)
    annotator = get_annotator(session, name)
    if annotator is None:
        annotator = Annotator(name=name)
        session.add(annotator)
        session.flush()
    return annotator


def insert_queue_items(session: Session) -> Any:
    """An INSERT into the queue that skips items already there (for this dialect); add
    ``.from_select(...)`` or execute it with a list of rows."""
    table = QueueItem.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return insert.on_conflict_do_nothing()


def refill_open_queue(session: Session, annotator: Annotator, batch: int | None = None) -> int:
    """Queue the next ``batch`` articles beyond ``annotator.synced_upto`` (open mode only).

    Articles the annotator already finished (e.g. imported as done) enter the queue closed.
    Returns how many articles were queued; 0 means every article is queued already.
    """
    ids = [
        row[0]
        for row in session.execute(
            select(key(Article.id))
            .where(col(Article.id) > annotator.synced_upto)
            .order_by(col(Article.id))
            .limit(batch or REFILL_BATCH)
        )
    ]
    if not ids:
        return 0
    finished = exists().where(
        and_(
            col(Annotation.article_id) == col(Article.id),
            col(Annotation.annotator_id) == annotator.id,
            col(Annotation.kind) == Kind.ANNOTATION.value,
            col(Annotation.status) != Status.IN_PROGRESS.value,
        )
    )
    source = select(literal(annotator.id), col(Article.id), col(Article.id), ~finished).where(
        col(Article.id).in_(ids)
    )
    stmt = insert_queue_items(session).from_select(
        ["annotator_id", "article_id", "position", "open"], source
    )
    session.execute(stmt)
    annotator.synced_upto = ids[-1]
    session.add(annotator)
    session.flush()
    return len(ids)


# Built once: the lookup runs on every "next article", and building and compiling the
# statement each time cost more than SQLite's index lookup itself. The SQL is shared with
# the fast start path (store/nextsql.py): one definition of "next".
_FIRST_OPEN = text(next_open_sql())


def first_open(session: Session, annotator_id: int) -> int | None:
    """The article id of the annotator's first open queue item."""
    row = session.connection().execute(_FIRST_OPEN, next_open_params(annotator_id)).first()
    return None if row is None else row[0]


def next_article_id(session: Session, annotator: Annotator) -> int | None:
    """The next article this annotator has not finished: an index lookup on the queue.

    In open mode the queue grows lazily, a batch of articles at a time, so a new annotator
    on a 100,000-article database does not wait for 100,000 rows to be written. Needs a
    write session in open mode (it may refill the queue).
    """
    assert annotator.id is not None
    found = first_open(session, annotator.id)
    if found is not None or get_setting(session, ASSIGNMENT, "open") != "open":
        return found
    while refill_open_queue(session, annotator):
        found = first_open(session, annotator.id)
        if found is not None:
            return found
    return None


def set_queue_open(session: Session, annotator_id: int, article_id: int, is_open: bool) -> None:
    """Open or close an article in an annotator's queue (finished articles are closed)."""
    session.execute(
        update(QueueItem)
        .where(col(QueueItem.annotator_id) == annotator_id, col(QueueItem.article_id) == article_id)
        .values(open=is_open)
    )


def annotator_names(session: Session) -> list[str]:
    """Every annotator's name, in alphabetical order."""
    return list(session.scalars(select(col(Annotator.name)).order_by(col(Annotator.name))))
