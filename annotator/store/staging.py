"""Staged annotated imports: records go in through short write transactions as hidden rows,
and one final transaction (the flip) makes all of them visible at once.

Hidden means ``annotation.kind = 'importing'``: every reader of annotations selects a kind
(``annotation`` or ``gold``), so staged annotations, and the spans and events that hang off
them, are seen by nobody until the flip turns them into ``annotation`` rows; suggestions
wait in ``stagedsuggestion``, which nobody else reads, until the flip moves them into
``suggestion``. New articles and annotator names are inserted as they come (the hidden
annotations refer to them); the import's journal, a setting row written in the same
transactions, lists them, so that a failed, interrupted or killed import can be removed:
at once when it fails in-process, by the next import after a kill -9. Imports of one database run one at a time (a file lock on
SQLite, an advisory lock on PostgreSQL), so staged rows that no running import holds are
always a dead import's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, column, table

from annotator.store.articles import article_ids_by_hash, insert_articles
from annotator.store.bulk import bulk_insert, driver_sql, upsert_setting
from annotator.store.engine import Store
from annotator.store.rows import stored_timestamp

STAGED_KIND = "importing"
JOURNAL_KEY = "import.staged"
# PostgreSQL advisory lock key of the import lock: any fixed 64-bit number of our own.
_PG_IMPORT_LOCK = 7_316_220_114

ANNOTATION_COLUMNS = (
    "article_id",
    "annotator_id",
    "kind",
    "status",
    "note",
    "seeded",
    "version",
    "created_at",
    "updated_at",
)
SPAN_COLUMNS = ("annotation_id", "start", "end", "label", "origin")
EVENT_COLUMNS = ("at", "annotator_id", "article_id", "annotation_id", "action", "payload")

# Untyped views: every value arrives in its stored form (JSON text, timestamp string).
_ANNOTATION = table("annotation", column("id"), *(column(c) for c in ANNOTATION_COLUMNS))
_SPAN = table("span", *(column(c) for c in SPAN_COLUMNS))
_EVENT = table("event", *(column(c) for c in EVENT_COLUMNS))
_ANNOTATOR = table("annotator", column("name"), column("synced_upto"), column("created_at"))
STAGED_SUGGESTION_COLUMNS = ("article_id", "source", "start", "end", "label")
_STAGED_SUGGESTION = table("stagedsuggestion", *(column(c) for c in STAGED_SUGGESTION_COLUMNS))


@dataclass(slots=True)
class StagedRecord:
    """One record ready to stage: its article row (content hash first, ARTICLE_COLUMNS
    order) and, unless it only brings an article, who annotated it, the status, note,
    spans as (start, end, label, origin) tuples and the event payload as JSON text, whose
    "spans" are those spans (on SQLite they are stored from it)."""

    article: tuple
    annotator: str | None = None
    status: str = "done"
    note: str = ""
    spans: list[tuple] = field(default_factory=list)
    payload: str = "{}"


@dataclass
class Staging:
    """What one import has staged so far: annotator ids, the range of its hidden
    annotation ids, and its journal."""

    dialect: str
    annotators: dict[str, int] = field(default_factory=dict)
    new_articles: list[list[int]] = field(default_factory=list)  # id ranges [lo, hi]
    new_annotators: list[int] = field(default_factory=list)
    # The lowest and highest hidden annotation ids this import stored (None before the
    # first): which (article, annotator) pairs it staged is asked of the database, a chunk
    # at a time, so that memory does not grow with the import.
    first_hidden: int | None = None
    last_hidden: int = 0

    def journal(self) -> dict:
        return {"articles": self.new_articles, "annotators": self.new_annotators}

    def add_articles(self, ids: Iterable[int]) -> None:
        for i in sorted(ids):
            if self.new_articles and self.new_articles[-1][1] + 1 == i:
                self.new_articles[-1][1] = i
            else:
                self.new_articles.append([i, i])


@dataclass(slots=True)
class StagedChunk:
    """What one stage_records() call stored: article ids per record, how many articles
    were new, and how many records repeated an (article, annotator) of this import."""

    article_ids: list[int]
    added: int
    repeated: int


@contextmanager
def import_lock(store: Store) -> Iterator[None]:
    """Hold the database's import lock for the block: imports run one at a time (a second
    one waits). On SQLite a lock file next to the database (``.<name>.import-lock``),
    released by the system when the process dies; on PostgreSQL a session advisory lock,
    released by the server when the connection drops."""
    if store.is_sqlite:
        path = _sqlite_path(store)
        if path is None:  # an in-memory database: no other process can see it
            yield
            return
        import fcntl

        lock = path.with_name(f".{path.name}.import-lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock
        return
    with store.engine.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_lock({_PG_IMPORT_LOCK})")
        conn.commit()
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_PG_IMPORT_LOCK})")
            conn.commit()


def _sqlite_path(store: Store) -> Path | None:
    database = store.engine.url.database
    if not database or database == ":memory:":
        return None
    return Path(database)


def stage_records(
    conn: Connection, staging: Staging, records: Sequence[StagedRecord]
) -> StagedChunk:
    """Store a chunk of records hidden, in the caller's (short) write transaction: the new
    articles and annotator names, one hidden annotation per (article, annotator) with its
    spans and import event, and the journal. A record repeating an (article, annotator)
    of this import replaces the earlier one's status, note and spans."""
    dialect = staging.dialect
    stamp = stored_timestamp(dialect)
    hashes = [record.article[0] for record in records]
    known = article_ids_by_hash(conn, hashes)
    fresh: dict[str, tuple] = {}
    for record in records:
        if record.article[0] not in known:
            fresh.setdefault(record.article[0], record.article)
    added = 0
    created_ids: set[int] = set()
    if fresh:
        added = insert_articles(conn, list(fresh.values()))
        created = article_ids_by_hash(conn, list(fresh))
        staging.add_articles(created.values())
        known.update(created)
        created_ids = set(created.values())
    ids = [known[h] for h in hashes]

    _ensure_annotators(conn, staging, {r.annotator for r in records if r.annotator}, stamp)

    # One row per (article, annotator): later records of the chunk overwrite earlier ones.
    rows: dict[tuple[int, int], StagedRecord] = {}
    for record, article_id in zip(records, ids, strict=True):
        if record.annotator is not None:
            pair = (article_id, staging.annotators[record.annotator])
            rows[pair] = record
    # Pairs an earlier chunk staged: only on articles that existed before this chunk.
    hidden = _staged_pairs(conn, staging, {a for a, _ in rows} - created_ids)
    repeated = sum(1 for r in records if r.annotator is not None) - len(rows)
    repeated += sum(1 for pair in rows if pair in hidden)
    again = [(pair, record) for pair, record in rows.items() if pair in hidden]
    new = [(pair, record) for pair, record in rows.items() if pair not in hidden]
    if again:
        ids_again = [hidden[pair] for pair, _ in again]
        conn.exec_driver_sql(
            _sql(conn, "DELETE FROM span WHERE annotation_id = ?"), [(h,) for h in ids_again]
        )
        conn.exec_driver_sql(
            _sql(conn, "UPDATE annotation SET status = ?, note = ?, updated_at = ? WHERE id = ?"),
            [(r.status, r.note, stamp, h) for (_, r), h in zip(again, ids_again, strict=True)],
        )
    if new:
        bulk_insert(
            conn,
            _ANNOTATION,
            ANNOTATION_COLUMNS,
            [(a, p, STAGED_KIND, r.status, r.note, False, 1, stamp, stamp) for (a, p), r in new],
        )
        for hidden_id, article_id, annotator_id in conn.exec_driver_sql(
            _sql(
                conn,
                "SELECT id, article_id, annotator_id FROM annotation WHERE kind = ? AND id > ?",
            ),
            (STAGED_KIND, staging.last_hidden),
        ):
            hidden[(article_id, annotator_id)] = hidden_id
            staging.last_hidden = max(staging.last_hidden, hidden_id)
            if staging.first_hidden is None or hidden_id < staging.first_hidden:
                staging.first_hidden = hidden_id
    event_rows: list[tuple] = []
    for (article_id, annotator_id), record in rows.items():
        hidden_id = hidden[(article_id, annotator_id)]
        event_rows.append((stamp, annotator_id, article_id, hidden_id, "import", record.payload))
    _insert_spans(conn, [(hidden[pair], record) for pair, record in rows.items()])
    bulk_insert(conn, _EVENT, EVENT_COLUMNS, event_rows)
    # Written every chunk, so that the journal exists from the first staged row to the flip.
    upsert_setting(conn, JOURNAL_KEY, staging.journal())
    return StagedChunk(ids, added, repeated)


# SQLite reads each annotation's spans out of its event payload itself (json_each runs in
# the library, one statement per annotation): building a tuple per span and binding its
# five values one by one was about a fifth of the importing process's work.
_SPANS_FROM_PAYLOAD = (
    'INSERT INTO span (annotation_id, start, "end", label, origin) '
    "SELECT ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
    "json_extract(value, '$[2]'), json_extract(value, '$[3]') FROM json_each(?, '$.spans')"
)


def _staged_pairs(
    conn: Connection, staging: Staging, article_ids: set[int], *, per_query: int = 500
) -> dict[tuple[int, int], int]:
    """(article id, annotator id) -> hidden annotation id of what this import staged on
    ``article_ids`` (hidden rows are only ever the running import's: see the module)."""
    found: dict[tuple[int, int], int] = {}
    if staging.first_hidden is None or not article_ids:
        return found
    ordered = sorted(article_ids)
    for i in range(0, len(ordered), per_query):
        part = ordered[i : i + per_query]
        statement = _sql(
            conn,
            "SELECT id, article_id, annotator_id FROM annotation "
            f"WHERE kind = ? AND article_id IN ({', '.join('?' * len(part))})",
        )
        for hidden_id, article_id, annotator_id in conn.exec_driver_sql(
            statement, (STAGED_KIND, *part)
        ):
            found[(article_id, annotator_id)] = hidden_id
    return found


def _insert_spans(conn: Connection, staged: list[tuple[int, StagedRecord]]) -> None:
    """Insert the spans of each (hidden annotation id, record)."""
    expected = sum(len(record.spans) for _, record in staged)
    if not expected:
        return
    if conn.dialect.name != "sqlite":
        rows = [(hidden, *span) for hidden, record in staged for span in record.spans]
        bulk_insert(conn, _SPAN, SPAN_COLUMNS, rows)
        return
    params = [(hidden, record.payload) for hidden, record in staged if record.spans]
    added = conn.exec_driver_sql(_SPANS_FROM_PAYLOAD, params).rowcount
    if added != expected:
        # A payload whose spans are not the record's: the chunk's transaction is undone.
        raise RuntimeError(f"staging stored {added} spans where the records hold {expected}")


def _ensure_annotators(conn: Connection, staging: Staging, names: set[str], stamp) -> None:
    missing = sorted(names - staging.annotators.keys())
    if not missing:
        return
    select_ids = _sql(
        conn, f"SELECT name, id FROM annotator WHERE name IN ({', '.join('?' * len(missing))})"
    )
    found: dict[str, int] = dict(conn.exec_driver_sql(select_ids, tuple(missing)).all())
    absent = [name for name in missing if name not in found]
    if absent:
        bulk_insert(
            conn,
            _ANNOTATOR,
            ("name", "synced_upto", "created_at"),
            [(name, 0, stamp) for name in absent],
        )
        found = dict(conn.exec_driver_sql(select_ids, tuple(missing)).all())
        staging.new_annotators.extend(found[name] for name in absent)
    staging.annotators.update(found)


def stage_suggestions(conn: Connection, rows: list[tuple]) -> None:
    """Stage suggestions, in the caller's (short) write transaction, after stage_records
    stored their articles: rows of (article id, source, start, end, label), one of
    (article id, source, None, None, None) for a record that suggested nothing."""
    bulk_insert(conn, _STAGED_SUGGESTION, STAGED_SUGGESTION_COLUMNS, rows)


def publish_import(conn: Connection, staging: Staging) -> int:
    """The flip, in the caller's write transaction: staged annotations become visible,
    replacing what their annotators had on those articles (the stored annotation keeps
    its id and gets a new version), queues are opened or closed by the imported status,
    staged suggestions replace their sources' suggestions on their articles (each
    distinct span once, without a score), and the journal goes. Returns how many
    suggestions were stored."""
    stamp = stored_timestamp(staging.dialect)
    # Queues: a finished article leaves its annotator's queue, an unfinished one opens.
    if staging.first_hidden is not None:
        conn.exec_driver_sql(
            _sql(
                conn,
                "UPDATE queueitem SET open = (h.status = 'in_progress') FROM annotation AS h "
                "WHERE h.kind = ? AND h.id > ? AND queueitem.annotator_id = h.annotator_id "
                "AND queueitem.article_id = h.article_id",
            ),
            (STAGED_KIND, _first_hidden(staging)),
        )
    # Pairs the annotator already had: their spans and events move to the stored one.
    if staging.first_hidden is not None:
        for lo in range(staging.first_hidden, staging.last_hidden + 1, _REPLACE_WINDOW):
            _replace_stored(conn, lo, lo + _REPLACE_WINDOW - 1, stamp)
    if staging.first_hidden is not None:
        conn.exec_driver_sql(
            _sql(conn, "UPDATE annotation SET kind = 'annotation' WHERE kind = ? AND id > ?"),
            (STAGED_KIND, _first_hidden(staging)),
        )
    stored = _publish_suggestions(conn, stamp)
    conn.exec_driver_sql(_sql(conn, "DELETE FROM setting WHERE key = ?"), (JOURNAL_KEY,))
    return stored


# Hidden ids handled per step of the flip's replacement: what one step reads is bounded.
_REPLACE_WINDOW = 5000


def _replace_stored(conn: Connection, lo: int, hi: int, stamp) -> None:
    """For the hidden annotations with ids in [lo, hi] whose annotator already had the
    article: the stored annotation takes the hidden one's status, note, spans and events
    (and a new version), and the hidden one goes."""
    replaced = conn.exec_driver_sql(
        _sql(
            conn,
            "SELECT h.id, e.id, h.status, h.note FROM annotation AS h JOIN annotation AS e "
            "ON e.article_id = h.article_id AND e.annotator_id = h.annotator_id "
            "AND e.kind = 'annotation' WHERE h.kind = ? AND h.id >= ? AND h.id <= ?",
        ),
        (STAGED_KIND, lo, hi),
    ).all()
    if not replaced:
        return
    conn.exec_driver_sql(
        _sql(conn, "DELETE FROM span WHERE annotation_id = ?"),
        [(e,) for _, e, _, _ in replaced],
    )
    conn.exec_driver_sql(
        _sql(conn, "UPDATE span SET annotation_id = ? WHERE annotation_id = ?"),
        [(e, h) for h, e, _, _ in replaced],
    )
    conn.exec_driver_sql(
        _sql(conn, "UPDATE event SET annotation_id = ? WHERE annotation_id = ?"),
        [(e, h) for h, e, _, _ in replaced],
    )
    conn.exec_driver_sql(
        _sql(
            conn,
            "UPDATE annotation SET status = ?, note = ?, version = version + 1, "
            "updated_at = ? WHERE id = ?",
        ),
        [(status, note, stamp, e) for _, e, status, note in replaced],
    )
    conn.exec_driver_sql(
        _sql(conn, "DELETE FROM annotation WHERE id = ?"),
        [(h,) for h, _, _, _ in replaced],
    )


def _first_hidden(staging: Staging) -> int:
    """An id below every hidden annotation of this import (a range bound for the PK)."""
    return (staging.first_hidden or 1) - 1


# Each distinct staged row once (a record that suggested nothing adds one row of NULLs
# for its article and source), in the order of the key index.
_STAGED_DISTINCT = 'SELECT DISTINCT article_id, source, start, "end", label FROM stagedsuggestion'


def _publish_suggestions(conn: Connection, stamp) -> int:
    """Staged suggestions replace what their sources had suggested on their articles,
    with a run marker counting them; the staged rows go. Returns how many were stored."""
    if conn.exec_driver_sql("SELECT 1 FROM stagedsuggestion LIMIT 1").first() is None:
        return 0
    for name in ("suggestion", "suggestionrun"):
        conn.exec_driver_sql(
            f"DELETE FROM {name} WHERE EXISTS (SELECT 1 FROM stagedsuggestion AS s "
            f"WHERE s.article_id = {name}.article_id AND s.source = {name}.source)"
        )
    stored = conn.exec_driver_sql(
        'INSERT INTO suggestion (article_id, source, start, "end", label, score) '
        f'SELECT article_id, source, start, "end", label, NULL FROM ({_STAGED_DISTINCT}) AS d '
        'WHERE start IS NOT NULL ORDER BY article_id, source, start, "end", label'
    ).rowcount
    # count(start) leaves out the NULL row of a record that suggested nothing.
    conn.exec_driver_sql(
        _sql(
            conn,
            "INSERT INTO suggestionrun (article_id, source, count, created_at) "
            f"SELECT article_id, source, count(start), ? FROM ({_STAGED_DISTINCT}) AS d "
            "GROUP BY article_id, source ORDER BY article_id, source",
        ),
        (stamp,),
    )
    conn.exec_driver_sql("DELETE FROM stagedsuggestion")
    return max(stored, 0)


def staged_leftovers(conn: Connection) -> bool:
    """True when the database holds rows of an import that did not finish: its journal is
    written in every staging transaction and removed by the flip (or by the clean-up,
    last), so it exists exactly while staged rows may (a primary-key lookup)."""
    return (
        conn.exec_driver_sql(
            _sql(conn, "SELECT 1 FROM setting WHERE key = ?"), (JOURNAL_KEY,)
        ).first()
        is not None
    )


def discard_staged(store: Store, *, batch: int = 2000) -> bool:
    """Remove what an unfinished import staged (call it holding the import lock): hidden
    annotations with their spans and events, staged suggestions, then the articles and
    annotator names its journal lists that nothing else uses now. Each step is a short
    transaction; returns True when there was something to remove."""
    with store.engine.connect() as conn:
        journal = conn.exec_driver_sql(
            _sql(conn, "SELECT value FROM setting WHERE key = ?"), (JOURNAL_KEY,)
        ).scalar()
        hidden = [
            row[0]
            for row in conn.exec_driver_sql(
                _sql(conn, "SELECT id FROM annotation WHERE kind = ? ORDER BY id"), (STAGED_KIND,)
            )
        ]
        conn.rollback()
    if journal is None and not hidden:
        return False
    if isinstance(journal, str):
        journal = json.loads(journal)
    journal = journal or {}
    for i in range(0, len(hidden), batch):
        chunk = [(h,) for h in hidden[i : i + batch]]
        with store.write_connection() as conn:
            conn.exec_driver_sql(_sql(conn, "DELETE FROM event WHERE annotation_id = ?"), chunk)
            conn.exec_driver_sql(_sql(conn, "DELETE FROM span WHERE annotation_id = ?"), chunk)
            conn.exec_driver_sql(_sql(conn, "DELETE FROM annotation WHERE id = ?"), chunk)
    # Staged suggestions: 10 x batch rows a step, the rest at once.
    while True:
        with store.write_connection() as conn:
            last = conn.exec_driver_sql(
                _sql(
                    conn,
                    "SELECT id FROM stagedsuggestion ORDER BY id LIMIT 1 OFFSET ?",
                ),
                (batch * 10 - 1,),
            ).scalar()
            if last is None:
                conn.exec_driver_sql("DELETE FROM stagedsuggestion")
                break
            conn.exec_driver_sql(_sql(conn, "DELETE FROM stagedsuggestion WHERE id <= ?"), (last,))
    for lo, hi in journal.get("articles", []):
        for start in range(lo, hi + 1, batch):
            with store.write_connection() as conn:
                conn.exec_driver_sql(
                    _sql(
                        conn,
                        "DELETE FROM article WHERE id >= ? AND id <= ? AND NOT EXISTS "
                        "(SELECT 1 FROM annotation WHERE annotation.article_id = article.id)",
                    ),
                    (start, min(hi, start + batch - 1)),
                )
    with store.write_connection() as conn:
        people = journal.get("annotators", [])
        if people:
            conn.exec_driver_sql(
                _sql(
                    conn,
                    "DELETE FROM annotator WHERE id = ? "
                    "AND NOT EXISTS (SELECT 1 FROM annotation WHERE annotator_id = annotator.id) "
                    "AND NOT EXISTS (SELECT 1 FROM queueitem WHERE annotator_id = annotator.id) "
                    "AND NOT EXISTS (SELECT 1 FROM event WHERE annotator_id = annotator.id)",
                ),
                [(p,) for p in people],
            )
        conn.exec_driver_sql(_sql(conn, "DELETE FROM setting WHERE key = ?"), (JOURNAL_KEY,))
    return True


_sql = driver_sql
