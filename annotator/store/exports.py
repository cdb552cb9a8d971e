"""The read side of exports: annotations streamed as domain records, straight from the
driver's cursor, a chunk of annotations (and their spans) at a time.

The same rows, in the same order, as store.annotations.stored_annotations() (article id,
annotator name), reduced to what a format writer needs. Building a StoredAnnotation per
annotation and then a record from it, with SQLAlchemy's result processing per row, took
about as long as SQLite's reading (measured on a doccano export of 9,000 annotations).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass

from sqlalchemy import Connection

from annotator.domain.records import AnnotatedRecord, ArticleRecord
from annotator.domain.spans import Kind, Origin, Span, Status
from annotator.store.bulk import driver_sql

_ANNOTATIONS = (
    "SELECT a.id, a.article_id, a.status, a.note, t.text, t.title, t.source, t.external_id, "
    "t.meta, p.name FROM annotation AS a JOIN article AS t ON t.id = a.article_id "
    "JOIN annotator AS p ON p.id = a.annotator_id WHERE a.kind = ?"
)
# Pending suggestions inside an annotation are not the annotator's spans: left out here.
_SPANS = (
    'SELECT annotation_id, start, "end", label, origin FROM span '
    "WHERE origin <> 'suggested' AND annotation_id IN ({marks}) "
    'ORDER BY annotation_id, start, "end", label'
)


def _selection(
    source: str, status: str, articles: tuple[int | None, int | None], ordered: bool = True
) -> tuple[str, list]:
    """The conditions and order (after the kind) of the annotations an export selects,
    with their parameters: shared by selected_articles and export_records, so that both
    see the same annotations in the same order."""
    sql = ""
    params: list = [Kind.GOLD.value if source == "gold" else Kind.ANNOTATION.value]
    if source not in ("all", "gold"):
        sql += " AND p.name = ?"
        params.append(source)
    if status != "all":
        sql += " AND a.status = ?"
        params.append(Status(status).value)
    after, upto = articles
    if after is not None:
        sql += " AND a.article_id > ?"
        params.append(after)
    if upto is not None:
        sql += " AND a.article_id <= ?"
        params.append(upto)
    return (sql + " ORDER BY a.article_id, p.name" if ordered else sql), params


@dataclass(frozen=True)
class SelectionSummary:
    """What an export selects, counted by the database: how many annotations, of how many
    articles, by whom, and the first article (by id) with more than one of them."""

    annotations: int
    articles: int
    annotators: list[str]
    twice: int | None


def selection_summary(
    conn: Connection, *, source: str = "all", status: str = "done"
) -> SelectionSummary:
    """The SelectionSummary of the annotations selected_articles would list, in three
    queries that hold no row of the selection in this process (at 3,000,000 annotations
    the list of them took about 1.1 GB)."""
    where, params = _selection(source, status, (None, None), ordered=False)
    rows = (
        "FROM annotation AS a JOIN annotator AS p ON p.id = a.annotator_id WHERE a.kind = ?" + where
    )

    def run(sql: str):
        return conn.exec_driver_sql(driver_sql(conn, sql), tuple(params))

    annotations, articles = run("SELECT count(*), count(DISTINCT a.article_id) " + rows).one()
    names = sorted(row[0] for row in run("SELECT DISTINCT p.name " + rows))
    twice = run(
        "SELECT a.article_id " + rows + " GROUP BY a.article_id HAVING count(*) > 1 "
        "ORDER BY a.article_id LIMIT 1"
    ).scalar()
    return SelectionSummary(annotations, articles, names, twice)


def selected_articles(
    conn: Connection,
    *,
    source: str = "all",
    status: str = "done",
    articles: tuple[int | None, int | None] = (None, None),
) -> list[tuple[int, str, str]]:
    """(article id, content hash, annotator name) of each annotation export_records would
    yield, in the same order, without texts or spans: what the spaCy export needs before
    it starts (the train/dev split by content hash, the halves its two processes build).
    Other exports need only selection_summary."""
    where, params = _selection(source, status, articles)
    sql = (
        "SELECT a.article_id, t.content_hash, p.name FROM annotation AS a "
        "JOIN article AS t ON t.id = a.article_id "
        "JOIN annotator AS p ON p.id = a.annotator_id WHERE a.kind = ?" + where
    )
    # The few annotator names are shared, not one string per row.
    return [
        (row[0], row[1], sys.intern(row[2]))
        for row in conn.exec_driver_sql(driver_sql(conn, sql), tuple(params))
    ]


def export_records(
    conn: Connection,
    *,
    source: str = "all",
    status: str = "done",
    articles: tuple[int | None, int | None] = (None, None),
    chunk: int = 500,
) -> Iterator[AnnotatedRecord]:
    """The annotations an export selects, as records with ``article_id`` set and their
    spans by start, end, label: ``source`` "gold", "all" (every annotator's own) or one
    annotator's name; ``status`` "done", "all" or another status; article ids in
    ``articles`` = (after, upto] (None: no bound). Run it inside the export's one read
    transaction (``conn``)."""
    where, params = _selection(source, status, articles)
    sql = _ANNOTATIONS + where
    raw = conn.connection.dbapi_connection
    assert raw is not None
    # PostgreSQL: a server-side cursor, so that the rows come a chunk at a time there too.
    annotations = (
        raw.cursor(name="annotator_export") if conn.dialect.name == "postgresql" else raw.cursor()
    )
    spans_cursor = raw.cursor()
    origins = {origin.value: origin for origin in Origin}
    statuses = {s.value: s for s in Status}
    loads = json.loads
    try:
        annotations.execute(driver_sql(conn, sql), tuple(params))
        while True:
            rows = annotations.fetchmany(chunk)
            if not rows:
                return
            ids = [row[0] for row in rows]
            spans: dict[int, list[Span]] = {i: [] for i in ids}
            marks = ", ".join("?" * len(ids))
            spans_cursor.execute(driver_sql(conn, _SPANS.format(marks=marks)), ids)
            for annotation_id, start, end, label, origin in spans_cursor.fetchall():
                spans[annotation_id].append(Span(start, end, label, origins[origin]))
            for annotation_id, article_id, state, note, text, title, src, ext, meta, name in rows:
                yield AnnotatedRecord(
                    article=ArticleRecord(
                        text=text,
                        title=title,
                        source=src,
                        meta=loads(meta) if isinstance(meta, str) else meta,
                        external_id=ext,
                        where=f"article {article_id}",
                    ),
                    spans=spans[annotation_id],
                    annotator=name,
                    status=statuses[state],
                    note=note,
                    article_id=article_id,
                )
    finally:
        for cursor in (annotations, spans_cursor):
            # A generator dropped late may find its connection closed already.
            with suppress(Exception):
                cursor.close()


def annotator_names(conn: Connection) -> list[str]:
    """Every annotator's name, sorted."""
    return [row[0] for row in conn.exec_driver_sql("SELECT name FROM annotator ORDER BY name")]


def article_title(conn: Connection, article_id: int) -> str | None:
    """The title of an article, or None when there is no such article."""
    row = conn.exec_driver_sql(
        driver_sql(conn, "SELECT title FROM article WHERE id = ?"), (article_id,)
    ).first()
    return None if row is None else row[0]


def suggestions_by_article(
    conn: Connection, article_ids: list[int]
) -> dict[int, list[tuple[str, int, int, str]]]:
    """The suggestions of these articles as (source, start, end, label), by article, each
    article's ordered by source, start, end, label: one query per 500 articles."""
    found: dict[int, list[tuple[str, int, int, str]]] = {i: [] for i in article_ids}
    unique = list(dict.fromkeys(article_ids))
    for i in range(0, len(unique), 500):
        chunk = unique[i : i + 500]
        sql = (
            'SELECT article_id, source, start, "end", label FROM suggestion '
            f"WHERE article_id IN ({', '.join('?' * len(chunk))}) "
            'ORDER BY article_id, source, start, "end", label'
        )
        for article_id, source, start, end, label in conn.exec_driver_sql(
            driver_sql(conn, sql), tuple(chunk)
        ):
            found[article_id].append((source, start, end, label))
    return found
