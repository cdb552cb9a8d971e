"""Bulk article insertion through SQLAlchemy Core, and article look-ups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Connection, column, func, select, table

from annotator.domain.records import ArticleRecord
from annotator.store.bulk import bulk_insert
from annotator.store.rows import ARTICLE_COLUMNS, add_hashes, article_rows

if TYPE_CHECKING:
    from sqlmodel import Session

# The columns the look-ups here read, as a Core table: importing goes without the ORM
# models (store.models, whose import costs SQLModel's and pydantic's start-up).
ARTICLE = table("article", column("id"), column("content_hash"))

# The bulk path inserts into an untyped view of the article table: values arrive already in
# their stored form (JSON text, timestamp string), so no per-row type processing is needed.
_ARTICLE_BULK = table("article", *(column(name) for name in ARTICLE_COLUMNS))


def insert_articles(conn: Connection, rows: list[tuple]) -> int:
    """Insert row tuples (ARTICLE_COLUMNS order) in one executemany, skipping texts already
    stored; returns how many were added.

    The statement comes from Core's insert() for the connection's dialect; the rows go to
    the driver's executemany as tuples (see store.bulk). Measured: SQLAlchemy turning
    100,000 dicts into parameters cost about as much as SQLite writing them.
    """
    return bulk_insert(conn, _ARTICLE_BULK, ARTICLE_COLUMNS, rows, ignore_on=["content_hash"])


def article_ids_by_hash(conn: Connection, hashes: Sequence[str]) -> dict[str, int]:
    """Map content hashes to the ids of the stored articles that have them."""
    found: dict[str, int] = {}
    unique = list(dict.fromkeys(hashes))
    for i in range(0, len(unique), 500):
        chunk = unique[i : i + 500]
        rows = conn.execute(
            select(ARTICLE.c.content_hash, ARTICLE.c.id).where(ARTICLE.c.content_hash.in_(chunk))
        )
        found.update({h: i for h, i in rows})
    return found


def ensure_articles(conn: Connection, records: Sequence[ArticleRecord]) -> tuple[list[int], int]:
    """Store the records' articles that are not stored yet (one executemany) and return the
    article id of each record, in order, and how many articles were new.

    An article already stored keeps its title and meta: its text is its identity.
    """
    if not records:
        return [], 0
    rows = add_hashes(article_rows(records, conn.dialect.name))
    added = insert_articles(conn, rows)
    ids = article_ids_by_hash(conn, [row[0] for row in rows])
    return [ids[row[0]] for row in rows], added


def count_articles(session: Session) -> int:
    """How many articles the database holds."""
    return session.scalar(select(func.count()).select_from(ARTICLE)) or 0
