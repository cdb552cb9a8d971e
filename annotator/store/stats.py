"""Counts for `annotator stats`: articles, annotators by status, labels, suggestions."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.domain.spans import Kind, Origin, Status
from annotator.store.version import SCHEMA_HEAD

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass
class AnnotatorStats:
    """One annotator's annotations by status, and the spans in their finished ones."""

    name: str
    statuses: dict[str, int] = field(default_factory=dict)
    spans: int = 0


@dataclass
class ProjectStats:
    """The numbers `annotator stats` shows."""

    articles: int
    annotators: list[AnnotatorStats]
    statuses: dict[str, int]
    labels: dict[str, int]
    suggestions: dict[str, int]
    gold: int


def done_label_counts(session: Session) -> dict[str, int]:
    """Spans by label in the annotators' finished annotations, most frequent first."""
    from sqlalchemy import func, select
    from sqlmodel import col

    from annotator.store.models import Annotation, Span

    return dict(
        session.execute(
            select(col(Span.label), func.count())
            .join(Annotation, col(Span.annotation_id) == col(Annotation.id))
            .where(
                col(Annotation.kind) == Kind.ANNOTATION.value,
                col(Annotation.status) == Status.DONE.value,
                col(Span.origin) != Origin.SUGGESTED.value,
            )
            .group_by(col(Span.label))
            .order_by(func.count().desc(), col(Span.label))
        ).all()
    )


def project_stats(session: Session) -> ProjectStats:
    """Count everything in one read transaction (grouped queries, no per-row work)."""
    from sqlalchemy import func, select
    from sqlmodel import col

    from annotator.store.models import Annotation, Annotator, Article, Span, Suggestion

    articles = session.scalar(select(func.count()).select_from(Article)) or 0
    people: dict[str, AnnotatorStats] = {
        name: AnnotatorStats(name)
        for (name,) in session.execute(select(col(Annotator.name)).order_by(col(Annotator.name)))
    }
    statuses = {s.value: 0 for s in Status}
    rows = session.execute(
        select(col(Annotator.name), col(Annotation.status), func.count())
        .join(Annotation, col(Annotation.annotator_id) == col(Annotator.id))
        .where(col(Annotation.kind) == Kind.ANNOTATION.value)
        .group_by(col(Annotator.name), col(Annotation.status))
    )
    for name, status, count in rows:
        people[name].statuses[status] = count
        statuses[status] = statuses.get(status, 0) + count
    done = col(Annotation.status) == Status.DONE.value
    for name, count in session.execute(
        select(col(Annotator.name), func.count(col(Span.id)))
        .join(Annotation, col(Annotation.annotator_id) == col(Annotator.id))
        .join(Span, col(Span.annotation_id) == col(Annotation.id))
        .where(col(Annotation.kind) == Kind.ANNOTATION.value, done)
        .group_by(col(Annotator.name))
    ):
        people[name].spans = count
    labels = done_label_counts(session)
    suggestions = dict(
        session.execute(
            select(col(Suggestion.source), func.count())
            .group_by(col(Suggestion.source))
            .order_by(col(Suggestion.source))
        ).all()
    )
    gold = (
        session.scalar(
            select(func.count())
            .select_from(Annotation)
            .where(col(Annotation.kind) == Kind.GOLD.value)
        )
        or 0
    )
    return ProjectStats(
        articles=articles,
        annotators=list(people.values()),
        statuses=statuses,
        labels=labels,
        suggestions=suggestions,
        gold=gold,
    )


# The same counts in plain SQL, for the stdlib sqlite3 path of `annotator stats`: on a
# small project, importing SQLAlchemy and SQLModel took most of the command's time.
_SQL = {
    "articles": "SELECT count(*) FROM article",
    "annotators": "SELECT name FROM annotator ORDER BY name",
    "statuses": "SELECT p.name, a.status, count(*) FROM annotator p JOIN annotation a "
    "ON a.annotator_id = p.id WHERE a.kind = 'annotation' GROUP BY p.name, a.status",
    "spans": "SELECT p.name, count(s.id) FROM annotator p JOIN annotation a ON a.annotator_id "
    "= p.id JOIN span s ON s.annotation_id = a.id WHERE a.kind = 'annotation' "
    "AND a.status = 'done' GROUP BY p.name",
    "labels": "SELECT s.label, count(*) FROM span s JOIN annotation a ON s.annotation_id = a.id "
    "WHERE a.kind = 'annotation' AND a.status = 'done' AND s.origin <> 'suggested' "
    "GROUP BY s.label "
    "ORDER BY count(*) DESC, s.label",
    "suggestions": "SELECT source, count(*) FROM suggestion GROUP BY source ORDER BY source",
    "gold": "SELECT count(*) FROM annotation WHERE kind = 'gold'",
}


def sqlite_project_stats(path: Path) -> ProjectStats | None:
    """project_stats() read with the stdlib sqlite3 module from the SQLite file ``path``,
    or None when this cannot answer (no such file, another schema version, any SQLite
    error): the caller then opens the full store, which upgrades or explains."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    except (sqlite3.Error, OSError):
        return None
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        if row != [(SCHEMA_HEAD,)]:
            return None
        conn.execute("BEGIN")  # one read transaction: the counts agree with each other
        people = {name: AnnotatorStats(name) for (name,) in conn.execute(_SQL["annotators"])}
        statuses = {s.value: 0 for s in Status}
        for name, status, count in conn.execute(_SQL["statuses"]):
            people[name].statuses[status] = count
            statuses[status] = statuses.get(status, 0) + count
        for name, count in conn.execute(_SQL["spans"]):
            people[name].spans = count
        stats = ProjectStats(
            articles=conn.execute(_SQL["articles"]).fetchone()[0],
            annotators=list(people.values()),
            statuses=statuses,
            labels=dict(conn.execute(_SQL["labels"]).fetchall()),
            suggestions=dict(conn.execute(_SQL["suggestions"]).fetchall()),
            gold=conn.execute(_SQL["gold"]).fetchone()[0],
        )
        assert Kind.GOLD.value == "gold" and Kind.ANNOTATION.value == "annotation"
        return stats
    except sqlite3.Error:
        return None
    finally:
        conn.close()
