"""Every failure is one line: missing databases, unusable export destinations and URLs,
usage errors, unsupported files; exit code 1 and nothing left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.cli import app, load_commands
from annotator.formats.fileio import _filesystem_of

load_commands()
runner = CliRunner()


def _one_line_error(result, *needles: str) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def annotated(tmp_path, monkeypatch) -> Path:
    """A database with one finished annotation, in an otherwise empty working folder."""
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "src"
    source.mkdir()
    (source / "ana.jsonl").write_text(
        json.dumps({"text": "Lisa met Max in Madrid.", "label": [[16, 22, "LOC"]]}) + "\n"
    )
    result = runner.invoke(
        app, ["import", "--db", "a.db", "--format", "doccano", str(source / "ana.jsonl")]
    )
    assert result.exit_code == 0, result.output
    return tmp_path


@pytest.mark.parametrize(
    "argv",
    [
        ["stats"],
        ["export", "--format", "conll"],
        ["agreement"],
        ["assign", "--annotators", "a,b", "--overlap", "1"],
        ["suggest"],
        ["annotate", "--annotator", "ana"],
        ["review", "--reviewer", "rita"],
    ],
)
def test_cli_missing_database_is_not_created(tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, [*argv, "--db", "sedes.db"])
    _one_line_error(result, "no database at sedes.db (annotator import creates one)")
    assert list(tmp_path.iterdir()) == []
    url = runner.invoke(app, [*argv, "--db", "sqlite:///other.db"])
    _one_line_error(url, "no database at other.db")
    assert list(tmp_path.iterdir()) == []


def test_cli_failed_import_leaves_no_new_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.jsonl").write_text('{"text": "fine"}\n{"title": "no text"}\n')
    result = runner.invoke(app, ["import", "--db", "new.db", "bad.jsonl"])
    _one_line_error(result, "bad.jsonl:2: record has no 'text'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl"]


def _files(folder: Path) -> list[str]:
    """The names in ``folder``, SQLite's -wal and -shm files of an open database aside."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm")))


def _special_destinations() -> list[str]:
    found = [
        target
        for target, root in (("/proc/annotator-out", "/proc"), ("/sys/annotator-out", "/sys"))
        if (_filesystem_of(Path(root)) or ("", ""))[1] in ("proc", "sysfs")
    ]
    return found + ["/dev/null"]


@pytest.mark.parametrize("fmt", ["conll", "spacy", "label-studio", "brat"])
@pytest.mark.parametrize("out", _special_destinations())
def test_cli_export_to_special_places_is_one_line(annotated, fmt, out):
    before = _files(annotated)
    kind = os.stat("/dev/null").st_mode if out == "/dev/null" else None
    result = runner.invoke(app, ["export", "--db", "a.db", "--format", fmt, "--out", out])
    _one_line_error(result, out)
    assert _files(annotated) == before
    if kind is not None:
        assert os.stat("/dev/null").st_mode == kind  # still the device, never replaced


def test_cli_export_to_a_pipe_refused(annotated):
    os.mkfifo(annotated / "pipe")
    result = runner.invoke(app, ["export", "--db", "a.db", "--format", "conll", "--out", "pipe"])
    _one_line_error(result, "pipe: is not a regular file or folder")
    result = runner.invoke(app, ["agreement", "--db", "a.db", "--out", "pipe"])
    assert result.exit_code == 1 and "Traceback" not in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_cli_export_to_read_only_folder_is_one_line(annotated):
    locked = annotated / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        for fmt, out in (("conll", "locked/x.conll"), ("spacy", "locked/spacy")):
            result = runner.invoke(app, ["export", "--db", "a.db", "--format", fmt, "--out", out])
            _one_line_error(result, out, "not permitted, or read-only")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def _read_only_mount() -> Path | None:
    """A folder on a read-only mount that is not a kernel filesystem, if there is one."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    for line in mounts:
        fields = line.split()
        if (
            len(fields) >= 4
            and "ro" in fields[3].split(",")
            and fields[2] not in ("proc", "sysfs", "cgroup", "cgroup2", "tmpfs", "devtmpfs")
        ):
            point = Path(fields[1])
            if point.is_dir() and not os.access(point, os.W_OK):
                return point
    return None


def test_cli_export_to_read_only_mount_is_one_line(annotated):
    mount = _read_only_mount()
    if mount is None:
        pytest.skip("no read-only mount on this machine")
    out = str(mount / "annotator-export.conll")
    result = runner.invoke(app, ["export", "--db", "a.db", "--format", "conll", "--out", out])
    _one_line_error(result, out, "read-only")


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("foo://bar", "not a database URL annotator can use"),
        ("postgresql+psycopg://nobody@127.0.0.1:1/none", "cannot connect to the database server"),
    ],
)
def test_cli_unusable_database_url_is_one_line(tmp_path, monkeypatch, url, needle):
    monkeypatch.chdir(tmp_path)
    if url.startswith("postgresql"):
        pytest.importorskip("psycopg")
    for argv in (["stats"], ["import", str(tmp_path)]):
        result = runner.invoke(app, [*argv, "--db", url])
        _one_line_error(result, needle)
    assert list(tmp_path.iterdir()) == []


def _run(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from annotator.cli import main; main()", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "ANNOTATOR_DB": str(cwd / "none.db")},
    )


def test_cli_annotate_without_annotator_is_one_usage_error(tmp_path):
    result = _run("annotate", "--db", "x.db", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("Usage:") == 1 and "usage:" not in result.stderr
    assert "Missing option '--annotator'" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_dash_h_is_help_everywhere():
    from annotator.cli import COMMANDS

    top = runner.invoke(app, ["-h"])
    assert top.exit_code == 0 and "Usage: annotator" in top.output
    for verb in COMMANDS:
        result = runner.invoke(app, [verb, "-h"])
        assert result.exit_code == 0, verb
        assert result.output == runner.invoke(app, [verb, "--help"]).output


def test_cli_help_placeholders_are_consistent():
    """No click-made placeholders (<str>, TEXT, INTEGER): every value is named."""
    from annotator.cli import COMMANDS

    for verb in COMMANDS:
        output = runner.invoke(app, [verb, "--help"], env={"COLUMNS": "200"}).output
        for generic in ("<str>", "<int>", " TEXT", " INTEGER", " FLOAT"):
            assert generic not in output, (verb, generic)
        if "--scheme" in output:
            assert "--scheme NAME_OR_FILE" in output, verb


def test_cli_unsupported_file_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "report.docx").write_bytes(b"PK\x03\x04")
    result = runner.invoke(app, ["import", "--db", "n.db", "report.docx"])
    _one_line_error(result, "report.docx: .docx files (Word) are not supported")
    unknown = runner.invoke(app, ["import", "--db", "n.db", "--format", "xml", "report.docx"])
    line = _one_line_error(unknown, "unknown format 'xml'")
    for name in ("txt", "jsonl", "prodigy", "doccano", "label-studio", "brat", "conll", "spacy"):
        assert name in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.docx"]


def test_cli_import_format_help_lists_every_format():
    output = runner.invoke(app, ["import", "--help"], env={"COLUMNS": "200"}).output
    for name in ("txt", "jsonl", "prodigy", "doccano", "label-studio", "brat", "conll", "spacy"):
        assert name in output
