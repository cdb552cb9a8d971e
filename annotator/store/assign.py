"""Overlap: give each article to K annotators, balanced and deterministic, as queue items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, delete, exists, select
from sqlmodel import Session, col

from annotator.domain.errors import InputError
from annotator.domain.spans import Kind, Status
from annotator.store.annotations import log_event
from annotator.store.models import Annotation, Annotator, Article, QueueItem, key
from annotator.store.queue import (
    ASSIGNMENT,
    ensure_annotator,
    get_setting,
    insert_queue_items,
    set_setting,
)


@dataclass
class AssignReport:
    """What an assignment run did."""

    overlap: int
    annotators: list[str]
    new: int = 0  # articles nobody had, now given to `overlap` annotators
    topped_up: int = 0  # articles someone had already worked on, given to more
    complete: int = 0  # articles that already had `overlap` annotators or more
    short: int = 0  # articles that could not reach `overlap` (too few annotators free)
    given: dict[str, int] = field(default_factory=dict)  # new queue items per annotator
    prefetched_removed: int = 0  # open-mode queue entries dropped when switching mode
    switched: bool = False  # the project went from open to assigned mode


def default_annotators(session: Session) -> list[str]:
    """Every annotator except reviewers (those whose only work is gold), sorted by name."""
    reviewers_only = select(col(Annotation.annotator_id)).where(
        col(Annotation.kind) == Kind.GOLD.value
    )
    own_work = select(col(Annotation.annotator_id)).where(
        col(Annotation.kind) == Kind.ANNOTATION.value
    )
    rows = session.execute(
        select(col(Annotator.name))
        .where(~col(Annotator.id).in_(reviewers_only.except_(own_work)))
        .order_by(col(Annotator.name))
    )
    return [name for (name,) in rows]


def _drop_prefetched(session: Session) -> int:
    """Open mode queues articles ahead of time; those that nobody has started are not
    assignments and must not be served once articles are assigned."""
    started = exists().where(
        and_(
            col(Annotation.article_id) == col(QueueItem.article_id),
            col(Annotation.annotator_id) == col(QueueItem.annotator_id),
            col(Annotation.kind) == Kind.ANNOTATION.value,
        )
    )
    result = session.execute(
        delete(QueueItem).where(col(QueueItem.open) == True, ~started)  # noqa: E712
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


def _holders(session: Session) -> dict[int, set[int]]:
    """Article id -> annotators who have it in their queue or have worked on it."""
    holders: dict[int, set[int]] = {}
    for article_id, annotator_id in session.execute(
        select(col(QueueItem.article_id), col(QueueItem.annotator_id))
    ):
        holders.setdefault(article_id, set()).add(annotator_id)
    return holders


def _queue_existing_work(session: Session, holders: dict[int, set[int]]) -> None:
    """Queue items for annotations made without one (e.g. imported), so that in assigned
    mode unfinished work is still served and finished work counts as assigned."""
    rows = []
    for article_id, annotator_id, status in session.execute(
        select(
            col(Annotation.article_id), col(Annotation.annotator_id), col(Annotation.status)
        ).where(col(Annotation.kind) == Kind.ANNOTATION.value)
    ):
        if annotator_id not in holders.setdefault(article_id, set()):
            holders[article_id].add(annotator_id)
            rows.append(
                {
                    "annotator_id": annotator_id,
                    "article_id": article_id,
                    "position": article_id,
                    "open": status == Status.IN_PROGRESS.value,
                }
            )
    if rows:
        session.execute(insert_queue_items(session), rows)


def choose(
    candidates: Sequence[int],
    need: int,
    load: dict[int, int],
    together: dict[tuple[int, int], int],
    already: Sequence[int],
    turn: int,
) -> list[int]:
    """Pick ``need`` of ``candidates`` for one article: the least loaded first; among
    equals, those who have shared fewest articles with the ones already on it (so that
    every pair of annotators gets articles in common); then by a turn that rotates with
    the article, so that no one always wins ties."""
    chosen: list[int] = []
    on_it = list(already)
    pool = list(candidates)
    size = len(pool) or 1
    for _ in range(min(need, len(pool))):
        best = min(
            pool,
            key=lambda c: (
                load[c],
                sum(together.get((min(c, o), max(c, o)), 0) for o in on_it),
                (candidates.index(c) - turn) % size,
            ),
        )
        pool.remove(best)
        chosen.append(best)
        on_it.append(best)
    return chosen


def assign_articles(
    session: Session, *, overlap: int, annotators: Sequence[str] | None = None
) -> AssignReport:
    """Give every article that has fewer than ``overlap`` annotators to more of
    ``annotators`` (default: default_annotators()), until it has ``overlap``, and switch the
    project to assigned mode (each annotator is served only their queue).

    Anyone who already has an article (queued, or worked on it) counts towards its
    overlap, so a re-run only assigns articles imported since. Within a run each
    annotator gets about (articles x overlap / annotators) articles; the result depends
    only on the database and the arguments. Call inside a write session.
    """
    if overlap < 1:
        raise InputError(f"overlap must be at least 1, got {overlap}")
    if annotators is None:
        names = default_annotators(session)
    else:
        names = list(annotators)
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise InputError(f"annotator named twice: {', '.join(repeated)}")
    if len(names) < overlap:
        if not names:
            raise InputError("no annotators yet: name them, e.g. --annotators ana,ben,chloe")
        raise InputError(
            f"overlap {overlap} needs at least {overlap} annotators, "
            f"got {len(names)} ({', '.join(sorted(names))})"
        )
    people = sorted((ensure_annotator(session, name) for name in names), key=lambda p: p.name)
    ids: list[int] = []
    for p in people:
        assert p.id is not None  # ensure_annotator flushes new annotators
        ids.append(p.id)
    report = AssignReport(overlap=overlap, annotators=[p.name for p in people])
    if get_setting(session, ASSIGNMENT, "open") != "assigned":
        report.prefetched_removed = _drop_prefetched(session)
        report.switched = True
    holders = _holders(session)
    _queue_existing_work(session, holders)
    load = dict.fromkeys(ids, 0)
    together: dict[tuple[int, int], int] = {}
    rows = []
    article_ids = session.scalars(select(key(Article.id)).order_by(col(Article.id))).all()
    for turn, article_id in enumerate(article_ids):
        have = holders.get(article_id, set())
        if len(have) >= overlap:
            report.complete += 1
            continue
        picked = choose(
            [i for i in ids if i not in have],
            overlap - len(have),
            load,
            together,
            sorted(have),
            turn,
        )
        if len(have) + len(picked) < overlap:
            report.short += 1
        if have:
            report.topped_up += 1
        else:
            report.new += 1
        team = sorted(have | set(picked))
        for i, x in enumerate(team):
            for y in team[i + 1 :]:
                together[(x, y)] = together.get((x, y), 0) + 1
        for annotator_id in picked:
            load[annotator_id] += 1
            rows.append(
                {
                    "annotator_id": annotator_id,
                    "article_id": article_id,
                    "position": article_id,
                    "open": True,
                }
            )
    if rows:
        session.execute(insert_queue_items(session), rows)
    set_setting(session, ASSIGNMENT, "assigned")
    report.given = {p.name: load[i] for p, i in zip(people, ids, strict=True)}
    log_event(
        session,
        "assign",
        payload={
            "overlap": overlap,
            "annotators": report.annotators,
            "new": report.new,
            "topped_up": report.topped_up,
            "given": report.given,
        },
    )
    return report
