"""Evaluating suggestion sources against finished work, and acceptance rates read from
annotations made through the real annotation session (seeded, edited, finished)."""

from __future__ import annotations

import pytest

from annotator.domain.editing import Change, Editor
from annotator.domain.errors import InputError
from annotator.domain.spans import Kind, Origin, Span, Status
from annotator.nlp.suggester import SuggestConfig
from annotator.services.annotating import AnnotationSession
from annotator.services.evaluating import acceptance, evaluate_sources
from annotator.services.suggesting import build_suggester, save_project_config, suggest_articles
from annotator.store.annotations import save_annotation
from tests.exchange import Annotation, Article, new_store, populate

TEXT = "Artillery hit Idlib on Monday. Ahmad Haddad said rebels held Saraqib."


@pytest.fixture
def suggested(tmp_path):
    store = new_store(tmp_path)
    ids = populate(store, [Article(TEXT), Article(TEXT + " Again.")], [])
    suggester = build_suggester(SuggestConfig())
    save_project_config(store, SuggestConfig(), suggester.tokenizer_id)
    suggest_articles(store, suggester)
    yield store, ids, suggester.pattern_source
    store.dispose()


def _key(text, word, label):
    start = text.index(word)
    return (start, start + len(word), label)


def test_acceptance_follows_what_the_annotator_did(suggested):
    store, ids, patterns = suggested
    session = AnnotationSession(store, "ana")
    loaded = session.load(ids[0])
    pending = {s.key for s in loaded.spans if s.origin is Origin.SUGGESTED}
    assert _key(TEXT, "Idlib", "LOCATION") in pending
    assert _key(TEXT, "Monday", "DATE") in pending
    editor = Editor(loaded.text, loaded.tokens, loaded.spans)
    # Delete the DATE suggestion, relabel Idlib, add a PERSON nobody suggested.
    monday = next(s for s in editor.spans if s.label == "DATE")
    editor.goto_span(monday)
    session.apply(ids[0], editor.delete())
    idlib = next(s for s in editor.spans if s.key == _key(TEXT, "Idlib", "LOCATION"))
    editor.goto_span(idlib)
    session.apply(ids[0], editor.label("FACILITY"))
    start, end, _ = _key(TEXT, "Ahmad Haddad", "PERSON")
    added = Span(start, end, "PERSON", Origin.MANUAL)
    session.apply(ids[0], Change(added=(added,)))
    session.finish(ids[0], Status.DONE)
    # An imported annotation was never seeded: it says nothing about suggestions.
    with store.write() as db:
        save_annotation(db, article_id=ids[1], annotator="ben", spans=[])

    tally = acceptance(store)
    assert tally.annotations == 1
    rows = {(r["source"], r["label"]): r for r in tally.rows()}
    assert rows[(patterns, "DATE")]["deleted"] == 1
    assert rows[(patterns, "LOCATION")]["edited_label"] == 1
    accepted = sum(r["accepted"] for r in tally.rows())
    assert accepted == len(pending) - 2
    assert tally.unsuggested == {"PERSON": 1}


def test_evaluate_sources_against_gold_and_an_annotator(suggested):
    store, ids, patterns = suggested
    truth = [
        Span(*_key(TEXT, "Idlib", "LOCATION")),
        Span(*_key(TEXT, "Monday", "DATE")),
        Span(*_key(TEXT, "Ahmad Haddad", "PERSON")),
    ]
    with store.write() as db:
        save_annotation(db, article_id=ids[0], annotator="rev", spans=truth, kind=Kind.GOLD)
        save_annotation(db, article_id=ids[0], annotator="ana", spans=truth[:1])
    report = evaluate_sources(store)
    assert list(report.sources) == [patterns] and report.references == 1
    ev = report.sources[patterns]
    predicted = ev.total().predicted
    assert predicted >= 2
    assert ev.total().matched == 2  # Idlib and Monday; the pattern file knows no Ahmad
    assert ev.measures()["recall"] == pytest.approx(2 / 3)
    assert ev.measures()["precision"] == pytest.approx(2 / predicted)
    against_ana = evaluate_sources(store, against="ana", source=patterns).sources[patterns]
    assert against_ana.measures()["recall"] == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "nothing to evaluate against: no finished annotations from gold (--against NAME"),
        ({"against": "zoe"}, "no annotator 'zoe' to evaluate against"),
    ],
)
def test_evaluate_refuses_without_a_reference(suggested, kwargs, message):
    store, *_ = suggested
    with pytest.raises(InputError) as caught:
        evaluate_sources(store, **kwargs)
    assert str(caught.value).startswith(message)


def test_evaluate_refuses_an_unknown_source(suggested):
    store, ids, _ = suggested
    with store.write() as db:
        save_annotation(db, article_id=ids[0], annotator="rev", spans=[], kind=Kind.GOLD)
    with pytest.raises(InputError, match="source 'model:x@1' has made no suggestions"):
        evaluate_sources(store, source="model:x@1")


def test_evaluate_counts_articles_where_a_source_found_nothing(tmp_path):
    store = new_store(tmp_path)
    ids = populate(
        store,
        [Article("Nothing here at all."), Article("Fighting in Idlib.")],
        [
            Annotation(0, "ana", [Span(0, 7, "DATE")]),
            Annotation(1, "ana", [Span(12, 17, "LOCATION")]),
        ],
    )
    suggest_articles(store, build_suggester(SuggestConfig()))
    ev = next(iter(evaluate_sources(store, against="ana").sources.values()))
    assert ev.articles == len(ids)
    assert ev.measures()["recall"] == 0.5  # the DATE in the first article was missed
