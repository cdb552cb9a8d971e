"""What the model-in-the-loop reads and writes: suggestions of an older model version
superseded by a newer one in articles nobody has opened, the unopened articles of an
annotator's queue, which sources had processed an article when it was seeded (from the
event log), the suggestion runs of many articles at once, and for `--order uncertain`
each article's suggestions by source and the queue's new positions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    Exists,
    and_,
    bindparam,
    delete,
    exists,
    func,
    select,
    update,
)
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
    their open queue items by position; in open mode (everyone gets every article, the
    queue filled a batch at a time in id order) then the articles not queued yet, by id."""
    query = (
        select(col(QueueItem.article_id))
        .join(Article, col(Article.id) == col(QueueItem.article_id))
        .where(col(QueueItem.annotator_id) == annotator_id, col(QueueItem.open) == True)  # noqa: E712
        .where(~_opened())
        .order_by(col(QueueItem.position))
    )
    found = [row[0] for row in conn.execute(query.limit(limit))]
    if assigned or len(found) >= limit:
        return found
    synced = conn.execute(
        select(col(Annotator.synced_upto)).where(col(Annotator.id) == annotator_id)
    ).scalar_one_or_none()
    rest = (
        select(key(Article.id))
        .where(col(Article.id) > (synced or 0), ~_opened())
        .order_by(col(Article.id))
        .limit(limit - len(found))
    )
    return found + [row[0] for row in conn.execute(rest)]


def own_unopened(conn: Connection, *, annotator_id: int) -> list[int]:
    """The article ids of the annotator's open queue items that they have not opened (no
    annotation of their own yet), by position: what `--order` may reorder."""
    own = exists().where(
        col(Annotation.article_id) == col(QueueItem.article_id),
        col(Annotation.annotator_id) == annotator_id,
        col(Annotation.kind) == Kind.ANNOTATION.value,
    )
    query = (
        select(col(QueueItem.article_id))
        .where(col(QueueItem.annotator_id) == annotator_id, col(QueueItem.open) == True)  # noqa: E712
        .where(~own)
        .order_by(col(QueueItem.position), col(QueueItem.article_id))
    )
    return [row[0] for row in conn.execute(query)]


def spans_by_source(
    conn: Connection, article_ids: Sequence[int], *, scan_above: int = 4 * ID_SLICE
) -> dict[int, dict[str, set[tuple[int, int, str]]]]:
    """article id -> {source that processed it: its suggested (start, end, label)}; a
    source that processed an article and found nothing maps to an empty set. More than
    ``scan_above`` ids are read with one scan of each table (faster than many IN lists),
    fewer by id."""
    found: dict[int, dict[str, set[tuple[int, int, str]]]] = {i: {} for i in article_ids}
    ids = sorted(found)
    runs = select(col(SuggestionRun.article_id), col(SuggestionRun.source))
    rows = select(
        col(Suggestion.article_id),
        col(Suggestion.source),
        col(Suggestion.start),
        col(Suggestion.end),
        col(Suggestion.label),
    )
    if len(ids) > scan_above:
        chunks: list[tuple] = [(runs, rows)]
    else:
        chunks = [
            (
                runs.where(col(SuggestionRun.article_id).in_(ids[i : i + ID_SLICE])),
                rows.where(col(Suggestion.article_id).in_(ids[i : i + ID_SLICE])),
            )
            for i in range(0, len(ids), ID_SLICE)
        ]
    for run_query, row_query in chunks:
        for article_id, source in conn.execute(run_query):
            sources = found.get(article_id)
            if sources is not None:
                sources.setdefault(source, set())
        for article_id, source, start, end, label in conn.execute(row_query):
            sources = found.get(article_id)
            if sources is not None:
                sources.setdefault(source, set()).add((start, end, label))
    return found


def set_order(conn: Connection, *, annotator_id: int, ordered: Sequence[int]) -> int:
    """Give the annotator's queue items of ``ordered`` the positions those items hold now,
    sorted, in the order given: the items swap places among themselves and every other
    item (finished, opened, or queued later in open mode) keeps its own. Returns how many
    items moved."""
    positions: dict[int, int] = {}
    ids = list(ordered)
    for i in range(0, len(ids), ID_SLICE):
        rows = conn.execute(
            select(col(QueueItem.article_id), col(QueueItem.position)).where(
                col(QueueItem.annotator_id) == annotator_id,
                col(QueueItem.article_id).in_(ids[i : i + ID_SLICE]),
            )
        )
        positions.update({article_id: position for article_id, position in rows})
    ids = [i for i in ids if i in positions]
    slots = sorted(positions[i] for i in ids)
    moves = [
        {"a": article_id, "p": slot}
        for article_id, slot in zip(ids, slots, strict=True)
        if positions[article_id] != slot
    ]
    if moves:
        conn.execute(
            update(QueueItem)
            .where(
                col(QueueItem.annotator_id) == annotator_id,
                col(QueueItem.article_id) == bindparam("a"),
            )
            .values(position=bindparam("p")),
            moves,
        )
    return len(moves)


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
