"""Each format's reader on small files written here: what it reads, and the one-line error
(naming file and line, or record) for each kind of bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from annotator.domain.errors import InputError
from annotator.domain.records import AnnotatedRecord, ArticleRecord
from annotator.domain.spans import Span, Status
from annotator.formats import brat, conll, docbin, doccano, labelstudio, prodigy


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def _jsonl(*objects) -> str:
    return "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objects)


def _records(items) -> list[AnnotatedRecord]:
    items = list(items)
    errors = [i for i in items if isinstance(i, InputError)]
    assert not errors, errors
    return items


BAD = {
    "prodigy answer": (
        prodigy,
        "p.jsonl",
        _jsonl({"text": "ok", "answer": "accept"}, {"text": "ok", "answer": "maybe"}),
        r"p.jsonl:2: 'answer' must be accept, ignore or reject, got 'maybe'",
    ),
    "prodigy span outside": (
        prodigy,
        "p.jsonl",
        _jsonl({"text": "Idlib", "spans": [{"start": 0, "end": 9, "label": "LOC"}]}),
        r"p.jsonl:1: span 1 \[0, 9\) LOC: span \[0, 9\) lies outside the text \(length 5\)",
    ),
    "prodigy span text": (
        prodigy,
        "p.jsonl",
        _jsonl(
            {"text": "Idlib", "spans": [{"start": 0, "end": 5, "label": "LOC", "text": "Hama"}]}
        ),
        r"p.jsonl:1: span 1 \[0, 5\) LOC: span text 'Hama' does not match the text there \('Idlib'\)",
    ),
    "prodigy empty span": (
        prodigy,
        "p.jsonl",
        _jsonl({"text": "Idlib", "spans": [{"start": 3, "end": 3, "label": "LOC"}]}),
        r"p.jsonl:1: span 1 \[3, 3\) LOC: span \[3, 3\) is empty or reversed",
    ),
    "prodigy label with space": (
        prodigy,
        "p.jsonl",
        _jsonl({"text": "Idlib", "spans": [{"start": 0, "end": 5, "label": "A B"}]}),
        r"p.jsonl:1: span 1 \[0, 5\) A B: label 'A B' contains spaces",
    ),
    "prodigy json": (prodigy, "p.jsonl", '{"text": "ok"}\n{"text": \n', r"p.jsonl:2: invalid JSON"),
    "prodigy no text": (
        prodigy,
        "p.jsonl",
        _jsonl({"spans": []}),
        r"p.jsonl:1: record has no 'text'",
    ),
    "prodigy not utf-8": (
        prodigy,
        "p.jsonl",
        b'{"text": "ok"}\n{"text": "\xff"}\n',
        r"p.jsonl:2: not UTF-8",
    ),
    "doccano label shape": (
        doccano,
        "ana.jsonl",
        _jsonl({"text": "Idlib", "label": [[0, 5]]}),
        r"ana.jsonl:1: label 1 must be \[start, end, label\]",
    ),
    "doccano offsets": (
        doccano,
        "ana.jsonl",
        _jsonl({"text": "Idlib", "label": [["0", 5, "LOC"]]}),
        r"ana.jsonl:1: span 1 \['0', 5\) LOC: offsets must be integers",
    ),
    "label-studio json": (
        labelstudio,
        "t.json",
        '[\n{"data": {"text": "a"}},\n{"data": }\n]',
        r"t.json:3: invalid JSON",
    ),
    "label-studio no text": (
        labelstudio,
        "t.json",
        '[\n{"data": {"text": "a"}},\n{"data": {"body": "b"}}\n]',
        r"t.json:3: record has no 'text'",
    ),
    "label-studio value text": (
        labelstudio,
        "t.json",
        json.dumps(
            [
                {
                    "data": {"text": "Idlib"},
                    "annotations": [
                        {
                            "result": [
                                {
                                    "type": "labels",
                                    "value": {
                                        "start": 0,
                                        "end": 3,
                                        "text": "Idl!",
                                        "labels": ["LOC"],
                                    },
                                }
                            ]
                        }
                    ],
                }
            ]
        ),
        r"t.json:1: annotation 1: span 1 \[0, 3\) LOC: span text 'Idl!' does not match",
    ),
    "conll iob sequence": (
        conll,
        "c.conll",
        "JAPAN B-LOC\nGET O\n\nLadki I-PER\n",
        r"c.conll:4: invalid IOB2 sequence: I-PER after O \(an entity starts with B-\)",
    ),
    "conll iob type change": (
        conll,
        "c.conll",
        "-DOCSTART- -X- O O\n\nNew B-LOC\nYork I-ORG\n",
        r"c.conll:4: invalid IOB2 sequence: I-ORG after I-LOC",
    ),
    "conll one column": (
        conll,
        "c.conll",
        "JAPAN B-LOC\nGET\n",
        r"c.conll:2: expected a token and its tag",
    ),
    "docbin not a docbin": (
        docbin,
        "d.spacy",
        b"this is not msgpack",
        r"d.spacy: not a spaCy DocBin file",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_formats_reader_bad_input_is_one_line_naming_file_and_line(tmp_path, case):
    module, name, content, message = BAD[case]
    path = _write(tmp_path / name, content)
    errors = [item for item in module.read(path) if isinstance(item, InputError)]
    assert errors, "no error"
    assert re.search(message, str(errors[0])), str(errors[0])
    assert "\n" not in str(errors[0])


def test_formats_prodigy_reads_answers_annotators_meta_and_token_only_spans(tmp_path):
    path = _write(
        tmp_path / "news.jsonl",
        _jsonl(
            {
                "text": "Assad in Idlib",
                "answer": "reject",
                "_annotator_id": "ana",
                "_session_id": "news-ana",
                "meta": {"title": "T", "id": 7, "url": "u"},
                "tokens": [{"start": 0, "end": 5}, {"start": 6, "end": 8}, {"start": 9, "end": 14}],
                "spans": [{"token_start": 2, "token_end": 2, "label": "LOC"}],
            },
            {"text": "x", "answer": "ignore", "_session_id": "news-bob"},
            {"text": "y"},
        ),
    )
    first, second, third = _records(prodigy.read(path))
    assert first.status is Status.FLAGGED and first.annotator == "ana"
    assert first.spans == [Span(9, 14, "LOC")]
    assert (first.article.title, first.article.external_id, first.article.meta) == (
        "T",
        "7",
        {"url": "u"},
    )
    assert (second.status, second.annotator) == (Status.SKIPPED, "news-bob")
    assert (third.status, third.annotator, third.article.source) == (
        Status.DONE,
        None,
        "news.jsonl",
    )


def test_formats_prodigy_mixed_spans_take_the_same_checks_as_single_ones(tmp_path):
    # One task whose spans mix offsets, null offsets placed by tokens and a span "text"
    # that is not a string (not compared): each is read as on its own.
    tokens = [{"start": 0, "end": 5}, {"start": 6, "end": 8}, {"start": 9, "end": 14}]
    path = _write(
        tmp_path / "mixed.jsonl",
        _jsonl(
            {
                "text": "Assad in Idlib",
                "tokens": tokens,
                "spans": [
                    {"start": 0, "end": 5, "label": "PER", "text": "Assad"},
                    {"start": None, "end": None, "token_start": 2, "token_end": 2, "label": "LOC"},
                ],
            },
            {
                "text": "Assad in Idlib",
                "spans": [{"start": 0, "end": 5, "label": "PER", "text": 5}],
            },
            {
                "text": "Assad in Idlib",
                "spans": [{"start": 0, "end": 5, "label": "PER", "text": "Asad"}],
            },
            {"text": "Assad in Idlib", "spans": [[0, 5, "PER"]]},
            {"text": "Assad in Idlib", "spans": [{"start": 0, "label": "PER"}]},
        ),
    )
    first, second, wrong_text, not_object, no_end = list(prodigy.read(path))
    assert first.spans == [Span(0, 5, "PER"), Span(9, 14, "LOC")]
    assert second.spans == [Span(0, 5, "PER")]
    assert "mixed.jsonl:3: span 1 [0, 5) PER: span text 'Asad' does not match" in str(wrong_text)
    assert "mixed.jsonl:4: span 1 must be an object" in str(not_object)
    assert "mixed.jsonl:5: span 1 has neither start/end nor token_start/token_end" in str(no_end)


def test_formats_reader_normalisation_moves_span_offsets(tmp_path):
    # \r\n becomes \n and e + combining acute becomes é: the span must still cover "Idlib".
    text = "Cafe\u0301\r\nin Idlib"
    path = _write(
        tmp_path / "p.jsonl",
        _jsonl({"text": text, "spans": [{"start": 10, "end": 15, "label": "LOC"}]}),
    )
    [record] = _records(prodigy.read(path))
    assert record.article.text == "Caf\u00e9\nin Idlib"
    [span] = record.spans
    assert record.article.text[span.start : span.end] == "Idlib"


def test_formats_reader_span_inside_a_joined_character_is_refused(tmp_path):
    path = _write(
        tmp_path / "p.jsonl",
        _jsonl({"text": "Cafe\u0301", "spans": [{"start": 0, "end": 4, "label": "X"}]}),
    )
    [error] = list(prodigy.read(path))
    assert isinstance(error, InputError)
    assert "p.jsonl:1: a span offset 4 splits a character sequence" in str(error)


def test_formats_doccano_reads_label_and_entities_forms(tmp_path):
    path = _write(
        tmp_path / "ana.jsonl",
        _jsonl(
            {
                "text": "EU rejects",
                "label": [[0, 2, "ORG"]],
                "meta": {"title": "T"},
                "Comments": [],
            },
            {
                "id": 3,
                "text": "Hama",
                "entities": [{"id": 1, "start_offset": 0, "end_offset": 4, "label": "LOC"}],
                "relations": [{"id": 1}],
            },
        ),
    )
    first, second = _records(doccano.read(path))
    assert first.spans == [Span(0, 2, "ORG")] and first.article.title == "T"
    assert first.article.meta == {"Comments": []}
    assert second.spans == [Span(0, 4, "LOC")] and second.article.external_id == "3"
    assert second.ignored == ["1 relations"]


def test_formats_label_studio_reads_annotators_statuses_predictions_and_bare_tasks(tmp_path):
    region = {
        "type": "labels",
        "value": {"start": 0, "end": 5, "text": "Assad", "labels": ["PER", "X"]},
    }
    tasks = [
        {
            "data": {"text": "Assad", "title": "T"},
            "annotations": [
                {
                    "completed_by": {"id": 1, "email": "ana@x.org"},
                    "result": [region, {"type": "choices", "value": {}}],
                },
                {"completed_by": 2, "was_cancelled": True, "result": []},
                {"created_username": "bob@x.org, 3", "completed_by": 3, "result": []},
            ],
            "predictions": [{"model_version": "ner v2", "result": [region]}],
        },
        {"data": {"text": "not yet annotated"}},
    ]
    path = _write(tmp_path / "t.json", json.dumps(tasks, indent=2))
    items = _records(labelstudio.read(path))
    ana, cancelled, bob, predicted, bare = items
    assert (ana.annotator, ana.status, ana.article.title) == ("ana@x.org", Status.DONE, "T")
    assert ana.spans == [Span(0, 5, "PER"), Span(0, 5, "X")] and ana.ignored == [
        "1 choices results"
    ]
    assert (cancelled.annotator, cancelled.status) == ("user-2", Status.SKIPPED)
    assert bob.annotator == "bob@x.org"
    assert (predicted.suggested_by, predicted.annotator) == ("ner-v2", None)
    assert isinstance(bare, ArticleRecord) and bare.text == "not yet annotated"


def test_formats_label_studio_error_names_the_task_line(tmp_path):
    tasks = '[\n  {"data": {"text": "a"}},\n  {"data": {"text": "b"},\n   "annotations": [{"result": [{"type": "labels", "value": {"start": 0, "end": 4, "labels": ["X"]}}]}]}\n]'
    path = _write(tmp_path / "t.json", tasks)
    errors = [i for i in labelstudio.read(path) if isinstance(i, InputError)]
    assert str(errors[0]).startswith(
        f"{path}:3: annotation 1: span 1 [0, 4) X: span [0, 4) lies outside"
    )


BRAT_TEXT = "Caius Apicius\nMadrid, EFE\n"


@pytest.mark.parametrize(
    ("ann", "message"),
    [
        (
            "T1\tPER 0 13\tCaius Apicius\nT2\tLOC 14 20;21 24\tMadrid EFE\n",
            r"a.ann:2: entity T2 is discontinuous",
        ),
        (
            "T1\tPER 0 13\tCaius Apicio\n",
            r"a.ann:1: entity T1 PER \[0, 13\): text 'Caius Apicio' does not match 'Caius Apicius'",
        ),
        (
            "T1\tPER 0 99\tCaius\n",
            r"a.ann:1: entity T1 PER \[0, 99\): span \[0, 99\) lies outside the text",
        ),
        ("T1\tPER zero 5\tCaius\n", r"a.ann:1: entity T1: offsets must be two integers"),
    ],
)
def test_formats_brat_bad_entities_name_the_ann_line(tmp_path, ann, message):
    _write(tmp_path / "a.txt", BRAT_TEXT)
    _write(tmp_path / "a.ann", ann)
    errors = [i for i in brat.read(tmp_path) if isinstance(i, InputError)]
    assert re.search(message, str(errors[0])), str(errors[0])


def test_formats_brat_reads_annotator_folders_and_counts_what_it_leaves_out(tmp_path):
    for person in ("ana", "bob"):
        _write(tmp_path / person / "sub" / "a.txt", BRAT_TEXT)
        _write(
            tmp_path / person / "sub" / "a.ann",
            "T1\tPER 0 13\tCaius Apicius\nT2\tLOC 14 20\tMadrid\nR1\tIn Arg1:T1 Arg2:T2\n#1\tAnnotatorNotes T1\tnote\n",
        )
    _write(tmp_path / "ana" / "b.txt", "no annotation file yet")
    _write(tmp_path / "annotation.conf", "[entities]\nPER\n")
    items = _records(brat.read(tmp_path))
    annotated = [i for i in items if isinstance(i, AnnotatedRecord)]
    assert [(r.annotator, r.article.external_id) for r in annotated] == [
        ("ana", "sub/a"),
        ("bob", "sub/a"),
    ]
    assert annotated[0].spans == [Span(0, 13, "PER"), Span(14, 20, "LOC")]
    assert annotated[0].ignored == ["1 notes", "1 relations"]
    assert annotated[0].article.title == "Caius Apicius"
    [bare] = [i for i in items if isinstance(i, ArticleRecord)]
    assert bare.text == "no annotation file yet"


def test_formats_brat_missing_txt_is_an_error(tmp_path):
    _write(tmp_path / "a.ann", "T1\tPER 0 5\tCaius\n")
    errors = [i for i in brat.read(tmp_path) if isinstance(i, InputError)]
    assert str(errors[0]) == f"{tmp_path / 'a.ann'}: no a.txt beside it"


def test_formats_conll_documents_and_sentences(tmp_path):
    documents = _write(
        tmp_path / "d.conll",
        "-DOCSTART- -X- O O\n\nWhen O\nSebastian B-PERSON\nThrun I-PERSON\nleft O\n\nHe O\nsaid O\n"
        "-DOCSTART- -X- O O\n\nIdlib B-LOC\n",
    )
    first, second = _records(conll.read(documents))
    assert first.article.text == "When Sebastian Thrun left\nHe said"
    assert first.spans == [Span(5, 20, "PERSON")]
    assert (second.article.text, second.spans) == ("Idlib", [Span(0, 5, "LOC")])
    sentences = _write(
        tmp_path / "s.conll", "JAPAN\tB-LOC\nGET\tO\n\n\nNadim\tB-PER\nLadki\tI-PER\n\n"
    )
    japan, nadim = _records(conll.read(sentences))
    assert (japan.article.text, japan.spans) == ("JAPAN GET", [Span(0, 5, "LOC")])
    assert (nadim.article.text, nadim.spans) == ("Nadim Ladki", [Span(0, 11, "PER")])
    assert japan.article.where == f"{sentences}:1" and nadim.article.where == f"{sentences}:5"


def test_formats_conll_error_skips_to_the_next_record(tmp_path):
    path = _write(tmp_path / "c.conll", "A B-X\nB I-Y\n\nGood B-LOC\n")
    items = list(conll.read(path))
    assert isinstance(items[0], InputError) and items[1].article.text == "Good"


def test_formats_docbin_reads_ents_or_a_spans_key(tmp_path):
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    doc = nlp.make_doc("Assad visited Idlib")
    doc.ents = [doc.char_span(0, 5, "PER"), doc.char_span(14, 19, "LOC")]
    doc.spans["sc"] = [doc.char_span(0, 13, "EVENT")]
    path = tmp_path / "d.spacy"
    DocBin(docs=[doc]).to_disk(path)
    [record] = _records(docbin.read(path))
    assert record.spans == [Span(0, 5, "PER"), Span(14, 19, "LOC")] and record.annotator is None
    [keyed] = _records(docbin.read(path, spans_key="sc"))
    assert keyed.spans == [Span(0, 13, "EVENT")]
    [missing] = list(docbin.read(path, spans_key="nope"))
    assert str(missing) == f"{path}: doc 1: has no spans under key 'nope'"
