"""Other tools' own code as the judge of what we write: Label Studio's SDK validators
(the server refuses completed_by names), brat's parser (bratsubset, shipped with bratiaa)
on entities that cross line breaks, and CoNLL files whose articles hold "-DOCSTART-"."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from annotator.domain.spans import Span
from annotator.formats import brat
from annotator.services.exporting import export_annotations
from annotator.services.importing import import_files
from tests.exchange import Annotation, Article, annotations_of, new_store, populate

# An entity across a blank line, as scraped pages give them ("Idleb Countryside\n\nThe").
TEXT = "Assad's forces in Idleb Countryside\n\nThe Front said on Sunday.\nTahrir al-Sham\n"


def _at(word: str, label: str) -> Span:
    start = TEXT.index(word)
    return Span(start, start + len(word), label)


SPANS = {
    "ana": [_at("Idleb Countryside\n\nThe", "LOC"), _at("Sunday", "DATE")],
    "bob": [_at("Assad", "PER"), _at("Idleb Countryside", "LOC"), _at("Tahrir al-Sham", "ORG")],
}


@pytest.fixture
def exported(tmp_path):
    store = new_store(tmp_path)
    populate(
        store,
        [Article(TEXT, title="Idleb", source="a.txt")],
        [Annotation(0, name, spans) for name, spans in SPANS.items()],
    )
    yield store
    store.dispose()


def _label_config(labels: set[str]) -> str:
    choices = "".join(f'<Label value="{label}"/>' for label in sorted(labels))
    return (
        f'<View><Labels name="label" toName="text">{choices}</Labels>'
        '<Text name="text" value="$text"/></View>'
    )


def test_tools_label_studio_export_passes_the_sdk_validators(exported, tmp_path):
    interface_module = pytest.importorskip("label_studio_sdk.label_interface")
    out = tmp_path / "tasks.json"
    export_annotations(exported, fmt="label-studio", out=out)
    tasks = json.loads(out.read_text())
    labels = {s.label for spans in SPANS.values() for s in spans}
    interface = interface_module.LabelInterface(_label_config(labels))
    for task in tasks:
        # (The SDK's validate_task calls validate_annotation without its argument: its
        # per-object validators are used instead.)
        assert isinstance(task["data"]["text"], str)
        for annotation in task["annotations"]:
            assert interface.validate_annotation(annotation) is True
            assert interface.validate_prediction(annotation, return_errors=True) == []
            # The server matches completed_by against its users: no names there.
            assert "completed_by" not in annotation
        assert task["data"]["annotated_by"] == ["ana", "bob"]
    # A label outside the config is what the validators refuse: they do judge.
    broken = json.loads(out.read_text())[0]["annotations"][0]
    broken["result"][0]["value"]["labels"] = ["NOPE"]
    assert interface.validate_annotation(broken) is False


def test_tools_label_studio_export_reads_back_after_the_server(exported, tmp_path):
    """What Label Studio exports after importing ours: completed_by is the importing
    user's number; our annotated_by data survives and still names the annotators."""
    out = tmp_path / "tasks.json"
    export_annotations(exported, fmt="label-studio", out=out)
    tasks = json.loads(out.read_text())
    for task in tasks:
        for number, annotation in enumerate(task["annotations"], 1):
            annotation["completed_by"] = 1
            annotation["id"] = number
            annotation["created_username"] = "admin@example.org, 1"
    back = tmp_path / "back.json"
    back.write_text(json.dumps(tasks))
    again = new_store(tmp_path, "again.db")
    import_files(again, [back], fmt="label-studio")
    assert annotations_of(again) == annotations_of(exported)
    again.dispose()


def test_tools_label_studio_own_export_numbers_get_readable_names(tmp_path):
    task = {
        "id": 7,
        "data": {"text": "Lisa met Max."},
        "annotations": [
            {"id": 1, "completed_by": 3, "created_username": "lisa@lab.org, 3", "result": []},
            {"id": 2, "completed_by": 4, "result": []},
        ],
    }
    path = tmp_path / "ls.json"
    path.write_text(json.dumps([task]))
    store = new_store(tmp_path)
    report = import_files(store, [path], fmt="label-studio")
    assert report.annotators == ["lisa@lab.org", "user-4"]
    store.dispose()


def test_tools_brat_fragments_across_line_breaks_pass_brats_parser(exported, tmp_path):
    pytest.importorskip("bratsubset")
    from bratsubset.annotation import TextAnnotations

    out = tmp_path / "brat"
    export_annotations(exported, fmt="brat", out=out)
    ann = (out / "ana" / "a.ann").read_text()
    assert "T1\tLOC 18 35;37 40\tIdleb Countryside The\n" in ann
    for person, spans in SPANS.items():
        document = str(out / person / "a")
        parsed = TextAnnotations(document, read_only=True)
        bounds = sorted((t.spans[0][0], t.spans[-1][1], t.type) for t in parsed.get_textbounds())
        assert bounds == sorted((s.start, s.end, s.label) for s in spans)
    # And annotator reads the fragments back as the one span they came from.
    again = new_store(tmp_path, "again.db")
    import_files(again, [out], fmt="brat")
    assert annotations_of(again) == annotations_of(exported)
    again.dispose()


def test_tools_brat_fragments_with_text_between_are_refused_by_line(tmp_path):
    (tmp_path / "a.txt").write_text("Caius Apicius\nMadrid, EFE\n")
    (tmp_path / "a.ann").write_text(
        "T1\tPER 0 13\tCaius Apicius\nT2\tLOC 14 20;22 25\tMadrid EFE\n"
    )
    errors = [str(item) for item in brat.read(tmp_path) if isinstance(item, Exception)]
    assert len(errors) == 1 and "a.ann:2: entity T2 is discontinuous" in errors[0]
    (tmp_path / "a.ann").write_text("T1\tLOC 0 5;6 13\tCaius Apicius\n")
    (record,) = list(brat.read(tmp_path))
    assert [(s.start, s.end) for s in record.spans] == [(0, 13)]


def test_tools_conll_article_with_docstart_word_stays_one_article(tmp_path):
    text = "The token -DOCSTART- appears in Idlib today"
    store = new_store(tmp_path)
    populate(store, [Article(text)], [Annotation(0, "ana", [Span(32, 37, "LOC")])])
    out = tmp_path / "out.conll"
    export_annotations(store, fmt="conll", out=out)
    assert "-DOCSTART- O\n" in out.read_text()
    again = new_store(tmp_path, "again.db")
    report = import_files(again, [out], fmt="conll", annotator="ana")
    assert report.articles == 1
    assert annotations_of(again) == annotations_of(store)
    store.dispose()
    again.dispose()


def test_tools_printed_train_command_uses_this_interpreter(exported, tmp_path):
    report = export_annotations(exported, fmt="spacy", out=tmp_path / "s", source="ana")
    assert report.command.startswith(f"{sys.executable} -m spacy train ")
    assert Path(sys.executable).exists()
