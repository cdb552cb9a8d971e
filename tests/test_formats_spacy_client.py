"""spaCy as the real client of our exports: it loads our DocBin, `spacy debug data` finds no
error in it, `spacy train` trains on it, and `spacy convert` reads our CoNLL."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.domain.spans import Span
from annotator.services.exporting import export_annotations
from annotator.store.annotations import stored_annotations
from tests.exchange import Annotation, Article, populate

PLACES = ["Idlib", "Hama", "Aleppo", "Saraqeb", "Ariha", "Jisr al-Shughur", "Maarat al-Numan"]
PEOPLE = ["Abu Khaled", "Hassan Ali", "Bashar al-Assad", "Umm Ahmad"]
GROUPS = ["Hayat Tahrir al-Sham", "the Syrian Civil Defence", "Russian forces"]
VERBS = ["shelled", "reported on", "visited", "left", "said nothing about"]


def _corpus(n: int, seed: int = 0) -> tuple[list[Article], list[Annotation]]:
    """n short news sentences with entities on token boundaries (about one in five without
    any), each annotated by one of two annotators."""
    rng = random.Random(seed)
    articles, annotations = [], []
    for i in range(n):
        parts: list[tuple[str, str | None]] = []
        if i % 5:
            parts.append((rng.choice(PEOPLE + GROUPS), "PERSON" if i % 2 else "ARMED_GROUP"))
        else:
            parts.append(("Residents", None))
        parts.append((rng.choice(VERBS), None))
        parts.append((rng.choice(PLACES), "LOCATION"))
        parts.append((f"on day {i}.", None))
        text, spans = "", []
        for words, label in parts:
            start = len(text) + (1 if text else 0)
            text = f"{text} {words}" if text else words
            if label:
                spans.append(Span(start, len(text), label))
        articles.append(Article(text, title=f"Report {i}", source="gen"))
        annotations.append(Annotation(i, "ana" if i % 2 else "bob", spans))
    return articles, annotations


@pytest.fixture
def corpus_store(store):
    populate(store, *_corpus(150))
    return store


def _entities_in_db(store) -> dict[str, list[tuple[str, str]]]:
    with store.read() as session:
        return {
            a.text: [(a.text[s.start : s.end], s.label) for s in a.spans]
            for a in stored_annotations(session)
        }


def test_formats_spacy_docbin_loads_in_spacy_with_our_entities(corpus_store, tmp_path):
    import spacy
    from spacy.tokens import DocBin

    export_annotations(corpus_store, fmt="spacy", out=tmp_path / "out")
    vocab = spacy.blank("en").vocab
    docs = [
        doc
        for part in ("train", "dev")
        for doc in DocBin().from_disk(tmp_path / "out" / f"{part}.spacy").get_docs(vocab)
    ]
    assert len(docs) == 150
    expected = _entities_in_db(corpus_store)
    assert {doc.text: [(e.text, e.label_) for e in doc.ents] for doc in docs} == expected
    assert {doc.user_data["annotator"]["name"] for doc in docs} == {"ana", "bob"}


def _spacy(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "spacy", *args], cwd=cwd, capture_output=True, text=True
    )


@pytest.mark.slow
def test_formats_spacy_debug_data_and_a_short_train_on_our_export(corpus_store, tmp_path):
    report = export_annotations(corpus_store, fmt="spacy", out=tmp_path / "out")
    out = tmp_path / "out"
    paths = ["--paths.train", str(out / "train.spacy"), "--paths.dev", str(out / "dev.spacy")]
    debug = _spacy("debug", "data", str(out / "config.cfg"), *paths, cwd=tmp_path)
    assert debug.returncode == 0, debug.stdout + debug.stderr
    assert "✘" not in debug.stdout and "120 training docs" in debug.stdout
    # The command we print, shortened to two steps.
    command = report.command.split()[1:] + [
        "--training.max_steps",
        "2",
        "--training.eval_frequency",
        "1",
    ]
    train = subprocess.run([sys.executable, *command], cwd=tmp_path, capture_output=True, text=True)
    assert train.returncode == 0, train.stdout + train.stderr
    assert (out / "model" / "model-last" / "ner").is_dir()


@pytest.mark.slow
def test_formats_spacy_convert_reads_our_conll_with_the_same_entities(corpus_store, tmp_path):
    import spacy
    from spacy.tokens import DocBin

    export_annotations(corpus_store, fmt="conll", out=tmp_path / "ner.conll")
    converted = _spacy(
        "convert", str(tmp_path / "ner.conll"), str(tmp_path), "-c", "ner", cwd=tmp_path
    )
    assert converted.returncode == 0, converted.stdout + converted.stderr
    docs = list(DocBin().from_disk(tmp_path / "ner.spacy").get_docs(spacy.blank("en").vocab))

    # CoNLL keeps characters, not spacing ("al-Numan" comes back as the tokens "al - Numan").
    def squeeze(text: str) -> str:
        return "".join(text.split())

    expected = [
        [(squeeze(t), label) for t, label in ents]
        for ents in _entities_in_db(corpus_store).values()
    ]
    assert [[(squeeze(e.text), e.label_) for e in doc.ents] for doc in docs] == expected
    assert sum(len(doc.ents) for doc in docs) == sum(len(e) for e in expected) > 200
