from __future__ import annotations

import dataclasses
import json

import pytest

from annotator.audit.report import json_chunks, measure_agreement, to_json
from annotator.domain.errors import InputError
from annotator.domain.spans import Span, Status
from annotator.domain.text import content_hash
from annotator.services import agreement
from annotator.store.annotations import save_annotation
from annotator.store.models import Article
from tests.conftest import dump
from tests.test_audit_report import BRAT, load_brat_project, need


def store_documents(store, docs) -> dict:
    """Articles and every annotator's spans, saved as finished annotations; id map."""
    ids = {}
    with store.write() as session:
        for name, doc in docs.items():
            article = Article(content_hash=content_hash(doc.text), text=doc.text, title=name)
            session.add(article)
            session.flush()
            ids[name] = article.id
            for person, spans in doc.spans.items():
                save_annotation(session, article_id=article.id, annotator=person, spans=spans)
    return ids


@pytest.fixture
def brat_store(store):
    docs = load_brat_project(need(BRAT / "example-project"))
    store_documents(store, docs)
    return store, docs


def test_agreement_through_the_database_equals_the_pure_measures(brat_store):
    store, docs = brat_store
    result = agreement.measure(store, workers=1, tokens="whitespace")
    assert result.report.exact.overall.mean == pytest.approx(0.8903501, abs=1e-7)
    assert result.report.token_unit == {"whitespace": 7}
    pure = to_json(measure_agreement(docs))
    stored = to_json(result.report)
    for key in ("span_f1", "relaxed_f1", "token_f1", "token_kappa", "token_alpha", "confusion"):
        assert stored[key] == pure[key], key
    assert [a["title"] for a in stored["articles"]] == [a["id"] for a in pure["articles"]]


def test_agreement_helper_process_gives_the_same_report(brat_store, db_path):
    store, _ = brat_store
    for unit in ("spacy", "whitespace"):
        one = to_json(agreement.measure(store, workers=1, tokens=unit).report)
        two = to_json(agreement.measure(store, workers=2, tokens=unit).report)
        assert two == one


def test_json_written_from_the_lines_encoded_while_counting_is_the_report(brat_store):
    """The spool keeps each article's JSON line, encoded as it was counted (by this
    process and by the helper): the report written from those lines is the report, and
    the same text as one written from the figures themselves."""
    store, _ = brat_store
    for workers in (1, 2):
        report = agreement.measure(store, workers=workers).report
        assert hasattr(report.articles, "json_lines")
        text = "".join(json_chunks(report))
        assert json.loads(text) == to_json(report)
        listed = dataclasses.replace(report, articles=list(report.articles))
        assert "".join(json_chunks(listed)) == text
        assert len(json.loads(text)["articles"]) == report.documents > 2


def test_agreement_spacy_tokens_stored_or_made(brat_store):
    """By default the token measures count spaCy's tokens: those stored for an article
    (as `annotator suggest` stores them), else spaCy's tokenizer makes them."""
    from annotator.audit.documents import DocAnnotations
    from annotator.domain.spans import pack_offsets
    from annotator.nlp.pipelines import tokenizer_source
    from annotator.store.models import Tokens
    from tests.test_audit_report import spacy_tokens

    store, docs = brat_store
    made = agreement.measure(store, workers=1).report
    name = tokenizer_source("en")
    assert made.token_unit == {name: 7}
    given = {
        i: DocAnnotations(d.text, d.spans, d.title, spacy_tokens(d.text), name)
        for i, d in docs.items()
    }
    pure = to_json(measure_agreement(given))
    for key in ("token_f1", "token_kappa", "token_pi", "token_alpha", "token_units"):
        assert to_json(made)[key] == pure[key], key
    assert (
        to_json(made)["token_f1"]
        != to_json(agreement.measure(store, tokens="whitespace").report)["token_f1"]
    )
    # Stored tokens win over the tokenizer: here one token per character for one article.
    with store.read() as session:
        first = session.get(Article, 1)
        text = first.text
    with store.write() as session:
        session.add(
            Tokens(
                article_id=1,
                tokenizer="spacy:test",
                offsets=pack_offsets([(i, i + 1) for i, ch in enumerate(text) if not ch.isspace()]),
            )
        )
    stored = agreement.measure(store, workers=1).report
    assert stored.token_unit == {name: 6, "spacy:test": 1}
    assert stored.tokens.units > made.tokens.units


def test_agreement_counts_only_finished_work(store):
    small = load_small()
    ids = store_documents(store, {"a": small})
    with store.write() as session:  # cy started but has not finished
        save_annotation(
            session, article_id=ids["a"], annotator="cy", spans=[], status=Status.IN_PROGRESS
        )
    report = agreement.measure(store).report
    assert report.annotators == ("ana", "ben")
    assert report.exact.overall.mean == measure_agreement({"a": small}).exact.overall.mean


def load_small():
    from annotator.audit.documents import DocAnnotations

    return DocAnnotations(
        "Assad in Idlib",
        {"ana": [Span(0, 5, "PER")], "ben": [Span(0, 5, "PER"), Span(9, 14, "LOC")]},
    )


def test_agreement_filters_and_warnings(store):
    store_documents(store, {"a": load_small()})
    result = agreement.measure(store, annotators=["ana", "ben"], labels=["PER", "WEAPON"])
    assert result.report.exact.overall.mean == 1.0
    assert result.warnings == ["label 'WEAPON' is not used in any compared article"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"annotators": ["ana", "zed"]}, "no annotator called 'zed' (annotators: ana, ben)"),
        (
            {"annotators": ["ana"]},
            "no article is finished (status done) by two or more annotators among ana",
        ),
    ],
)
def test_agreement_bad_requests_are_one_line_errors(store, db_path, kwargs, message):
    store_documents(store, {"a": load_small()})
    before = dump(db_path)
    with pytest.raises(InputError) as caught:
        agreement.measure(store, **kwargs)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
    assert dump(db_path) == before


def test_agreement_empty_database_is_an_error(store):
    with pytest.raises(InputError, match="no article is finished"):
        agreement.measure(store)


def test_agreement_review_queue_from_the_store(brat_store):
    store, docs = brat_store
    queue = agreement.review(store)
    assert [item.figures.title for item in queue][:2] == ["esp.train-doc-100", "esp.train-doc-896"]
    assert all(item.document.text == docs[item.figures.title].text for item in queue)
    only = agreement.review(store, article_ids=[queue[-1].figures.doc_id])
    assert [item.figures.doc_id for item in only] == [queue[-1].figures.doc_id]


def test_agreement_candidate_articles(store):
    ids = store_documents(store, {"a": load_small()})
    with store.write() as session:
        article = Article(content_hash="solo", text="solo text", title="solo")
        session.add(article)
        session.flush()
        save_annotation(session, article_id=article.id, annotator="ana", spans=[])
    with store.read() as session:
        assert agreement.candidate_articles(session) == [ids["a"]]
        assert agreement.candidate_articles(session, ["ana", "zed"]) == []


def test_agreement_light_reading_matches_full_reading(brat_store):
    store, _ = brat_store
    from annotator.store.annotations import annotation_keys, stored_annotations

    with store.read() as session:
        full = [
            (a.article_id, a.annotator, a.title, a.text, [s.key for s in a.spans])
            for a in stored_annotations(session)
        ]
        light = [
            (a.article_id, a.annotator, a.title, a.text, a.spans) for a in annotation_keys(session)
        ]
        assert light == full
        heavy_docs = list(agreement.documents(session))
        light_docs = list(agreement.documents(session, light=True))
    assert to_json(measure_agreement(light_docs)) == to_json(measure_agreement(heavy_docs))


def test_agreement_articles_spool_to_a_file_and_leave_nothing(brat_store, tmp_path, monkeypatch):
    """Per-article figures go to a temporary file (memory stays flat), in order, also from
    the helper process; nothing is left behind once the report is dropped."""
    import gc
    import tempfile

    spools = tmp_path / "spools"
    spools.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spools))
    store, docs = brat_store
    for workers in (1, 2):
        result = agreement.measure(store, workers=workers, tokens="whitespace")
        spool = result.report.articles
        assert isinstance(spool, agreement.ArticleSpool) and len(spool) == 7
        assert [p.name.startswith("annotator-agreement-") for p in spools.iterdir()] == [True]
        from annotator.audit.report import article_json

        def figures(articles):
            return [{k: v for k, v in article_json(a).items() if k != "id"} for a in articles]

        pure = measure_agreement(docs, annotators=None)
        assert figures(spool) == figures(
            agreement.measure(store, tokens="whitespace", workers=1).report.articles
        )
        assert sorted(map(str, figures(spool))) == sorted(map(str, figures(pure.articles)))
        assert list(spool) == list(spool)  # read again, the same
        del result, spool
        gc.collect()
        assert list(spools.iterdir()) == []


def test_finished_articles_hold_groups_compactly_and_give_them_back_in_order():
    from annotator.store.agreement import ArticleAnnotations, FinishedArticles

    found = FinishedArticles()
    given = [
        (3, [("ana", 7), ("ben", 9)]),
        (5, [("ana", 11), ("ben", 12), ("cy", 13)]),
        (8, [("ben", 20), ("cy", 21)]),
    ]
    for article_id, group in given:
        found.add(article_id, group)
    expected = [ArticleAnnotations(a, tuple(g)) for a, g in given]
    assert len(found) == 3 and list(found) == expected
    assert found[-1] == expected[2] and found.names == ["ana", "ben", "cy"]
    view = found[1:]
    assert len(view) == 2 and list(view) == expected[1:] and view[0] == expected[1]
    assert view.article_ids() == [5, 8] and found[:1].article_ids() == [3]
    assert list(found[2:1]) == [] and list(found.only({3, 8})) == [expected[0], expected[2]]
    with pytest.raises(IndexError):
        view[2]
