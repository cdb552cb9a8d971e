"""Importing annotated data: one transaction, annotators from the data or --annotator,
suggestions with --as-suggestions, labels checked with --scheme, texts joined by hash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from annotator.domain.errors import InputError
from annotator.domain.spans import Status
from annotator.services.annotated_rows import event_payload
from annotator.services.importing import import_files
from annotator.store.annotations import stored_annotations
from annotator.store.models import Article, Event, QueueItem, Suggestion, SuggestionRun
from annotator.store.queue import ensure_annotator, next_article_id
from tests.conftest import dump


def _jsonl(path: Path, *objects) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects), encoding="utf-8")
    return path


def _task(text: str, *spans, **extra) -> dict:
    return {
        "text": text,
        "spans": [{"start": s, "end": e, "label": label} for s, e, label in spans],
        **extra,
    }


def _annotations(store) -> set[tuple]:
    with store.read() as session:
        return {
            (a.text, a.annotator, a.status, tuple(s.key for s in a.spans))
            for a in stored_annotations(session, status="all")
        }


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            _task("Idlib", (0, 9, "LOC")),
            r"bad.jsonl:3: span 1 \[0, 9\) LOC: span \[0, 9\) lies outside",
        ),
        (_task("Idlib", (0, 5, "SHIP")), r"bad.jsonl:3: label 'SHIP' is not in scheme conflict"),
        ({"text": "x", "answer": "later"}, r"bad.jsonl:3: 'answer' must be"),
        (
            _task("x", _annotator_id="has space"),
            r"bad.jsonl:3: annotator name 'has space' contains spaces",
        ),
    ],
)
def test_import_annotated_bad_record_stores_nothing(store, db_path, tmp_path, record, message):
    import_files(store, [_jsonl(tmp_path / "first.jsonl", _task("already here"))], fmt="prodigy")
    before = dump(db_path)
    good = _task("Assad in Idlib", (0, 5, "PERSON"), (9, 14, "LOCATION"))
    bad = _jsonl(tmp_path / "bad.jsonl", good, _task("new one"), record)
    with pytest.raises(InputError, match=message):
        import_files(store, [bad], fmt="prodigy", scheme="conflict")
    assert dump(db_path) == before


def test_import_annotated_skip_invalid_keeps_the_good_records(store, tmp_path):
    bad = _jsonl(
        tmp_path / "ana.jsonl", _task("Idlib", (0, 5, "LOC")), _task("Hama", (0, 9, "LOC"))
    )
    report = import_files(store, [bad], fmt="prodigy", skip_invalid=True)
    assert report.annotations == 1 and len(report.invalid) == 1
    assert "ana.jsonl:2: span 1 [0, 9) LOC" in report.invalid[0]
    assert _annotations(store) == {("Idlib", "ana", Status.DONE, ((0, 5, "LOC"),))}


def test_import_annotated_interrupt_stores_nothing(store, db_path, tmp_path):
    paths = [
        _jsonl(tmp_path / f"{n}.jsonl", *(_task(f"{n} text {i}") for i in range(50)))
        for n in ("a", "b")
    ]
    before = dump(db_path)

    def interrupt(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_files(store, paths, fmt="prodigy", progress=interrupt)
    assert dump(db_path) == before


def test_import_annotated_same_text_joins_one_article_across_formats(store, tmp_path):
    _jsonl(tmp_path / "ana.jsonl", {"text": "Caf\u00e9 raid\nin Idlib", "label": [[13, 18, "LOC"]]})
    import_files(store, [tmp_path / "ana.jsonl"], fmt="doccano")
    # The same text with a Windows line end and a decomposed accent is the same article,
    # and bob's span (given in his text's own offsets) lands on the same characters.
    windows = "Cafe\u0301 raid\r\nin Idlib"
    prodigy = _jsonl(tmp_path / "p.jsonl", _task(windows, (15, 20, "LOC"), _annotator_id="bob"))
    report = import_files(store, [prodigy], fmt="prodigy")
    assert (report.articles, report.imported) == (1, 0)
    with store.read() as session:
        assert len(session.scalars(select(Article)).all()) == 1
    assert {(a[1], a[3]) for a in _annotations(store)} == {
        ("ana", ((13, 18, "LOC"),)),
        ("bob", ((13, 18, "LOC"),)),
    }


def test_import_annotated_annotator_override_and_repeats(store, tmp_path):
    path = _jsonl(
        tmp_path / "p.jsonl",
        _task("one", _annotator_id="ana"),
        _task("one", (0, 3, "X"), _annotator_id="bob"),
    )
    report = import_files(store, [path], fmt="prodigy", annotator="chief")
    assert report.annotators == ["chief"] and report.repeated == 1
    assert _annotations(store) == {("one", "chief", Status.DONE, ((0, 3, "X"),))}  # later kept


def test_import_annotated_repeat_in_a_later_chunk_replaces_the_staged_one(
    store, tmp_path, monkeypatch
):
    # The first chunk holds two records; the repeat of ana's "one" comes 150 records later,
    # in another chunk, so the import finds the pair it staged in the database.
    monkeypatch.setattr("annotator.services.importing.ANNOTATED_BATCH", 2)
    filler = [_task(f"filler {i}", _annotator_id="ana") for i in range(150)]
    path = _jsonl(
        tmp_path / "p.jsonl",
        _task("one two", (0, 3, "X"), _annotator_id="ana"),
        _task("one two", (4, 7, "Y"), _annotator_id="bob"),
        *filler,
        _task("one two", (4, 7, "Z"), answer="reject", _annotator_id="ana"),
    )
    report = import_files(store, [path], fmt="prodigy")
    assert (report.repeated, report.annotations, report.articles) == (1, 153, 151)
    stored = {(t, who): (status, spans) for t, who, status, spans in _annotations(store)}
    assert stored[("one two", "ana")] == (Status.FLAGGED, ((4, 7, "Z"),))
    assert stored[("one two", "bob")] == (Status.DONE, ((4, 7, "Y"),))
    assert len(stored) == 152


def test_import_annotated_statuses_close_queues_and_log_events(store, tmp_path):
    path = _jsonl(
        tmp_path / "p.jsonl",
        _task("a", answer="accept", _annotator_id="ana"),
        _task("b", answer="ignore", _annotator_id="ana"),
        _task("c", answer="reject", _annotator_id="ana"),
        _task("d", _annotator_id="bob"),
    )
    report = import_files(store, [path], fmt="prodigy")
    assert report.statuses == {"done": 2, "flagged": 1, "skipped": 1}
    with store.write() as session:
        assert next_article_id(session, ensure_annotator(session, "ana")) is not None  # "d"
        assert len(session.scalars(select(Event)).all()) == 4
        closed = session.scalars(select(QueueItem).where(QueueItem.open == False)).all()  # noqa: E712
        assert len(closed) == 3


def test_import_annotated_again_replaces_instead_of_duplicating(store, tmp_path):
    path = _jsonl(tmp_path / "ana.jsonl", _task("Idlib", (0, 5, "LOC")))
    import_files(store, [path], fmt="prodigy")
    _jsonl(path, _task("Idlib", (0, 5, "ORG")))
    import_files(store, [path], fmt="prodigy")
    assert _annotations(store) == {("Idlib", "ana", Status.DONE, ((0, 5, "ORG"),))}


def test_import_annotated_as_suggestions(store, tmp_path):
    path = _jsonl(
        tmp_path / "p.jsonl",
        _task("Assad in Idlib", (0, 5, "PER"), _annotator_id="ana"),
        _task("Assad in Idlib", (0, 5, "PER"), (9, 14, "LOC"), _annotator_id="bob"),
        _task("nothing"),
    )
    report = import_files(store, [path], fmt="prodigy", as_suggestions="model:old@1")
    assert (report.annotations, report.suggestions, report.sources) == (0, 2, ["model:old@1"])
    assert _annotations(store) == set()
    with store.read() as session:
        rows = {(s.source, s.start, s.end, s.label) for s in session.scalars(select(Suggestion))}
        runs = {(r.source, r.count) for r in session.scalars(select(SuggestionRun))}
    assert rows == {("model:old@1", 0, 5, "PER"), ("model:old@1", 9, 14, "LOC")}
    assert runs == {("model:old@1", 2), ("model:old@1", 0)}  # every article: processed


def test_import_annotated_suggestions_across_chunks_replace_the_sources_once(
    store, db_path, tmp_path, monkeypatch
):
    # Suggestions of one article and source come in the first chunk and again 150 records
    # later: stored once each, replacing that source's earlier ones, other sources kept.
    import sqlite3

    before = _jsonl(tmp_path / "old.jsonl", _task("one two three", (8, 13, "Z")))
    import_files(store, [before], fmt="prodigy", as_suggestions="model")
    import_files(store, [before], fmt="prodigy", as_suggestions="rules")
    monkeypatch.setattr("annotator.services.importing.ANNOTATED_BATCH", 2)
    filler = [_task(f"filler {i}") for i in range(150)]
    path = _jsonl(
        tmp_path / "p.jsonl",
        _task("one two three", (4, 7, "Y"), _annotator_id="ana"),
        _task("nothing here", (0, 7, "X"), _annotator_id="ana"),
        *filler,
        _task("one two three", (0, 3, "X"), (4, 7, "Y"), _annotator_id="bob"),
    )
    report = import_files(store, [path], fmt="prodigy", as_suggestions="model")
    assert (report.suggestions, report.sources) == (3, ["model"])
    with store.read() as session:
        rows = sorted(
            (s.source, s.start, s.end, s.label)
            for s in session.scalars(select(Suggestion))
            if s.article_id == 1
        )
        runs = {(r.article_id, r.source): r.count for r in session.scalars(select(SuggestionRun))}
    assert rows == [("model", 0, 3, "X"), ("model", 4, 7, "Y"), ("rules", 8, 13, "Z")]
    assert (runs[(1, "model")], runs[(1, "rules")], len(runs)) == (2, 1, 153)
    assert set(runs.values()) == {0, 1, 2}  # the fillers suggested nothing: runs of 0
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM stagedsuggestion").fetchone()[0] == 0
    conn.close()


def test_import_annotated_label_studio_predictions_become_suggestions(store, tmp_path):
    tasks = [
        {
            "data": {"text": "Assad"},
            "annotations": [{"completed_by": {"email": "ana@x.org"}, "result": []}],
            "predictions": [
                {
                    "model_version": "v1",
                    "result": [
                        {"type": "labels", "value": {"start": 0, "end": 5, "labels": ["PER"]}}
                    ],
                }
            ],
        }
    ]
    path = tmp_path / "t.json"
    path.write_text(json.dumps(tasks))
    report = import_files(store, [path])  # .json: label-studio by its name
    assert (report.format, report.annotators, report.sources) == (
        "label-studio",
        ["ana@x.org"],
        ["v1"],
    )


def test_import_annotated_file_name_is_the_fallback_annotator(store, tmp_path):
    named = _jsonl(tmp_path / "zoé.jsonl", _task("x"))
    assert import_files(store, [named], fmt="doccano").annotators == ["zoé"]
    spaced = _jsonl(tmp_path / "my file.jsonl", _task("y"))
    with pytest.raises(
        InputError, match=r"file name 'my file' cannot be an annotator name; pass --annotator"
    ):
        import_files(store, [spaced], fmt="doccano")
    assert import_files(store, [spaced], fmt="doccano", annotator="ana").annotators == ["ana"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fmt": "jsonl", "annotator": "ana"}, r"--annotator only apply to annotated formats"),
        ({"fmt": "doccano", "spans_key": "sc"}, r"--spans-key applies to the spacy format only"),
        (
            {"fmt": "doccano", "as_suggestions": "two words"},
            r"suggestion source 'two words' contains spaces",
        ),
        ({"fmt": "doccano", "scheme": "nope"}, r"no label scheme 'nope'"),
    ],
)
def test_import_annotated_bad_options_are_clear(store, tmp_path, kwargs, message):
    from annotator.domain.errors import AnnotatorError

    path = _jsonl(tmp_path / "a.jsonl", _task("x"))
    with pytest.raises(AnnotatorError, match=message):
        import_files(store, [path], **kwargs)


@given(
    status=st.sampled_from(["done", "skipped", "in_progress", 'odd "status"']),
    spans=st.lists(
        st.tuples(
            st.integers(min_value=-(2**70), max_value=2**70),
            st.integers(min_value=0, max_value=10**9),
            st.text(),
            st.sampled_from(["manual", "accepted", "ed\\ited", "é\x00"]),
        ),
        max_size=12,
    ),
)
def test_event_payload_is_json_dumps_text(status, spans):
    # The import event's payload is written by a format per span (speed); it must be the
    # very text json.dumps writes, for any label (quotes, control characters, surrogates).
    assert event_payload(status, spans) == json.dumps({"status": status, "spans": spans})


def test_event_payload_of_offsets_that_are_not_plain_ints_is_json_dumps_text():
    spans = [(True, 3, "LOC", "manual"), (1.5, 2, "PER", "manual")]
    assert event_payload("done", spans) == json.dumps({"status": "done", "spans": spans})
