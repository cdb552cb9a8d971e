from __future__ import annotations

from collections import Counter
from itertools import combinations

import pytest
from sqlalchemy import select

from annotator.domain.errors import InputError
from annotator.domain.spans import Kind, Status
from annotator.services.assigning import assign
from annotator.store import queue
from annotator.store.annotations import save_annotation
from annotator.store.assign import assign_articles, default_annotators
from annotator.store.models import Annotator, Article, QueueItem
from tests.conftest import dump


def _articles(store, n: int, start: int = 0) -> list[int]:
    with store.write() as session:
        rows = [Article(content_hash=f"h{i}", text=f"text {i}") for i in range(start, start + n)]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


def _assignment(store) -> dict[int, set[str]]:
    with store.read() as session:
        rows = session.execute(
            select(QueueItem.article_id, Annotator.name).join(
                Annotator, Annotator.id == QueueItem.annotator_id
            )
        )
        found: dict[int, set[str]] = {}
        for article_id, name in rows:
            found.setdefault(article_id, set()).add(name)
        return found


def _served(store, name: str) -> list[int]:
    """Every article the annotator is served, finishing each in turn."""
    served = []
    while True:
        with store.write() as session:
            person = queue.ensure_annotator(session, name)
            article_id = queue.next_article_id(session, person)
            if article_id is None:
                return served
            served.append(article_id)
            save_annotation(session, article_id=article_id, annotator=name, spans=[])


@pytest.mark.parametrize(
    ("articles", "people", "overlap"),
    [(30, 3, 2), (31, 4, 2), (25, 5, 3), (10, 3, 3), (7, 2, 1)],
)
def test_assign_gives_each_article_to_k_annotators_balanced(store, articles, people, overlap):
    ids = _articles(store, articles)
    names = [f"p{i}" for i in range(people)]
    report = assign(store, overlap=overlap, annotators=names)
    found = _assignment(store)
    assert sorted(found) == ids
    assert all(len(holders) == overlap for holders in found.values())
    loads = Counter(name for holders in found.values() for name in holders)
    assert max(loads.values()) - min(loads.values()) <= 1  # about N*K/n each
    assert sum(loads.values()) == articles * overlap
    assert report.given == {name: loads[name] for name in names}
    assert report.new == articles and report.switched


def test_assign_every_pair_shares_articles(store):
    _articles(store, 12)
    assign(store, overlap=2, annotators=["ana", "ben", "cy", "dee"])
    pairs = Counter(tuple(sorted(holders)) for holders in _assignment(store).values())
    assert set(pairs) == set(combinations(["ana", "ben", "cy", "dee"], 2))
    assert max(pairs.values()) - min(pairs.values()) <= 1


def test_assign_is_deterministic_whatever_the_order_of_names(tmp_path):
    from annotator.store.engine import open_store

    results = []
    for i, names in enumerate((["ana", "ben", "cy"], ["cy", "ana", "ben"])):
        s = open_store(tmp_path / f"{i}.db")
        _articles(s, 20)
        assign(s, overlap=2, annotators=names)
        results.append(_assignment(s))
        s.dispose()
    assert results[0] == results[1]


def test_assign_rerun_assigns_only_new_articles(store):
    first = _articles(store, 9)
    assign(store, overlap=2, annotators=["ana", "ben", "cy"])
    before = _assignment(store)
    again = assign(store, overlap=2, annotators=["ana", "ben", "cy"])
    assert (again.new, again.complete, again.switched) == (0, 9, False)
    assert _assignment(store) == before
    later = _articles(store, 3, start=100)
    report = assign(store, overlap=2, annotators=["ana", "ben", "cy"])
    after = _assignment(store)
    assert report.new == 3 and report.given == {"ana": 2, "ben": 2, "cy": 2}
    assert {k: v for k, v in after.items() if k in first} == before
    assert all(len(after[i]) == 2 for i in later)


def test_assign_serves_each_annotator_only_their_articles(store):
    _articles(store, 6)
    assign(store, overlap=2, annotators=["ana", "ben", "cy"])
    expected = _assignment(store)
    for name in ("ana", "ben", "cy"):
        mine = sorted(i for i, holders in expected.items() if name in holders)
        assert _served(store, name) == mine
    assert _served(store, "dee") == []  # not assigned anything


def test_assign_counts_existing_work_and_drops_open_mode_prefetch(store):
    ids = _articles(store, 4)
    with store.write() as session:  # open mode: ana's queue fills ahead, she finishes one
        ana = queue.ensure_annotator(session, "ana")
        assert queue.next_article_id(session, ana) == ids[0]
        save_annotation(session, article_id=ids[0], annotator="ana", spans=[])
        # imported work without a queue item, still in progress
        save_annotation(
            session, article_id=ids[1], annotator="zoe", spans=[], status=Status.IN_PROGRESS
        )
    report = assign(store, overlap=2, annotators=["ana", "ben", "cy"])
    found = _assignment(store)
    assert "ana" in found[ids[0]] and len(found[ids[0]]) == 2
    assert "zoe" in found[ids[1]] and len(found[ids[1]]) == 2  # zoe counts towards the 2
    assert report.topped_up == 2 and report.new == 2
    assert report.prefetched_removed == 3  # ana's queued but unstarted articles
    assert _served(store, "zoe") == [ids[1]]  # her unfinished work is still served


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"overlap": 3, "annotators": ["ana", "ben"]},
            "overlap 3 needs at least 3 annotators, got 2 (ana, ben)",
        ),
        ({"overlap": 0, "annotators": ["ana"]}, "overlap must be at least 1, got 0"),
        ({"overlap": 1, "annotators": ["ana", "ana"]}, "annotator named twice: ana"),
        ({"overlap": 1, "annotators": ["ana maria"]}, "annotator name 'ana maria' contains spaces"),
        ({"overlap": 1}, "no annotators yet"),
    ],
)
def test_assign_refuses_bad_requests_and_changes_nothing(store, db_path, kwargs, message):
    _articles(store, 3)
    before = dump(db_path)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        assign(store, **kwargs)
    assert dump(db_path) == before


def test_assign_dry_run_stores_nothing(store, db_path):
    _articles(store, 5)
    before = dump(db_path)
    report = assign(store, overlap=2, annotators=["ana", "ben"], dry_run=True)
    assert report.new == 5 and report.given == {"ana": 5, "ben": 5}
    assert dump(db_path) == before


def test_assign_default_annotators_leave_reviewers_out(store):
    [article] = _articles(store, 1)
    with store.write() as session:
        save_annotation(session, article_id=article, annotator="ana", spans=[])
        save_annotation(session, article_id=article, annotator="rev", spans=[], kind=Kind.GOLD)
        queue.ensure_annotator(session, "ben")
        assert default_annotators(session) == ["ana", "ben"]
        report = assign_articles(session, overlap=2)
    assert report.annotators == ["ana", "ben"]
