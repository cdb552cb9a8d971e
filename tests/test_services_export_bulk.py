"""Bulk export paths: spaCy DocBins in shards (the same docs as one file, read by spaCy's
own corpus reader), a killed export's temporary files removed by the next run, and the
export read side giving the records the store's own reading gives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.domain.spans import Origin, Span, Status
from annotator.services import exporting
from annotator.services.exporting import export_annotations
from annotator.store.annotations import stored_annotations
from annotator.store.exports import export_records
from tests.exchange import Annotation, Article, populate


@pytest.fixture
def thirty(store):
    populate(
        store,
        [Article(f"Report {i} from Idlib and Hama.", title=f"R{i}") for i in range(30)],
        [
            Annotation(
                i,
                "ana",
                [
                    Span(len(f"Report {i} from "), len(f"Report {i} from Idlib"), "LOC"),
                    Span(0, 6, "X", Origin.SUGGESTED),
                ],
                Status.DONE if i % 7 else Status.SKIPPED,
            )
            for i in range(30)
        ],
    )
    return store


def _docs(path: Path) -> list[tuple[str, list[tuple[int, int, str]], dict]]:
    import spacy
    from spacy.tokens import DocBin

    vocab = spacy.blank("en").vocab
    files = [path] if path.is_file() else sorted(path.glob("*.spacy"))
    return [
        (d.text, [(e.start_char, e.end_char, e.label_) for e in d.ents], d.user_data["annotator"])
        for file in files
        for d in DocBin(store_user_data=True).from_disk(file).get_docs(vocab)
    ]


@pytest.mark.parametrize("processes", [1, 2])
def test_export_spacy_shards_hold_the_same_docs_as_one_file(
    thirty, tmp_path, monkeypatch, processes
):
    one = export_annotations(thirty, fmt="spacy", out=tmp_path / "one", status="all")
    monkeypatch.setattr(exporting, "SHARD_DOCS", 7)
    if processes == 2:
        monkeypatch.setattr(exporting, "SUBPROCESS_THRESHOLD", 0)
    many = export_annotations(thirty, fmt="spacy", out=tmp_path / "many", status="all")
    assert many.parts == one.parts and sum(many.parts.values()) == 30
    for part in ("train", "dev"):
        shards = sorted((tmp_path / "many" / part).glob("*.spacy"))
        assert len(shards) >= 2
        assert _docs(tmp_path / "many" / part) == _docs(tmp_path / "one" / f"{part}.spacy")
    assert f"--paths.train {tmp_path}/many/train --paths.dev {tmp_path}/many/dev" in many.command
    assert many.files[:2] == [tmp_path / "many" / "train", tmp_path / "many" / "dev"]
    # spaCy's own training corpus reader takes the folder.
    import spacy
    from spacy.training import Corpus

    examples = list(Corpus(tmp_path / "many" / "train")(spacy.blank("en")))
    assert len(examples) == many.parts["train"]


_KILLED_EXPORT = r"""
import os, sys
from contextlib import contextmanager
from pathlib import Path
from annotator.formats import fileio
from annotator.services.exporting import export_annotations
from annotator.store.engine import open_store
real = fileio.atomic_output

@contextmanager
def stop_midway(path, *args, **kwargs):
    with real(path, *args, **kwargs) as handle:
        mode = kwargs.get("mode", args[0] if args else "w")
        handle.write(b"x" if "b" in mode else "x")
        handle.flush()
        os.kill(os.getpid(), 9)  # as kill -9 would, while the file is being written
        yield handle

import annotator.formats.doccano as doccano, annotator.formats.brat as brat, annotator.formats.prodigy as prodigy
for module in (doccano, brat, prodigy):
    module.atomic_output = stop_midway
export_annotations(open_store(sys.argv[1]), fmt=sys.argv[2], out=Path(sys.argv[3]))
"""


@pytest.mark.parametrize(("fmt", "out"), [("doccano", "d"), ("prodigy", "p.jsonl"), ("brat", "b")])
def test_export_killed_leaves_temporaries_the_next_run_removes(thirty, db_path, tmp_path, fmt, out):
    target = tmp_path / "exports" / out
    target.parent.mkdir()
    mine = target.parent / ".notes.txt.tmp"  # a hidden file of the user's: never touched
    mine.write_text("mine")
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_EXPORT, str(db_path), fmt, str(target)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == -9, proc.stderr
    left = sorted(p.name for p in target.parent.iterdir() if p != mine)
    assert left and all(".annotator-" in name for name in left)
    assert not target.exists()
    export_annotations(thirty, fmt=fmt, out=target)
    assert sorted(p.name for p in target.parent.iterdir()) == sorted([mine.name, target.name])
    assert mine.read_text() == "mine"


def test_export_running_exports_temporaries_are_kept(tmp_path):
    """A temporary file whose process still runs is not a leftover."""
    from annotator.formats.fileio import remove_stale_temporaries

    alive = tmp_path / f".out.jsonl.annotator-{os.getpid()}-abc.tmp"
    alive.write_text("")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    gone = tmp_path / f".out.jsonl.annotator-{dead}-xyz.tmp"
    gone.write_text("")
    assert remove_stale_temporaries(tmp_path) == [gone]
    assert alive.exists() and not gone.exists()


def test_export_records_match_the_stores_reading(thirty):
    with thirty.read() as session:
        ours = list(export_records(session.connection(), status="all"))
        stored = list(stored_annotations(session, status="all"))
    assert [
        (
            r.article_id,
            r.annotator,
            r.status,
            r.article.text,
            r.article.title,
            r.article.meta,
            [s for s in r.spans],
        )
        for r in ours
    ] == [
        (
            s.article_id,
            s.annotator,
            s.status,
            s.text,
            s.title,
            s.meta,
            [x for x in s.spans if x.origin is not Origin.SUGGESTED],
        )
        for s in stored
    ]
    with thirty.read() as session:
        bounded = list(export_records(session.connection(), status="skipped", articles=(7, 22)))
    assert [r.article_id for r in bounded] == [8, 15, 22]  # ids from 1: articles 7, 14, 21


def test_export_label_studio_suggestions_read_in_windows_keep_their_place(
    store, tmp_path, monkeypatch
):
    import json

    from annotator.services.importing import import_files

    def tasks(path, who, label):
        path.write_text(
            "".join(
                json.dumps(
                    {
                        "text": f"Report {i} from Idlib.",
                        "spans": [
                            {
                                "start": len(f"Report {i} from "),
                                "end": len(f"Report {i} from Idlib"),
                                "label": label,
                            }
                        ],
                        "_annotator_id": who,
                    }
                )
                + "\n"
                for i in range(7)
            )
        )
        return path

    import_files(store, [tasks(tmp_path / "a.jsonl", "ana", "LOC")], fmt="prodigy")
    import_files(store, [tasks(tmp_path / "b.jsonl", "bob", "ORG")], fmt="prodigy")
    import_files(
        store, [tasks(tmp_path / "m.jsonl", "x", "GPE")], fmt="prodigy", as_suggestions="model:m"
    )
    whole = export_annotations(store, fmt="label-studio", out=tmp_path / "one.json")
    monkeypatch.setattr(exporting, "SUGGESTION_WINDOW", 2)
    windows = export_annotations(store, fmt="label-studio", out=tmp_path / "two.json")
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()
    assert whole.suggestions == windows.suggestions == 7
    exported = json.loads((tmp_path / "two.json").read_text())
    assert [len(t["annotations"]) for t in exported] == [2] * 7
    assert all(t["predictions"][0]["model_version"] == "model:m" for t in exported)
