"""The retrainer behind `annotate --retrain-every N`: a real helper process trains on the
finished work and re-suggests the annotator's next unopened articles; the caller never
waits."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from annotator.domain.errors import InputError
from annotator.domain.spans import Origin, Span, Status
from annotator.nlp.suggester import SuggestConfig
from annotator.services.annotating import AnnotationSession
from annotator.services.retraining import Retrainer, default_models_dir
from annotator.services.suggesting import save_project_config
from annotator.store.models import Suggestion
from tests.exchange import Annotation, Article, new_store, populate
from tests.synthetic import make_task


def _project(folder: Path, finished: int, articles: int = 40):
    task = make_task(articles)
    store = new_store(folder, "loop.db")
    ids = populate(
        store,
        [Article(t.text, t.title) for t in task],
        [
            Annotation(i, "ana", [Span(s, e, label, Origin.MANUAL) for s, e, label in t.truth])
            for i, t in enumerate(task[:finished])
        ],
    )
    save_project_config(store, SuggestConfig())
    return store, ids


def test_retrainer_trains_in_a_helper_and_resuggests_the_unopened_queue(tmp_path):
    store, ids = _project(tmp_path, finished=12)
    session = AnnotationSession(store, "ana")
    opened = session.load(ids[12])  # ana has this one open: it must stay as it is
    results = []
    retrainer = Retrainer(
        str(tmp_path / "loop.db"),
        "ana",
        every=2,
        max_steps=10,
        lookahead=6,
        on_result=results.append,
    )
    assert retrainer.status() is None
    started = time.perf_counter()
    assert retrainer.finished_one(ids[10]) is False
    assert retrainer.finished_one(ids[11]) is True
    assert time.perf_counter() - started < 0.1  # the caller never waits for training
    assert retrainer.running
    assert retrainer.wait(timeout=300)
    assert retrainer.error is None and retrainer.skipped is None
    version, f1 = retrainer.status()
    result = results[0]
    assert result.version == version and result.f1 == f1 and 0.0 <= f1 <= 1.0
    assert result.trained_on == 12 and result.articles == 6
    assert Path(result.model).parent.parent == tmp_path / "models"
    with store.read() as db:
        suggested = set(
            db.scalars(select(Suggestion.article_id).where(Suggestion.source == result.source))
        )
        runs = {
            row[0]
            for row in db.execute(
                select(Suggestion.article_id).where(Suggestion.source.like("model:%"))
            )
        }
    assert suggested <= set(ids[13:19]) and runs <= set(ids[13:19])
    # The model is now the project's suggester, for the next screen that starts.
    from annotator.services.suggesting import project_config

    assert project_config(store).model == result.model
    assert AnnotationSession(store, "ana").load(ids[12]).spans == opened.spans
    retrainer.close()


def test_retrainer_skips_with_too_little_data_and_coalesces_finishes(tmp_path):
    store, ids = _project(tmp_path, finished=3)
    retrainer = Retrainer(str(tmp_path / "loop.db"), "ana", every=1, max_steps=5)
    assert retrainer.finished_one(ids[0])
    assert not retrainer.finished_one(ids[1])  # one run at a time; one more follows
    assert retrainer.wait(timeout=120)
    assert retrainer.runs == 2
    assert retrainer.status() is None
    assert retrainer.skipped.startswith("too little data to train: 3 finished articles")
    assert not (tmp_path / "models").exists()


def test_retrainer_close_stops_the_helper_and_leaves_no_run_folder(tmp_path):
    store, ids = _project(tmp_path, finished=12)
    retrainer = Retrainer(str(tmp_path / "loop.db"), "ana", every=1, max_steps=2000)
    retrainer.finished_one(ids[0])
    deadline = time.monotonic() + 60
    while not list((tmp_path / "models").glob(".*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list((tmp_path / "models").glob(".*.tmp")), "training never started"
    helper = retrainer._helper
    retrainer.close()
    assert not retrainer.running
    assert helper._child.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.kill(helper._child.pid, 0)
    assert list((tmp_path / "models").iterdir()) == []
    assert retrainer.error is None


def test_retrainer_refuses_a_bad_interval(tmp_path):
    with pytest.raises(InputError, match="--retrain-every must be at least 1, got 0"):
        Retrainer(str(tmp_path / "x.db"), "ana", every=0)


def test_retrainer_models_go_next_to_the_database(tmp_path):
    assert default_models_dir(str(tmp_path / "a.db")) == tmp_path / "models"
    assert default_models_dir(f"sqlite:///{tmp_path}/b.db") == tmp_path / "models"


def test_retrainer_status_follows_the_session_finishing(tmp_path):
    """The retrainer counts what the screen reports finished, as the screen would call it."""
    store, ids = _project(tmp_path, finished=10)
    session = AnnotationSession(store, "ana")
    retrainer = Retrainer(str(tmp_path / "loop.db"), "ana", every=2, max_steps=5, lookahead=2)
    for article_id in ids[10:12]:
        session.load(article_id)
        session.finish(article_id, Status.DONE)
        retrainer.finished_one(article_id)
    assert retrainer.wait(timeout=300)
    assert retrainer.status() is not None and retrainer.result.trained_on == 12
    retrainer.close()


def test_retrainer_status_words_for_the_status_line(tmp_path):
    store, ids = _project(tmp_path, finished=10)
    retrainer = Retrainer(str(tmp_path / "loop.db"), "ana", every=1, max_steps=5, lookahead=2)
    assert retrainer.status_words() == ""
    retrainer.finished_one(ids[0])
    assert retrainer.status_words() == "training a model…"
    assert retrainer.wait(timeout=300)
    version, f1 = retrainer.status()
    assert retrainer.status_words() == f"model {version} · dev F1 {f1:.2f}"
    retrainer.close()


def test_retrainer_orders_the_queue_by_the_new_model_against_the_patterns(tmp_path):
    """With --order uncertain the helper suggests a pool of unopened articles with the new
    model, then orders the queue: the articles where the model and the pattern file
    disagree most come first, as counted from the stored rows."""
    import sqlite3

    from annotator.services.suggesting import build_suggester, suggest_articles

    store, ids = _project(tmp_path, finished=12, articles=40)
    suggest_articles(store, build_suggester(SuggestConfig()), helper=False)
    retrainer = Retrainer(
        str(tmp_path / "loop.db"), "ana", every=1, max_steps=20, lookahead=2, order="uncertain"
    )
    assert retrainer.model_source() is None and retrainer.take_notice() == ""
    retrainer.finished_one(ids[11])
    assert retrainer.wait(timeout=300)
    assert retrainer.error is None and retrainer.skipped is None
    source = retrainer.model_source()
    assert source == retrainer.result.source
    assert retrainer.take_notice() == (
        f"model retrained: run 1, dev F1 {retrainer.result.f1:.2f}; next articles use it"
    )
    assert retrainer.take_notice() == ""  # said once
    # Every unopened article (28 < the pool) was suggested by the new model.
    assert retrainer.result.articles == 28
    conn = sqlite3.connect(tmp_path / "loop.db")
    by: dict[int, dict[str, set]] = {}
    for article_id, src in conn.execute("SELECT article_id, source FROM suggestionrun"):
        by.setdefault(article_id, {})[src] = set()
    for article_id, src, s, e, label in conn.execute(
        'SELECT article_id, source, start, "end", label FROM suggestion'
    ):
        by[article_id][src].add((s, e, label))
    queue = [
        row[0]
        for row in conn.execute(
            "SELECT article_id FROM queueitem WHERE open ORDER BY position, article_id"
        )
    ]
    conn.close()
    assert all(source in by[a] for a in ids[12:])
    measure = {}
    for a in ids[12:]:
        union = set().union(*by[a].values())
        measure[a] = 1 - len(set.intersection(*by[a].values())) / len(union) if union else 0.0
    assert queue == sorted(ids[12:], key=lambda a: (-measure[a], a))
    assert queue != ids[12:]  # the model and the patterns disagree in places
    retrainer.close()
