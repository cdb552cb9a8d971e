"""Exporting: which annotations, where to, what happens with spans a format cannot hold,
and the guarantees: deterministic bytes, atomic files and folders."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.domain.errors import ExportError, InputError
from annotator.domain.spans import Kind, Origin, Span, Status
from annotator.domain.text import content_hash
from annotator.formats import prodigy
from annotator.services.exporting import MANIFEST, export_annotations
from annotator.store.annotations import save_annotation
from tests.exchange import Annotation, Article, populate

TEXT = "Assad's forces shelled Idlib on Monday."


@pytest.fixture
def annotated(store):
    """Three articles: ana and bob on the first, ana alone on the others, one in progress
    with a pending suggestion, and a gold annotation of the first."""
    ids = populate(
        store,
        [
            Article(TEXT, title="Shelling", source="a.txt"),
            Article("Rebels in Hama said nothing.", title="Hama", source="b.txt"),
            Article("Unfinished work in Ariha.", source="c.txt"),
        ],
        [
            Annotation(0, "ana", [Span(0, 5, "PERSON"), Span(23, 28, "LOC")]),
            Annotation(0, "bob", [Span(23, 28, "LOC")]),
            Annotation(1, "ana", [Span(10, 14, "LOC")]),
            Annotation(
                2,
                "ana",
                [Span(19, 24, "LOC"), Span(0, 10, "X", Origin.SUGGESTED)],
                Status.IN_PROGRESS,
            ),
        ],
    )
    with store.write() as session:
        save_annotation(
            session,
            article_id=ids[0],
            annotator="rev",
            spans=[Span(0, 5, "PERSON")],
            kind=Kind.GOLD,
        )
    return store


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_export_default_out_is_a_dated_folder_under_exports(annotated, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = export_annotations(annotated, fmt="prodigy")
    assert re.fullmatch(
        r"exports/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-prodigy/annotations\.jsonl", str(report.out)
    )
    folder = export_annotations(annotated, fmt="brat").out
    assert re.fullmatch(r"exports/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-brat", str(folder))
    assert (folder / "ana" / "a.ann").read_text() == "T1\tPERSON 0 5\tAssad\nT2\tLOC 23 28\tIdlib\n"


@pytest.mark.parametrize(
    ("source", "status", "expected"),
    [
        ("all", "done", [("Shelling", "ana"), ("Shelling", "bob"), ("Hama", "ana")]),
        ("bob", "done", [("Shelling", "bob")]),
        ("gold", "done", [("Shelling", "rev")]),
        ("ana", "all", [("Shelling", "ana"), ("Hama", "ana"), ("", "ana")]),
        ("all", "in_progress", [("", "ana")]),
    ],
)
def test_export_source_and_status_choose_the_annotations(
    annotated, tmp_path, source, status, expected
):
    out = tmp_path / "p.jsonl"
    export_annotations(annotated, fmt="prodigy", out=out, source=source, status=status)
    tasks = _lines(out)
    assert [(t["meta"].get("title", ""), t["_annotator_id"]) for t in tasks] == expected


def test_export_leaves_pending_suggestions_out(annotated, tmp_path):
    out = tmp_path / "p.jsonl"
    export_annotations(annotated, fmt="prodigy", out=out, status="in_progress")
    [task] = _lines(out)
    assert [(s["start"], s["end"], s["label"]) for s in task["spans"]] == [(19, 24, "LOC")]
    assert "answer" not in task  # Prodigy has no answer for work in progress


def test_export_prodigy_tokens_spans_and_documented_hashes(annotated, tmp_path):
    out = tmp_path / "p.jsonl"
    export_annotations(annotated, fmt="prodigy", out=out, source="ana", dataset="news")
    task = _lines(out)[0]
    assert task["text"] == TEXT
    assert [t["text"] for t in task["tokens"][:4]] == ["Assad", "'s", "forces", "shelled"]
    assert task["tokens"][0]["ws"] is False and task["tokens"][1]["ws"] is True
    tokens = task["tokens"]
    for span in task["spans"]:
        assert tokens[span["token_start"]]["start"] == span["start"]
        assert tokens[span["token_end"]]["end"] == span["end"]  # token_end is inclusive
    assert (task["answer"], task["_annotator_id"], task["_session_id"]) == (
        "accept",
        "ana",
        "news-ana",
    )
    expected_input = int.from_bytes(bytes.fromhex(content_hash(TEXT)[:8]), "big", signed=True)
    assert task["_input_hash"] == expected_input
    assert task["_task_hash"] == prodigy.task_hash(
        expected_input, [Span(0, 5, "PERSON"), Span(23, 28, "LOC")]
    )
    assert prodigy.task_hash(expected_input, [Span(0, 5, "PERSON")]) != task["_task_hash"]


def test_export_prodigy_cuts_tokens_where_a_span_ends_inside_one(store, tmp_path):
    populate(store, [Article("Idlib's hospitals")], [Annotation(0, "ana", [Span(0, 3, "X")])])
    out = tmp_path / "p.jsonl"
    export_annotations(store, fmt="prodigy", out=out)
    [task] = _lines(out)
    assert [t["text"] for t in task["tokens"]] == ["Idl", "ib", "'s", "hospitals"]
    assert task["spans"][0]["token_start"] == task["spans"][0]["token_end"] == 0


def test_export_label_studio_tasks_with_annotators_and_predictions(annotated, tmp_path):
    from annotator.domain.spans import Suggestion
    from annotator.store.suggestions import replace_suggestions

    with annotated.write() as session:
        replace_suggestions(
            session,
            article_id=1,
            source="model:x@1",
            suggestions=[Suggestion(0, 5, "PER", "model:x@1")],
        )
    out = tmp_path / "t.json"
    report = export_annotations(annotated, fmt="label-studio", out=out, status="all")
    tasks = json.loads(out.read_text())
    first = tasks[0]
    # Label Studio's server refuses completed_by values that are not its users: the names
    # travel in the task's free data instead, one per annotation.
    assert first["data"]["annotated_by"] == ["ana", "bob"]
    assert all("completed_by" not in a for a in first["annotations"])
    assert first["annotations"][0]["result"][1]["value"] == {
        "start": 23,
        "end": 28,
        "text": "Idlib",
        "labels": ["LOC"],
    }
    assert first["predictions"] == [
        {
            "model_version": "model:x@1",
            "result": [
                {
                    **first["predictions"][0]["result"][0],
                    "value": {"start": 0, "end": 5, "text": "Assad", "labels": ["PER"]},
                }
            ],
        }
    ]
    assert report.suggestions == 1 and len(tasks) == 3


def test_export_doccano_one_file_per_annotator(annotated, tmp_path):
    report = export_annotations(annotated, fmt="doccano", out=tmp_path / "d")
    assert [p.name for p in report.files] == ["ana.jsonl", "bob.jsonl"]
    assert _lines(tmp_path / "d" / "bob.jsonl") == [
        {"text": TEXT, "label": [[23, 28, "LOC"]], "meta": {"title": "Shelling", "source": "a.txt"}}
    ]


@pytest.mark.parametrize("fmt", ["spacy", "conll"])
def test_export_formats_without_annotators_refuse_two_versions_of_an_article(
    annotated, tmp_path, fmt
):
    with pytest.raises(
        ExportError,
        match=r"article 1 “Shelling” has annotations by 2 annotators \(ana, bob\); "
        + (
            "training data would hold conflicting versions"
            if fmt == "spacy"
            else "conll cannot say who"
        ),
    ):
        export_annotations(annotated, fmt=fmt, out=tmp_path / "x")
    assert not (tmp_path / "x").exists()
    assert (
        export_annotations(annotated, fmt=fmt, out=tmp_path / "y", source="gold").annotations == 1
    )


def _one(store, text: str, *spans: Span) -> None:
    populate(store, [Article(text, title="T")], [Annotation(0, "ana", list(spans))])


@pytest.mark.parametrize(
    ("fmt", "spans", "message"),
    [
        (
            "spacy",
            [Span(0, 3, "LOC")],
            r"article 1 “T”: span \[0, 3\) LOC 'Idl': does not align with token boundaries \(the tokens there: \['Idlib'\]\)",
        ),
        (
            "spacy",
            [Span(0, 5, "LOC"), Span(0, 14, "ORG")],
            r"span \[0, 5\) LOC 'Idlib': overlaps \[0, 14\) ORG",
        ),
        (
            "spacy",
            [Span(0, 6, "LOC")],
            r"span \[0, 6\) LOC 'Idlib ': starts or ends with whitespace",
        ),
        (
            "conll",
            [Span(0, 5, "LOC"), Span(3, 12, "ORG")],
            r"span \[3, 12\) ORG 'ib hospit': overlaps \[0, 5\) LOC",
        ),
    ],
)
def test_export_span_the_format_cannot_hold_fails_and_leaves_nothing(
    store, tmp_path, fmt, spans, message
):
    _one(store, "Idlib hospital", *spans)
    out = tmp_path / "exports" / "run" / ("x.conll" if fmt == "conll" else "spacy")
    with pytest.raises(ExportError, match=message + r".*--skip-invalid leaves such spans out"):
        export_annotations(store, fmt=fmt, out=out)
    assert not (tmp_path / "exports").exists()  # not even the folders it would have made
    report = export_annotations(store, fmt=fmt, out=out, skip_invalid=True)
    assert len(report.skipped) == 1 and re.search(message, report.skipped[0])
    assert out.exists()


def test_export_skip_invalid_drops_only_the_bad_span(store, tmp_path):
    import spacy
    from spacy.tokens import DocBin

    _one(store, "Idlib hospital", Span(0, 3, "LOC"), Span(6, 14, "FACILITY"))
    report = export_annotations(
        store, fmt="spacy", out=tmp_path / "s", skip_invalid=True, split=1.0
    )
    [doc] = DocBin().from_disk(tmp_path / "s" / "train.spacy").get_docs(spacy.blank("en").vocab)
    assert [(e.text, e.label_) for e in doc.ents] == [("hospital", "FACILITY")]
    assert report.parts == {"train": 1, "dev": 0}


def test_export_spans_key_keeps_overlaps(store, tmp_path):
    import spacy
    from spacy.tokens import DocBin

    _one(store, "Idlib hospital", Span(0, 5, "LOC"), Span(0, 14, "FACILITY"))
    export_annotations(store, fmt="spacy", out=tmp_path / "s", spans_key="sc", split=1.0)
    [doc] = DocBin().from_disk(tmp_path / "s" / "train.spacy").get_docs(spacy.blank("en").vocab)
    assert [(s.text, s.label_) for s in doc.spans["sc"]] == [
        ("Idlib", "LOC"),
        ("Idlib hospital", "FACILITY"),
    ]
    assert not doc.ents
    config = (tmp_path / "s" / "config.cfg").read_text()
    assert 'pipeline = ["tok2vec", "spancat"]' in config and 'spans_key = "sc"' in config


def test_export_replaces_an_earlier_export_but_not_a_foreign_folder(annotated, tmp_path):
    out = tmp_path / "brat"
    export_annotations(annotated, fmt="brat", out=out)
    (out / "ana" / "stale.ann").write_text("old")
    export_annotations(annotated, fmt="brat", out=out)
    assert not (out / "ana" / "stale.ann").exists() and (out / MANIFEST).is_file()
    assert _leftovers(tmp_path) == []
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(ExportError, match="exists and is not an earlier annotator export"):
        export_annotations(annotated, fmt="doccano", out=foreign)
    assert (foreign / "notes.txt").read_text() == "keep me"
    with pytest.raises(ExportError, match="is a folder; this format writes one file"):
        export_annotations(annotated, fmt="prodigy", out=foreign)
    with pytest.raises(ExportError, match="is a file; this format writes a folder"):
        export_annotations(annotated, fmt="doccano", out=foreign / "notes.txt")


def test_export_nothing_to_export_and_unknown_names(annotated, tmp_path):
    with pytest.raises(ExportError, match="nothing to export: no annotations with status flagged"):
        export_annotations(annotated, fmt="prodigy", out=tmp_path / "p", status="flagged")
    with pytest.raises(
        InputError, match=r"no annotator 'zoe' \(use gold, all or one of: ana, bob, rev\)"
    ):
        export_annotations(annotated, fmt="prodigy", out=tmp_path / "p", source="zoe")
    with pytest.raises(InputError, match="unknown format 'csv'"):
        export_annotations(annotated, fmt="csv", out=tmp_path / "p")
    with pytest.raises(InputError, match="--spans-key applies to the spacy format only"):
        export_annotations(annotated, fmt="conll", out=tmp_path / "p", spans_key="sc")


def test_export_spacy_split_is_by_article_and_seeded(store, tmp_path):
    populate(
        store,
        [Article(f"Report number {i} from Idlib.") for i in range(20)],
        [
            Annotation(
                i,
                "ana",
                [
                    Span(
                        len(f"Report number {i} from "), len(f"Report number {i} from Idlib"), "LOC"
                    )
                ],
            )
            for i in range(20)
        ],
    )
    first = export_annotations(store, fmt="spacy", out=tmp_path / "a", split=0.75, seed=3)
    export_annotations(store, fmt="spacy", out=tmp_path / "b", split=0.75, seed=3)
    other = export_annotations(store, fmt="spacy", out=tmp_path / "c", split=0.75, seed=4)
    assert first.parts == {"train": 15, "dev": 5}
    assert (tmp_path / "a" / "train.spacy").read_bytes() == (
        tmp_path / "b" / "train.spacy"
    ).read_bytes()
    assert (tmp_path / "a" / "train.spacy").read_bytes() != (
        tmp_path / "c" / "train.spacy"
    ).read_bytes()
    assert other.parts == first.parts
    assert first.command == (
        f"{sys.executable} -m spacy train {tmp_path}/a/config.cfg --paths.train {tmp_path}/a/train.spacy "
        f"--paths.dev {tmp_path}/a/dev.spacy --output {tmp_path}/a/model"
    )


EXPORT_TWICE = r"""
import sys
from pathlib import Path
from annotator.services.exporting import export_annotations
from annotator.store.engine import open_store
store = open_store(sys.argv[1])
for fmt in ("spacy", "prodigy", "doccano", "label-studio", "brat", "conll"):
    export_annotations(store, fmt=fmt, out=Path(sys.argv[2]) / fmt, source="ana", status="all")
"""


def test_export_output_is_byte_identical_across_runs(annotated, db_path, tmp_path):
    annotated.dispose()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-c", EXPORT_TWICE, str(db_path), str(tmp_path / seed)],
            check=True,
            env=env,
        )
    files = sorted(
        p.relative_to(tmp_path / "1") for p in (tmp_path / "1").rglob("*") if p.is_file()
    )
    assert len(files) >= 14
    for name in files:
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name


def test_export_files_get_the_usual_permissions(annotated, tmp_path):
    old = os.umask(0o022)
    try:
        report = export_annotations(annotated, fmt="doccano", out=tmp_path / "d")
    finally:
        os.umask(old)
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o755
    assert all(p.stat().st_mode & 0o777 == 0o644 for p in report.files)


def test_export_spacy_built_by_two_processes_is_byte_identical(store, tmp_path, monkeypatch):
    import annotator.services.exporting as exporting

    populate(
        store,
        [
            Article(f"Report {i} from Idlib{' ok' if i % 3 else ''}.", title=f"R{i}")
            for i in range(30)
        ],
        [
            Annotation(
                i,
                "ana" if i % 2 else "bob",
                [Span(len(f"Report {i} from "), len(f"Report {i} from Idlib"), "LOC")]
                + ([Span(0, 3, "BAD")] if i in (4, 25) else []),  # misaligned: "Rep"
            )
            for i in range(30)
        ],
    )
    one = export_annotations(store, fmt="spacy", out=tmp_path / "one", skip_invalid=True)
    monkeypatch.setattr(exporting, "SUBPROCESS_THRESHOLD", 0)
    two = export_annotations(store, fmt="spacy", out=tmp_path / "two", skip_invalid=True)
    for name in ("train.spacy", "dev.spacy", "config.cfg"):
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()
    # The problems of both halves, in article order (article 5 is in the child's half).
    assert two.skipped == one.skipped and [p.split(":")[0] for p in two.skipped] == [
        "article 5 “R4”",
        "article 26 “R25”",
    ]
    with pytest.raises(ExportError, match="article 5 “R4”: span \\[0, 3\\) BAD 'Rep'"):
        export_annotations(store, fmt="spacy", out=tmp_path / "three")
    assert not (tmp_path / "three").exists()


def test_export_child_half_refuses_a_changed_selection(annotated):
    from annotator.services.exporting import docbin_first_half

    with pytest.raises(ExportError, match="annotations changed as the export started"):
        next(
            docbin_first_half(
                annotated.url, "all", "done", 2, "stale", "en", None, frozenset(), False
            )
        )


@pytest.mark.parametrize(
    ("fmt", "source", "status", "counts"),
    [
        ("doccano", "all", "done", (3, 2, ["ana", "bob"])),
        ("doccano", "all", "all", (4, 3, ["ana", "bob"])),
        ("prodigy", "bob", "done", (1, 1, ["bob"])),
        ("brat", "gold", "all", (1, 1, ["rev"])),
        ("spacy", "ana", "all", (3, 3, ["ana"])),
    ],
)
def test_export_report_counts_the_selection(annotated, tmp_path, fmt, source, status, counts):
    # Counted by the database (spaCy's export also lists the selection): annotations,
    # distinct articles and annotators of what was selected, also in the manifest.
    report = export_annotations(
        annotated, fmt=fmt, out=tmp_path / "out", source=source, status=status
    )
    assert (report.annotations, report.articles, report.annotators) == counts
    if (tmp_path / "out" / MANIFEST).exists():
        manifest = json.loads((tmp_path / "out" / MANIFEST).read_text(encoding="utf-8"))
        assert (manifest["annotations"], manifest["articles"], manifest["annotators"]) == (
            counts[0],
            counts[1],
            counts[2],
        )
