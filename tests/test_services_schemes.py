"""Which scheme a screen uses: asked for, the project's, the default, or the data's labels."""

from __future__ import annotations

import pytest

from annotator.cli.launch import project_scheme
from annotator.domain.errors import SchemeError
from annotator.nlp.suggester import SuggestConfig
from annotator.services.schemes import DATA_SCHEME, scheme_for, scheme_from_labels
from annotator.services.suggesting import save_project_config
from annotator.store.engine import open_store
from annotator.store.fastpath import stored_setting


def test_scheme_for_prefers_what_was_asked_then_the_project():
    assert scheme_for("ontonotes", "conflict", ["PER"]).name == "ontonotes"
    assert scheme_for(None, "ontonotes", ["PER"]).name == "ontonotes"
    with pytest.raises(SchemeError, match="no label scheme 'nope'"):
        scheme_for(None, "nope")


def test_default_scheme_unless_the_data_uses_labels_it_lacks():
    assert scheme_for(None, None).name == "conflict"
    assert scheme_for(None, None, ["LOCATION", "PERSON"]).name == "conflict"
    data = scheme_for(None, None, ["ORG", "PER", "LOC", "MISC"])
    assert data.name == DATA_SCHEME
    assert data.names == ["ORG", "PER", "LOC", "MISC"]
    assert data.by_key("2").name == "PER"


def test_scheme_from_labels_keys_the_first_ten_and_colours_them_apart():
    names = [f"L{i}" for i in range(12)]
    scheme = scheme_from_labels(names)
    assert [label.key for label in scheme.labels] == list("1234567890") + ["", ""]
    assert len({label.colour for label in scheme.labels[:10]}) == 10
    assert scheme.by_key("0").name == "L9"
    assert scheme.by_key("") is None


def test_project_scheme_read_without_the_store_matches_the_store(tmp_path):
    db = tmp_path / "p.db"
    store = open_store(db)
    assert stored_setting(str(db), "suggest") == (True, None)
    assert project_scheme(str(db)) is None
    save_project_config(store, SuggestConfig(scheme="ontonotes"), "tok")
    store.dispose()
    known, value = stored_setting(str(db), "suggest")
    assert known and value["scheme"] == "ontonotes" and value["tokenizer_id"] == "tok"
    assert project_scheme(str(db)) == "ontonotes"
    # A URL the stdlib path cannot read goes through the store and says the same.
    assert stored_setting(f"sqlite+pysqlite:///{db}", "suggest") == (False, None)
    assert project_scheme(f"sqlite+pysqlite:///{db}") == "ontonotes"


def test_stored_labels_read_without_the_store_match_the_store(tmp_path):
    from annotator.cli.launch import data_labels, screen_scheme
    from annotator.domain.records import ArticleRecord
    from annotator.domain.spans import Span, Status
    from annotator.store.annotations import save_annotation
    from annotator.store.articles import insert_articles
    from annotator.store.fastpath import done_labels
    from annotator.store.rows import add_hashes, article_rows
    from annotator.store.stats import done_label_counts

    db = tmp_path / "labels.db"
    store = open_store(db)
    with store.write_connection() as conn:
        insert_articles(conn, add_hashes(article_rows([ArticleRecord("Lisa met Max in Madrid.")])))
    with store.write() as session:
        spans = [Span(0, 4, "PER"), Span(9, 12, "PER"), Span(16, 22, "LOC")]
        save_annotation(session, article_id=1, annotator="one", spans=spans, status=Status.DONE)
        save_annotation(
            session,
            article_id=1,
            annotator="two",
            spans=[Span(16, 22, "GPE")],
            status=Status.IN_PROGRESS,
        )
    with store.read() as session:
        counted = list(done_label_counts(session))
    store.dispose()
    assert counted == ["PER", "LOC"]  # most used first; unfinished work does not count
    assert done_labels(str(db)) == ["LOC", "PER"]  # alphabetical: stable keys as data grows
    assert done_labels(str(db), sample=1) == ["PER"]  # the first span only
    assert data_labels(f"sqlite+pysqlite:///{db}") == ["LOC", "PER"]
    assert screen_scheme(str(db), None).names == ["LOC", "PER"]
    assert screen_scheme(str(db), "conflict").name == "conflict"
