"""The first article of an annotation session, read with the stdlib sqlite3 module only.

Why: importing SQLAlchemy and SQLModel takes about half a second, longer than Textual
takes to draw its first screen. `annotator annotate` reads the first article through
this module before the app starts, shows it at once, and opens the real store (which
creates the annotation and seeds suggestions) in its database thread afterwards. It only
reads, and it answers None whenever anything is not as expected, so the caller falls
back to the full path. Tests check that it shows exactly what the full path shows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TypeVar

from annotator.domain.history import History
from annotator.domain.spans import Origin, Span, Status, seed_suggestions, unpack_offsets
from annotator.domain.workitem import LoadedArticle
from annotator.store.nextsql import next_open_params, next_open_sql
from annotator.store.version import SCHEMA_HEAD

T = TypeVar("T")


def sqlite_path(db: str) -> Path | None:
    """The file behind ``db`` if it is a SQLite database file (bare path or sqlite URL)."""
    if db.startswith("sqlite:///"):
        db = db[len("sqlite:///") :]
    elif "://" in db or db in ("", ":memory:"):
        return None
    path = Path(db).expanduser()
    return path if path.is_file() else None


class _Unknown(Exception):
    """This path cannot answer: the caller asks the full store."""


def _ask(db: str, question: Callable[[sqlite3.Connection], T]) -> T:
    """``question(connection)`` on a read-only connection to ``db``; _Unknown when ``db``
    is not a SQLite file of the current schema, or SQLite (or JSON) says no."""
    path = sqlite_path(db)
    if path is None:
        raise _Unknown
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        raise _Unknown from None
    try:
        version = _one(conn, "SELECT version_num FROM alembic_version")
        if version is None or version[0] != SCHEMA_HEAD:
            raise _Unknown
        return question(conn)
    except (sqlite3.Error, ValueError):
        raise _Unknown from None
    finally:
        conn.close()


def first_article(db: str, annotator: str, skip: Collection[int] = ()) -> LoadedArticle | None:
    """What the annotation screen would open first for ``annotator`` (leaving out the
    articles in ``skip``), or None if the full path must answer (no such file, another
    schema version, an empty queue to refill...). The screen also uses it to fetch the
    next article ahead of time."""
    try:
        return _ask(db, lambda conn: _read(conn, annotator, sorted(set(skip))))
    except _Unknown:
        return None


def stored_setting(db: str, key: str) -> tuple[bool, object]:
    """(True, the project setting ``key``'s value, None when unset) read with the stdlib
    alone, or (False, None) when this path cannot tell (not a SQLite file of our current
    schema), so that the caller asks the full store instead."""

    def value(conn: sqlite3.Connection) -> object:
        row = _one(conn, "SELECT value FROM setting WHERE key = ?", key)
        return json.loads(row[0]) if row and row[0] is not None else None

    try:
        return True, _ask(db, value)
    except _Unknown:
        return False, None


LABEL_SAMPLE = 50_000  # spans looked at to find the labels stored annotations use


def done_labels(db: str, sample: int = LABEL_SAMPLE) -> list[str] | None:
    """The labels of the annotators' finished annotations, in alphabetical order, found
    in the first ``sample`` of their spans (a label rarer than that may be missed: this
    is on the path to the first screen, and counting a million spans takes half a
    second); None when this path cannot tell."""

    def labels(conn: sqlite3.Connection) -> list[str]:
        rows = conn.execute(
            "SELECT DISTINCT label FROM (SELECT span.label AS label FROM span"
            " JOIN annotation ON span.annotation_id = annotation.id"
            " WHERE annotation.kind = 'annotation' AND annotation.status = 'done' LIMIT ?)"
            " ORDER BY label",
            (sample,),
        ).fetchall()
        return [label for (label,) in rows]

    try:
        return _ask(db, labels)
    except _Unknown:
        return None


def _not_in(column: str, values: list[int]) -> str:
    """An SQL condition leaving out ``values`` (true when there are none)."""
    if not values:
        return "1 = 1"
    return f"{column} NOT IN ({', '.join('?' * len(values))})"


def _one(conn: sqlite3.Connection, sql: str, *args: object) -> tuple | None:
    return conn.execute(sql, args).fetchone()


def _read(conn: sqlite3.Connection, annotator: str, skip: list[int]) -> LoadedArticle | None:
    setting = _one(conn, "SELECT value FROM setting WHERE key = 'assignment'")
    mode = json.loads(setting[0]) if setting and setting[0] else "open"
    person = _one(conn, "SELECT id FROM annotator WHERE name = ?", annotator)
    if person is None:
        if mode != "open":
            return None
        # A new annotator in open mode starts with the first article.
        row = _one(conn, f"SELECT min(id) FROM article WHERE {_not_in('id', skip)}", *skip)
        article_id = row[0] if row else None
        annotator_id = None
    else:
        annotator_id = person[0]
        row = conn.execute(
            next_open_sql(len(skip)), next_open_params(annotator_id, skip)
        ).fetchone()
        article_id = row[0] if row else None
    if article_id is None:
        return None
    article = _one(conn, "SELECT title, text, source FROM article WHERE id = ?", article_id)
    if article is None:
        return None
    title, text, source = article

    annotation = None
    if annotator_id is not None:
        annotation = _one(
            conn,
            "SELECT id, status, note, seeded FROM annotation "
            "WHERE article_id = ? AND annotator_id = ? AND kind = 'annotation'",
            article_id,
            annotator_id,
        )
    spans: list[Span] = []
    if annotation is not None:
        spans = [
            Span(start, end, label, Origin(origin))
            for start, end, label, origin in conn.execute(
                'SELECT start, "end", label, origin FROM span WHERE annotation_id = ? '
                'ORDER BY start, "end", label',
                (annotation[0],),
            )
        ]
    has_suggestions = _one(
        conn, "SELECT 1 FROM suggestionrun WHERE article_id = ? LIMIT 1", article_id
    )
    # As the full path does: suggestions go only into work in progress, once.
    if has_suggestions and (
        annotation is None or (not annotation[3] and annotation[1] == "in_progress")
    ):
        suggested = [
            Span(start, end, label, Origin.SUGGESTED, (source,))
            for start, end, label, source in conn.execute(
                'SELECT start, "end", label, source FROM suggestion WHERE article_id = ?',
                (article_id,),
            )
        ]
        spans = sorted(spans + seed_suggestions(suggested, spans, text), key=lambda s: s.key)

    config = _one(conn, "SELECT value FROM setting WHERE key = 'suggest'")
    tokenizer = (json.loads(config[0]) or {}).get("tokenizer_id") if config and config[0] else None
    if tokenizer:
        tokens_row = _one(
            conn,
            "SELECT offsets FROM tokens WHERE article_id = ? AND tokenizer = ?",
            article_id,
            tokenizer,
        )
    else:
        tokens_row = _one(
            conn,
            "SELECT offsets FROM tokens WHERE article_id = ? ORDER BY tokenizer LIMIT 1",
            article_id,
        )

    history = History()
    if annotation is not None:
        history = History.replay(
            (event_id, action, json.loads(payload))
            for event_id, action, payload in conn.execute(
                "SELECT id, action, payload FROM event WHERE annotation_id = ? ORDER BY id",
                (annotation[0],),
            )
        )
    return LoadedArticle(
        article_id=article_id,
        title=title,
        text=text,
        source=source,
        annotation_id=None if annotation is None else annotation[0],
        status=Status(annotation[1]) if annotation is not None else Status.IN_PROGRESS,
        note=annotation[2] if annotation is not None else "",
        spans=spans,
        has_suggestions=bool(has_suggestions),
        tokens=None if tokens_row is None else unpack_offsets(tokens_row[0]),
        history=history,
    )
