"""What agreement reads: finished annotations grouped by article, their spans as
(start, end, label) tuples, article texts and titles, and stored token offsets.

Reads over a whole corpus go straight to the driver's cursor with plain SQL: SQLAlchemy's
per-row result processing cost as much as SQLite's reading (see store.annotations).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlmodel import Session

# Ids per query: within SQLite's limit on bound parameters, and few round trips.
ID_SLICE = 500


@dataclass(frozen=True, slots=True)
class ArticleAnnotations:
    """One article finished by two or more annotators: who finished it (annotation ids)."""

    article_id: int
    annotations: tuple[tuple[str, int], ...]  # (annotator name, annotation id), by name


def annotator_names(session: Session) -> list[str]:
    """Every annotator's name, sorted."""
    return sorted(
        row[0] for row in session.connection().exec_driver_sql("SELECT name FROM annotator")
    )


def finished_articles(
    session: Session, *, annotators: Collection[str] | None = None
) -> list[ArticleAnnotations]:
    """Articles finished (status done) by two or more annotators (of ``annotators``), in
    article id order, each with its finished annotations."""
    connection = session.connection()
    where = ""
    params: tuple = ()
    if annotators is not None:
        names = sorted(set(annotators))
        if not names:
            return []
        where = f" AND p.name IN ({', '.join([_mark(connection)] * len(names))})"
        params = tuple(names)
    sql = (
        "SELECT n.article_id, p.name, n.id FROM annotation n JOIN annotator p "
        "ON p.id = n.annotator_id WHERE n.kind = 'annotation' AND n.status = 'done'"
        f"{where} ORDER BY n.article_id, p.name"
    )
    found: list[ArticleAnnotations] = []
    current: int | None = None
    group: list[tuple[str, int]] = []
    for article_id, name, annotation_id in _rows(connection, sql, params):
        if article_id != current:
            if len(group) >= 2:
                found.append(ArticleAnnotations(current, tuple(group)))  # type: ignore[arg-type]
            current, group = article_id, []
        group.append((name, annotation_id))
    if len(group) >= 2:
        found.append(ArticleAnnotations(current, tuple(group)))  # type: ignore[arg-type]
    return found


def article_texts(session: Session, article_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """(title, text) of each of these articles."""
    connection = session.connection()
    return {
        row[0]: (row[1], row[2])
        for ids in _slices(article_ids)
        for row in _rows(
            connection,
            f"SELECT id, title, text FROM article WHERE id IN ({_marks(connection, ids)})",
            ids,
        )
    }


def span_keys(
    session: Session, annotation_ids: Sequence[int]
) -> dict[int, list[tuple[int, int, str]]]:
    """Each annotation's spans as (start, end, label) tuples (an annotation without spans
    maps to an empty list)."""
    connection = session.connection()
    found: dict[int, list[tuple[int, int, str]]] = {i: [] for i in annotation_ids}
    for ids in _slices(annotation_ids):
        sql = (
            'SELECT annotation_id, start, "end", label FROM span '
            f"WHERE annotation_id IN ({_marks(connection, ids)})"
        )
        for annotation_id, start, end, label in _rows(connection, sql, ids):
            found[annotation_id].append((start, end, label))
    return found


def stored_tokens(
    session: Session, article_ids: Sequence[int], prefer: str | None = None
) -> dict[int, tuple[str, bytes]]:
    """(tokenizer, packed offsets) of the articles that have stored tokens: those of
    tokenizer ``prefer`` where stored, else of the first tokenizer by name (as the
    annotation screen chooses)."""
    connection = session.connection()
    found: dict[int, tuple[str, bytes]] = {}
    for ids in _slices(article_ids):
        sql = (
            "SELECT article_id, tokenizer, offsets FROM tokens "
            f"WHERE article_id IN ({_marks(connection, ids)}) ORDER BY article_id, tokenizer"
        )
        for article_id, tokenizer, offsets in _rows(connection, sql, ids):
            if article_id not in found or tokenizer == prefer:
                found[article_id] = (tokenizer, bytes(offsets))
    return found


def article_openings(
    session: Session, article_ids: Sequence[int], chars: int = 200
) -> dict[int, tuple[str, str]]:
    """(title, the first ``chars`` characters of the text) of each of these articles: what
    a report needs to name an article."""
    connection = session.connection()
    sql = "SELECT id, title, substr(text, 1, {n}) FROM article WHERE id IN ({marks})"
    return {
        row[0]: (row[1], row[2])
        for ids in _slices(article_ids)
        for row in _rows(connection, sql.format(n=int(chars), marks=_marks(connection, ids)), ids)
    }


def _slices(ids: Sequence[int]) -> Iterator[tuple[int, ...]]:
    for i in range(0, len(ids), ID_SLICE):
        yield tuple(ids[i : i + ID_SLICE])


def _mark(connection: Connection) -> str:
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def _marks(connection: Connection, ids: Sequence[int]) -> str:
    return ", ".join([_mark(connection)] * len(ids))


def _rows(connection: Connection, sql: str, params: tuple) -> list[tuple]:
    """Rows of ``sql`` as the driver returns them (positional parameters ``params``)."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()
