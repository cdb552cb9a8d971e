"""What the model-in-the-loop reads and writes: suggestions of an older model version
superseded by a newer one in articles nobody has opened, the unopened articles of an
annotator's queue, which sources had processed an article when it was seeded (from the
event log), and the suggestion runs of many articles at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Exists, and_, delete, exists, func, select, update
from sqlmodel import col

from annotator.domain.spans import Kind
from annotator.store.models import (
    Annotation,
    Annotator,
    Article,
    Event,
    QueueItem,
    Suggestion,
    SuggestionRun,
    key,
)

ID_SLICE = 500


def _opened() -> Exists:
    """Articles someone has opened: any annotation (own or gold) exists for them."""
    return exists().where(col(Annotation.article_id) == col(Article.id))


def drop_superseded(
    conn: Connection, *, prefix: str, keep: str, article_ids: Sequence[int] | None = None
) -> tuple[int, int]:
    """Delete the suggestions of every source that starts with ``prefix`` (a model's
    ``model:<name>@``) but is not ``keep``, in articles (of ``article_ids``, if given) that
    have no annotation at all; their run markers stay, with count 0, so that nothing
    suggests with the old version there again. Returns (articles, suggestions) removed."""
    older = and_(
        func.substr(col(Suggestion.source), 1, len(prefix)) == prefix,
        col(Suggestion.source) != keep,
    )
    unopened = ~exists().where(col(Annotation.article_id) == col(Suggestion.article_id))
    chunks: list[list[int] | None] = (
        [None]
        if article_ids is None
        else [list(article_ids[i : i + ID_SLICE]) for i in range(0, len(article_ids), ID_SLICE)]
    )
    articles = suggestions = 0
    for chunk in chunks:
        where: list[ColumnElement[bool]] = [older, unopened]
        if chunk is not None:
            where.append(col(Suggestion.article_id).in_(chunk))
        articles += conn.execute(
            select(func.count(func.distinct(col(Suggestion.article_id)))).where(*where)
        ).scalar_one()
        suggestions += conn.execute(delete(Suggestion).where(*where)).rowcount or 0
        run_where: list[ColumnElement[bool]] = [
            func.substr(col(SuggestionRun.source), 1, len(prefix)) == prefix,
            col(SuggestionRun.source) != keep,
            ~exists().where(col(Annotation.article_id) == col(SuggestionRun.article_id)),
        ]
        if chunk is not None:
            run_where.append(col(SuggestionRun.article_id).in_(chunk))
        conn.execute(update(SuggestionRun).where(*run_where).values(count=0))
    return articles, suggestions


def unopened_queue(conn: Connection, *, annotator_id: int, assigned: bool, limit: int) -> list[int]:
    """The next ``limit`` article ids this annotator will be served that nobody has opened:
    in assignment mode their open queue items by position; in open mode (everyone gets
    every article, in id order) the articles by id."""
    if assigned:
        query = (
            select(col(QueueItem.article_id))
            .join(Article, col(Article.id) == col(QueueItem.article_id))
            .where(col(QueueItem.annotator_id) == annotator_id, col(QueueItem.open) == True)  # noqa: E712
            .where(~_opened())
            .order_by(col(QueueItem.position))
        )
    else:
        query = select(key(Article.id)).where(~_opened()).order_by(col(Article.id))
    return [row[0] for row in conn.execute(query.limit(limit))]


def finished_count(conn: Connection, *, annotator_id: int) -> int:
    """How many of their own annotations this annotator has finished (any final status)."""
    return conn.execute(
        select(func.count())
        .select_from(Annotation)
        .where(
            col(Annotation.annotator_id) == annotator_id,
            col(Annotation.kind) == Kind.ANNOTATION.value,
            col(Annotation.status) != "in_progress",
        )
    ).scalar_one()


def seeded_at(conn: Connection) -> dict[tuple[int | None, str], datetime]:
    """(article id, None for an event without one; annotator name) -> when suggestions were first put into that
    annotator's own annotation of the article: the first "seed" event of the log."""
    rows = conn.execute(
        select(col(Event.article_id), col(Annotator.name), func.min(col(Event.at)))
        .join(Annotator, col(Annotator.id) == col(Event.annotator_id))
        .join(
            Annotation,
            and_(
                col(Annotation.id) == col(Event.annotation_id),
                col(Annotation.kind) == Kind.ANNOTATION.value,
            ),
        )
        .where(col(Event.action) == "seed")
        .group_by(col(Event.article_id), col(Annotator.name))
    )
    return {(row[0], row[1]): row[2] for row in rows}


def runs_for(conn: Connection, article_ids: Sequence[int]) -> dict[int, dict[str, datetime]]:
    """article id -> {source: when it processed the article} for these articles."""
    found: dict[int, dict[str, datetime]] = {i: {} for i in article_ids}
    ids = sorted(set(article_ids))
    for i in range(0, len(ids), ID_SLICE):
        rows = conn.execute(
            select(
                col(SuggestionRun.article_id),
                col(SuggestionRun.source),
                col(SuggestionRun.created_at),
            ).where(col(SuggestionRun.article_id).in_(ids[i : i + ID_SLICE]))
        )
        for article_id, source, created in rows:
            found[article_id][source] = created
    return found
