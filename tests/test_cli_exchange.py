"""`annotator import --format F` and `annotator export` as a user runs them (real processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES, need


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "annotator", *args], cwd=cwd, capture_output=True, text=True
    )


def test_cli_import_brat_project_then_export_spacy(tmp_path):
    project = need(FIXTURES / "multi-annotator-brat" / "example-project")
    imported = _run("import", "--db", "news.db", "--format", "brat", str(project), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines() == [
        "imported 28 annotations (1,567 spans) by Lisa, Maria, Max and Peter on 7 articles "
        "(7 new) from 1 brat folder",
        "statuses: done 28",
    ]
    exported = _run(
        "export",
        "--db",
        "news.db",
        "--format",
        "spacy",
        "--source",
        "Lisa",
        "--out",
        "out",
        cwd=tmp_path,
    )
    assert exported.returncode == 0, exported.stderr
    lines = exported.stdout.splitlines()
    assert lines[0] == "exported 7 annotations of 7 articles by Lisa (done) to out"
    assert lines[1:4] == [
        "  out/train.spacy  6 docs",
        "  out/dev.spacy  1 doc",
        "  out/config.cfg  spaCy training config (CPU, NER)",
    ]
    assert lines[4:] == [
        "train with:",
        # The interpreter that ran annotator, so the command runs as printed.
        f"  {sys.executable} -m spacy train out/config.cfg --paths.train out/train.spacy "
        "--paths.dev out/dev.spacy --output out/model",
    ]


def test_cli_export_problem_is_one_line_and_leaves_nothing(tmp_path):
    data = tmp_path / "ana.jsonl"
    data.write_text(
        json.dumps({"text": "Idlib hospital", "label": [[0, 3, "LOC"]], "meta": {"title": "T"}})
        + "\n"
    )
    assert (
        _run("import", "--db", "x.db", "--format", "doccano", str(data), cwd=tmp_path).returncode
        == 0
    )
    failed = _run("export", "--db", "x.db", "--format", "spacy", cwd=tmp_path)
    assert failed.returncode == 1 and failed.stdout == ""
    assert failed.stderr.strip() == (
        "error: article 1 “T”: span [0, 3) LOC 'Idl': does not align with token boundaries "
        "(the tokens there: ['Idlib']) (annotator ana); --skip-invalid leaves such spans out and lists them"
    )
    assert not (tmp_path / "exports").exists()
    skipped = _run(
        "export",
        "--db",
        "x.db",
        "--format",
        "spacy",
        "--skip-invalid",
        "--split",
        "1",
        cwd=tmp_path,
    )
    assert skipped.returncode == 0, skipped.stderr
    assert skipped.stderr.splitlines() == [
        "skipped span: article 1 “T”: span [0, 3) LOC 'Idl': does not align with token "
        "boundaries (the tokens there: ['Idlib']) (annotator ana)",
        "warning: dev.spacy holds no docs; spacy train needs both parts (more articles, or "
        "another --split)",
        "1 span left out (listed above)",
    ]


def test_cli_import_annotated_bad_record_is_one_line(tmp_path):
    data = tmp_path / "p.jsonl"
    data.write_text(
        json.dumps({"text": "Idlib", "spans": [{"start": 0, "end": 5, "label": "SHIP"}]}) + "\n"
    )
    result = _run(
        "import",
        "--db",
        "x.db",
        "--format",
        "prodigy",
        "--scheme",
        "conflict",
        str(data),
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"error: {data}:1: label 'SHIP' is not in scheme conflict (PERSON, "
    )
    assert "Traceback" not in result.stderr
