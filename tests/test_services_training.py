"""Training on the project's finished work with spaCy's own loop, the refusals, the run
folder, re-suggesting with a new version, and the train curve (tiny runs: seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from annotator.domain.errors import InputError
from annotator.domain.spans import Origin, Span, Status
from annotator.services.training import (
    resuggest,
    train_curve,
    train_model,
    training_data,
    use_model,
)
from annotator.store.models import Suggestion
from tests.exchange import Annotation, Article, new_store, populate
from tests.synthetic import make_task

STEPS = 30


def _spans(truth) -> list[Span]:
    return [Span(s, e, label, Origin.MANUAL) for s, e, label in truth]


def _task_store(folder: Path, articles: int = 40, finished: int = 30, name: str = "news.db"):
    task = make_task(articles)
    store = new_store(folder, name)
    ids = populate(
        store,
        [Article(t.text, t.title) for t in task],
        [Annotation(i, "ana", _spans(t.truth)) for i, t in enumerate(task[:finished])],
    )
    return store, task, ids


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny run shared by the tests that only read what it produced."""
    folder = tmp_path_factory.mktemp("trained")
    store, task, ids = _task_store(folder)
    steps = []
    report = train_model(
        store, source="ana", out=folder / "models", max_steps=STEPS, on_step=steps.append
    )
    yield store, report, steps, ids, folder
    store.dispose()


def test_training_writes_a_run_folder_spacy_can_load(trained):
    import spacy

    store, report, steps, _, folder = trained
    assert report.run.parent == folder / "models"
    assert sorted(p.name for p in report.run.iterdir()) == [
        "config.cfg",
        "data.json",
        "dev.spacy",
        "model-best",
        "model-last",
        "scores.json",
        "train.spacy",
    ]
    assert not [p for p in report.run.parent.iterdir() if p.name.startswith(".")]
    nlp = spacy.load(report.model)
    assert nlp.pipe_names == ["tok2vec", "ner"]
    assert nlp.meta["name"] == "news" and nlp.meta["version"] == report.run.name
    assert report.source_id == f"model:news@{report.run.name}"
    trained_labels = {label for t in make_task(40)[:30] for *_, label in t.truth}
    assert set(nlp.get_pipe("ner").labels) == trained_labels
    data = json.loads((report.run / "data.json").read_text())
    assert data["articles"] == 30 and data["parts"] == {"train": 24, "dev": 6}
    assert data["source"] == "ana"
    scores = json.loads((report.run / "scores.json").read_text())
    assert scores["f1"] == report.result.f1
    assert [s["step"] for s in scores["steps"]] == [0, 10, 20, 30]
    # Every step reached the callback, and the evaluations carry the dev scores.
    assert [s.step for s in steps if s.f1 is not None] == [0, 10, 20, 30]
    assert len(steps) == STEPS + 1
    # The saved config trains again with plain `spacy train`: no logger of ours in it.
    assert "annotator." not in (report.model / "config.cfg").read_text()


def test_training_split_is_seeded_by_article_text(tmp_path, trained):
    store, *_ = trained
    first = training_data(store, source="ana")
    again = training_data(store, source="ana")
    other = training_data(store, source="ana", seed=1)
    assert first.train_ids == again.train_ids and first.dev_ids == again.dev_ids
    assert set(first.dev_ids) != set(other.dev_ids)
    assert len(first.train_ids) == 24 and not set(first.train_ids) & set(first.dev_ids)


def test_training_refuses_too_little_data(tmp_path):
    store, _, _ = _task_store(tmp_path, articles=12, finished=6)
    with pytest.raises(InputError) as caught:
        train_model(store, source="ana", out=tmp_path / "models", max_steps=5)
    assert str(caught.value) == (
        "too little data to train: 6 finished articles from annotator ana (6 with entities); "
        "training needs at least 10 finished articles, some with entities"
    )
    assert not (tmp_path / "models").exists()


def test_training_refuses_labels_outside_the_scheme(tmp_path):
    task = make_task(12)
    store = new_store(tmp_path)
    spans = [_spans(t.truth) for t in task]
    spans[3] = [*spans[3][:-1], Span(0, 6, "GPE")]
    populate(
        store,
        [Article(t.text) for t in task],
        [Annotation(i, "ana", s) for i, s in enumerate(spans)],
    )
    with pytest.raises(InputError) as caught:
        training_data(store, source="ana")
    message = str(caught.value)
    assert message.startswith(
        "labels in the training data are missing from scheme conflict: GPE (1 spans, first in "
        "article 4)"
    )
    assert "\n" not in message


def test_training_all_takes_gold_else_agreeing_work_and_refuses_conflicts(tmp_path):
    task = make_task(12)
    store = new_store(tmp_path)
    truth = [_spans(t.truth) for t in task]
    populate(
        store,
        [Article(t.text) for t in task],
        [Annotation(i, "ana", truth[i]) for i in range(12)]
        + [Annotation(i, "ben", truth[i]) for i in range(5)]  # agrees with ana
        + [Annotation(7, "ben", truth[7][:1])],  # disagrees with ana on article 8
    )
    with pytest.raises(InputError) as caught:
        training_data(store, source="all")
    assert str(caught.value) == (
        "article 8 has conflicting finished versions by ana, ben and no gold; adjudicate it "
        "(annotator review) or train on --source gold or --source NAME"
    )
    # Gold for article 8 settles it: gold wins over the annotators' versions.
    from annotator.domain.spans import Kind
    from annotator.store.annotations import save_annotation

    with store.write() as session:
        save_annotation(session, article_id=8, annotator="rev", spans=truth[7][:2], kind=Kind.GOLD)
    data = training_data(store, source="all")
    assert len(data.records) == 12
    eight = next(r for r in data.records if r.article_id == 8)
    assert [s.key for s in eight.spans] == [s.key for s in truth[7][:2]]


def test_training_refuses_an_unknown_source_and_base(tmp_path, trained):
    store, *_ = trained
    with pytest.raises(InputError, match="no annotator 'zoe' to train on"):
        training_data(store, source="zoe")
    with pytest.raises(InputError) as caught:
        train_model(store, source="ana", out=tmp_path / "m", base="xx_nope", max_steps=5)
    assert "--base 'xx_nope' is neither a spaCy language code" in str(caught.value)
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").iterdir())


def test_training_interrupted_leaves_no_run_folder(tmp_path, trained):
    store, *_ = trained

    def stop(step):
        if step.step == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_model(store, source="ana", out=tmp_path / "m", max_steps=20, on_step=stop)
    assert list((tmp_path / "m").iterdir()) == []


def test_resuggest_replaces_older_versions_only_where_nobody_opened(tmp_path):
    """A new version's suggestions replace the old version's in unopened articles; an
    annotation someone started or finished keeps every span, and its article keeps the
    old suggestions it was seeded from."""
    from annotator.nlp.suggester import SuggestConfig
    from annotator.services.annotating import AnnotationSession
    from annotator.services.suggesting import save_project_config
    from tests.pipelines import save_trained_ner

    store, task, ids = _task_store(tmp_path, articles=16, finished=0)
    save_project_config(store, SuggestConfig(use_patterns=False))
    old = use_model(store, save_trained_ner(tmp_path / "v1", name="news", version="1"))
    resuggest(store, old)
    with store.read() as session:
        before = {
            (r.article_id, r.start, r.end, r.label)
            for r in session.scalars(select(Suggestion).where(Suggestion.source == "model:news@1"))
        }
    assert before
    session = AnnotationSession(store, "ana")
    started = session.load(ids[0])  # opened, in progress
    session.load(ids[1])
    session.finish(ids[1], Status.DONE)
    new = use_model(store, save_trained_ner(tmp_path / "v2", name="news", version="2"))
    report = resuggest(store, new)
    assert report.source == "model:news@2"
    with store.read() as db:
        rows = db.execute(select(Suggestion.article_id, Suggestion.source)).all()
    old_left = {a for a, s in rows if s == "model:news@1"}
    assert old_left == {a for a, *_ in before} & {ids[0], ids[1]}
    assert {a for a, s in rows if s == "model:news@2"} >= set(ids[2:]) & {a for a, *_ in before}
    assert report.replaced_suggestions == len([b for b in before if b[0] not in ids[:2]])
    again = AnnotationSession(store, "ana").load(ids[0])
    assert again.spans == started.spans
    # Nothing suggests with the old version again where it was replaced.
    report = resuggest(store, old)
    assert report.articles == 0


def test_train_curve_keeps_the_dev_set_and_grows_the_training_part(tmp_path, trained):
    store, *_ = trained
    points = []
    curve = train_curve(store, source="ana", max_steps=10, on_point=points.append)
    assert [p.fraction for p in curve.points] == [0.25, 0.5, 0.75, 1.0]
    assert [p.articles for p in curve.points] == [6, 12, 18, 24]
    assert curve.dev_articles == 6
    assert points == curve.points
    assert all(p.steps and p.steps[0][0] == 0 for p in curve.points)
    rise = curve.points[-1].f1 - curve.points[-2].f1
    expected = "still improving" if rise > 0.01 else "flat"
    assert curve.verdict.startswith(expected)
    assert f"{rise:+.3f}".lstrip("+") in curve.verdict
