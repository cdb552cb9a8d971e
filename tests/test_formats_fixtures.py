"""Other tools' own files (../shared/fixtures) import with the counts their README states,
and what we export from them reads back the same."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from annotator.domain.errors import InputError
from annotator.services.exporting import export_annotations
from annotator.services.importing import import_files
from annotator.store.annotations import stored_annotations
from annotator.store.models import Annotation, Article, Span
from tests.conftest import FIXTURES, dump, need
from tests.exchange import annotations_of, new_store


def _count(store, model) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_formats_fixture_prodigy_fashion_brands_500_records_238_spans(store):
    path = need(FIXTURES / "prodigy" / "fashion_brands_eval.jsonl")
    report = import_files(store, [path], fmt="prodigy")
    assert (report.annotations, report.spans, report.articles) == (500, 238, 500)
    assert report.statuses == {"done": 500}
    with store.read() as session:
        labels = Counter(s.label for a in stored_annotations(session) for s in a.spans)
    assert labels == {"FASHION_BRAND": 238}
    assert _count(store, Span) == 238


def test_formats_fixture_prodigy_demo_with_whitespace_tokens(store):
    path = need(FIXTURES / "prodigy" / "demo.jsonl")
    import_files(store, [path], fmt="prodigy")
    with store.read() as session:
        [annotation] = stored_annotations(session)
    [span] = annotation.spans
    assert (annotation.text[span.start : span.end], span.label) == ("Ed Sheeran", "PERSON")


def test_formats_fixture_doccano_conll_gives_japan_get(store):
    path = need(FIXTURES / "doccano" / "example.conll")
    import_files(store, [path], fmt="conll", annotator="doccano")
    with store.read() as session:
        got = {(a.text, tuple(s.key for s in a.spans)) for a in stored_annotations(session)}
    assert got == {("JAPAN GET", ((0, 5, "LOC"),)), ("Nadim Ladki", ((0, 11, "PER"),))}


def test_formats_fixture_invalid_conll_is_rejected_with_its_line(store, db_path):
    path = need(FIXTURES / "doccano" / "labeling.invalid.conll")
    before = dump(db_path)
    with pytest.raises(InputError, match=r"labeling.invalid.conll:1: 'SOCCERO' is not an IOB2 tag"):
        import_files(store, [path], fmt="conll", annotator="doccano")
    assert dump(db_path) == before


def test_formats_fixture_doccano_trailing_blank_lines(store):
    path = need(FIXTURES / "doccano" / "labeling.trailing.conll")
    report = import_files(store, [path], fmt="conll", annotator="doccano")
    with store.read() as session:
        [annotation] = stored_annotations(session)
    assert report.annotations == 1
    assert annotation.text == "SOCCER - JAPAN GET LUCKY WIN , CHINA IN SURPRISE DEFEAT ."
    assert [(annotation.text[s.start : s.end], s.label) for s in annotation.spans] == [
        ("JAPAN", "LOC"),
        ("CHINA", "PER"),
    ]


def test_formats_fixture_doccano_jsonl(store):
    export_example = need(FIXTURES / "doccano" / "export-example.jsonl")
    report = import_files(store, [export_example], fmt="doccano")
    assert (report.annotations, report.spans, report.annotators) == (3, 4, ["export-example"])
    overlapping = FIXTURES / "doccano" / "example_overlapping.jsonl"
    assert import_files(store, [overlapping], fmt="doccano").spans == 1  # a span given twice
    with pytest.raises(InputError, match=r"example.jsonl:3: record has no 'text'"):
        import_files(store, [FIXTURES / "doccano" / "example.jsonl"], fmt="doccano")


def test_formats_fixture_spacy_iob_conll2003_has_seven_entities(store):
    path = need(FIXTURES / "spacy-iob" / "ner-token-per-line-conll2003.iob")
    import_files(store, [path], fmt="conll", annotator="spacy")
    with store.read() as session:
        [annotation] = stored_annotations(session)
    found = [(annotation.text[s.start : s.end], s.label) for s in annotation.spans]
    assert len(found) == 7
    assert ("Sebastian Thrun", "PERSON") in found and ("earlier this week", "DATE") in found


def test_formats_fixture_bratiaa_project_is_4_annotators_over_7_articles(store):
    project = need(FIXTURES / "multi-annotator-brat" / "example-project")
    report = import_files(store, [project], fmt="brat")
    assert report.annotators == ["Lisa", "Maria", "Max", "Peter"]
    assert (report.annotations, report.articles) == (28, 7)
    assert _count(store, Article) == 7 and _count(store, Annotation) == 28
    with store.read() as session:
        spans = {}
        for a in stored_annotations(session):
            spans.setdefault(a.annotator, set()).update((a.article_id, *s.key) for s in a.spans)
    # The README's published pair: Lisa and Maria each have 404 spans, 382 of them shared,
    # which only holds when the same document under both folders is the same article.
    assert len(spans["Lisa"]) == len(spans["Maria"]) == 404
    assert len(spans["Lisa"] & spans["Maria"]) == 382


def test_formats_fixture_brat_conll2002_with_an_annotator_given(store):
    corpus = need(FIXTURES / "brat" / "CoNLL-ST_2002")
    report = import_files(store, [corpus / "esp"], fmt="brat")
    assert report.annotators == ["esp"]  # a folder of documents: named after the folder
    again = import_files(store, [corpus], fmt="brat", annotator="conll02")
    assert again.annotators == ["conll02"] and again.annotations == report.annotations + len(
        list((corpus / "ned").glob("*.ann"))
    )


@pytest.mark.parametrize("fmt", ["prodigy", "doccano", "label-studio", "brat"])
def test_formats_fixture_bratiaa_project_survives_each_format(tmp_path, fmt):
    project = need(FIXTURES / "multi-annotator-brat" / "example-project")
    first = new_store(tmp_path, "first.db")
    second = new_store(tmp_path, "second.db")
    import_files(first, [project], fmt="brat")
    report = export_annotations(first, fmt=fmt, out=tmp_path / "out")
    import_files(second, [report.out], fmt=fmt)
    assert annotations_of(second) == annotations_of(first)
    first.dispose()
    second.dispose()
