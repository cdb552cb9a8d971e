"""What the model-in-the-loop reads and writes: suggestions of an older model version
superseded by a newer one in articles nobody has opened, the unopened articles of an
annotator's queue, which sources had processed an article when it was seeded (from the
event log), and the suggestion runs of many articles at once."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, and_, delete, exists, func, select, update

from annotator.domain.spans import Kind
from annotator.store.models import (
    Annotation,
    Annotator,
    Article,
    Event,
    QueueItem,
    Suggestion,
    SuggestionRun,
)

ID_SLICE = 500


def _opened():
    """Articles someone has opened: any annotation (own or gold) exists for them."""
    return exists().where(Annotation.article_id == Article.id)


def drop_superseded(
    conn: Connection, *, prefix: str, keep: str, article_ids: Sequence[int] | None = None
) -> tuple[int, int]:
    """Delete the suggestions of every source that starts with ``prefix`` (a model's
    ``model:<name>@``) but is not ``keep``, in articles (of ``article_ids``, if given) that
    have no annotation at all; their run markers stay, with count 0, so that nothing
    suggests with the old version there again. Returns (articles, suggestions) removed."""
    older = and_(
        func.substr(Suggestion.source, 1, len(prefix)) == prefix,
        Suggestion.source != keep,
    )
    unopened = ~exists().where(Annotation.article_id == Suggestion.article_id)
    chunks: list[list[int] | None] = (
        [None]
        if article_ids is None
        else [list(article_ids[i : i + ID_SLICE]) for i in range(0, len(article_ids), ID_SLICE)]
    )
    articles = suggestions = 0
    for chunk in chunks:
        where = [older, unopened]
        if chunk is not None:
            where.append(Suggestion.article_id.in_(chunk))  # type: ignore[attr-defined]
        articles += conn.execute(
            select(func.count(func.distinct(Suggestion.article_id))).where(*where)
        ).scalar_one()
        suggestions += conn.execute(delete(Suggestion).where(*where)).rowcount or 0
        run_where = [
            func.substr(SuggestionRun.source, 1, len(prefix)) == prefix,
            SuggestionRun.source != keep,
            ~exists().where(Annotation.article_id == SuggestionRun.article_id),
        ]
        if chunk is not None:
            run_where.append(SuggestionRun.article_id.in_(chunk))  # type: ignore[attr-defined]
        conn.execute(update(SuggestionRun).where(*run_where).values(count=0))
    return articles, suggestions


def unopened_queue(conn: Connection, *, annotator_id: int, assigned: bool, limit: int) -> list[int]:
    """The next ``limit`` article ids this annotator will be served that nobody has opened:
    in assignment mode their open queue items by position; in open mode (everyone gets
    every article, in id order) the articles by id."""
    if assigned:
        query = (
            select(QueueItem.article_id)
            .join(Article, Article.id == QueueItem.article_id)
            .where(QueueItem.annotator_id == annotator_id, QueueItem.open == True)  # noqa: E712
            .where(~_opened())
            .order_by(QueueItem.position)
        )
    else:
        query = select(Article.id).where(~_opened()).order_by(Article.id)
    return [row[0] for row in conn.execute(query.limit(limit))]


def finished_count(conn: Connection, *, annotator_id: int) -> int:
    """How many of their own annotations this annotator has finished (any final status)."""
    return conn.execute(
        select(func.count())
        .select_from(Annotation)
        .where(
            Annotation.annotator_id == annotator_id,
            Annotation.kind == Kind.ANNOTATION.value,
            Annotation.status != "in_progress",
        )
    ).scalar_one()


def seeded_at(conn: Connection) -> dict[tuple[int, str], object]:
    """(article id, annotator name) -> when suggestions were first put into that
    annotator's own annotation of the article: the first "seed" event of the log."""
    rows = conn.execute(
        select(Event.article_id, Annotator.name, func.min(Event.at))
        .join(Annotator, Annotator.id == Event.annotator_id)
        .join(
            Annotation,
            and_(
                Annotation.id == Event.annotation_id,
                Annotation.kind == Kind.ANNOTATION.value,
            ),
        )
        .where(Event.action == "seed")
        .group_by(Event.article_id, Annotator.name)
    )
    return {(row[0], row[1]): row[2] for row in rows}


def runs_for(conn: Connection, article_ids: Sequence[int]) -> dict[int, dict[str, object]]:
    """article id -> {source: when it processed the article} for these articles."""
    found: dict[int, dict[str, object]] = {i: {} for i in article_ids}
    ids = sorted(set(article_ids))
    for i in range(0, len(ids), ID_SLICE):
        rows = conn.execute(
            select(SuggestionRun.article_id, SuggestionRun.source, SuggestionRun.created_at).where(
                SuggestionRun.article_id.in_(ids[i : i + ID_SLICE])  # type: ignore[attr-defined]
            )
        )
        for article_id, source, created in rows:
            found[article_id][source] = created
    return found
