"""Counts for `annotator stats`: articles, annotators by status, labels, suggestions."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlmodel import Session

from annotator.domain.spans import Kind, Origin, Status
from annotator.store.models import Annotation, Annotator, Article, Span, Suggestion


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
    return dict(
        session.execute(
            select(Span.label, func.count())
            .join(Annotation, Span.annotation_id == Annotation.id)
            .where(
                Annotation.kind == Kind.ANNOTATION.value,
                Annotation.status == Status.DONE.value,
                Span.origin != Origin.SUGGESTED.value,
            )
            .group_by(Span.label)
            .order_by(func.count().desc(), Span.label)
        ).all()
    )


def project_stats(session: Session) -> ProjectStats:
    """Count everything in one read transaction (grouped queries, no per-row work)."""
    articles = session.scalar(select(func.count()).select_from(Article)) or 0
    people: dict[str, AnnotatorStats] = {
        name: AnnotatorStats(name)
        for (name,) in session.execute(select(Annotator.name).order_by(Annotator.name))
    }
    statuses = {s.value: 0 for s in Status}
    rows = session.execute(
        select(Annotator.name, Annotation.status, func.count())
        .join(Annotation, Annotation.annotator_id == Annotator.id)
        .where(Annotation.kind == Kind.ANNOTATION.value)
        .group_by(Annotator.name, Annotation.status)
    )
    for name, status, count in rows:
        people[name].statuses[status] = count
        statuses[status] = statuses.get(status, 0) + count
    done = Annotation.status == Status.DONE.value
    for name, count in session.execute(
        select(Annotator.name, func.count(Span.id))
        .join(Annotation, Annotation.annotator_id == Annotator.id)
        .join(Span, Span.annotation_id == Annotation.id)
        .where(Annotation.kind == Kind.ANNOTATION.value, done)
        .group_by(Annotator.name)
    ):
        people[name].spans = count
    labels = done_label_counts(session)
    suggestions = dict(
        session.execute(
            select(Suggestion.source, func.count())
            .group_by(Suggestion.source)
            .order_by(Suggestion.source)
        ).all()
    )
    gold = (
        session.scalar(
            select(func.count()).select_from(Annotation).where(Annotation.kind == Kind.GOLD.value)
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
