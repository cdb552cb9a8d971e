"""Article rows in their stored form, built without importing SQLAlchemy or SQLModel.

Kept light on purpose: for a large import, a child process builds these rows and ships
them to the process that writes them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from annotator.domain.records import ArticleRecord
from annotator.domain.text import content_hash

# Column order of the tuples article_rows() builds and store.articles inserts.
ARTICLE_COLUMNS = ("content_hash", "text", "title", "source", "external_id", "meta", "created_at")


def stored_timestamp(dialect: str) -> Any:
    """Now, as the article table stores it: SQLAlchemy's text form on SQLite, else a datetime."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else now


def article_rows(records: Sequence[ArticleRecord], dialect: str = "sqlite") -> list[tuple]:
    """Rows for already-normalised records, in ARTICLE_COLUMNS order but for the leading
    content hash, which add_hashes() puts in front: meta as JSON text, one timestamp."""
    stamp = stored_timestamp(dialect)
    dumps = json.dumps
    return [
        (
            r.text,
            r.title,
            r.source,
            r.external_id,
            dumps(r.meta, ensure_ascii=False) if r.meta else "{}",
            stamp,
        )
        for r in records
    ]


def add_hashes(rows: list[tuple]) -> list[tuple]:
    """Put each row's content hash in front. Done by the inserting process: with a large
    import split over two processes, that balances their work (parsing is the slower)."""
    return [(content_hash(row[0]), *row) for row in rows]
