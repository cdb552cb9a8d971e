"""Failures outside the input file end a command with one line naming the database or file
and what happened, never a traceback, and leave the database as it was: a read-only
database, a full disk (a real, small tmpfs) during import, suggest and export, a lock held
past the wait, a damaged page, hostile input on PostgreSQL, /dev/zero as input, and an
alembic_version table of two rows."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.cli.launch import failure_message
from annotator.domain.errors import StoreError
from annotator.store.engine import database_error_message, open_store
from annotator.store.version import SCHEMA_HEAD
from tests.conftest import REPO, dump

ANNOTATOR = [sys.executable, "-m", "annotator"]


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ANNOTATOR, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def _fails_with(proc: subprocess.CompletedProcess, message: str) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr == f"error: {message}\n"
    assert proc.returncode == 1


def _articles_file(path: Path, n: int, words: int = 20) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            text = f"Report {i}. Regime forces shelled Idlib on Monday, monitors said. " + " ".join(
                f"word{i}x{j}" for j in range(words)
            )
            out.write(json.dumps({"text": text, "title": f"Report {i}"}) + "\n")
    return path


def _database(path: Path, articles: int = 5) -> Path:
    source = _articles_file(path.with_suffix(".jsonl"), articles)
    proc = _run("import", "--db", str(path), str(source), cwd=path.parent)
    assert proc.returncode == 0, proc.stderr
    return path


# --- a read-only database ---------------------------------------------------------------


@pytest.fixture
def read_only(tmp_path):
    """Make a file read-only for this process: the immutable attribute as root (for whom
    permissions do not count), mode 0444 otherwise; undone at the end."""
    made: list[Path] = []

    def make(path: Path) -> None:
        if os.geteuid() == 0:
            if shutil.which("chattr") is None:
                pytest.skip("running as root without chattr: cannot make a file read-only")
            proc = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
            if proc.returncode != 0:
                pytest.skip(f"chattr +i is not possible here: {proc.stderr.decode().strip()}")
        else:
            path.chmod(0o444)
        made.append(path)

    yield make
    for path in made:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        path.chmod(0o644)


def test_cli_read_only_database_is_one_line_and_unchanged(tmp_path, read_only):
    db = _database(tmp_path / "news.db")
    before = dump(db)
    read_only(db)
    more = _articles_file(tmp_path / "more.jsonl", 3)
    proc = _run("import", "--db", str(db), str(more), cwd=tmp_path)
    _fails_with(
        proc,
        f"{db}: the database is read-only: the file, its folder or its disk may not be "
        "written (SQLite also writes files beside it)",
    )
    assert dump(db) == before


# --- a full disk --------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A real 2 MiB file system (tmpfs), mounted for this test; skipped where mounting is
    not permitted (not root, or a container without the right)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)], capture_output=True
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def _fill(folder: Path, leave: int) -> Path:
    """Fill the file system of ``folder`` but for ``leave`` bytes; returns the filler."""
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    filler = folder / "filler"
    filler.write_bytes(b"\xff" * max(0, free - leave))
    return filler


FULL = "the disk is full; free some space and try again"


def test_cli_full_disk_during_import_is_one_line_and_stores_nothing(tmp_path, small_disk):
    db = _database(small_disk / "news.db")
    _fill(small_disk, leave=200 * 1024)
    before = dump(db)
    big = _articles_file(tmp_path / "big.jsonl", 2000, words=80)  # ~2 MB: more than is free
    proc = _run("import", "--db", str(db), str(big), cwd=tmp_path)
    _fails_with(proc, f"{db}: {FULL}")
    assert dump(db) == before


def test_cli_full_disk_during_suggest_is_one_line_and_resumes(tmp_path, small_disk):
    db = _database(small_disk / "news.db", articles=300)
    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)
    filler = _fill(small_disk, leave=150 * 1024)
    proc = _run("suggest", "--db", str(db), cwd=REPO)
    _fails_with(proc, f"{db}: {FULL}")
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    # What the failed run stored is whole batches: with room again, the run finishes and
    # stores exactly what a run that never failed stores.
    filler.unlink()
    assert _run("suggest", "--db", str(db), cwd=REPO).returncode == 0
    assert _run("suggest", "--db", str(copy), cwd=REPO).returncode == 0

    def suggestions(path: Path) -> list[tuple]:
        conn = sqlite3.connect(path)
        try:
            return sorted(conn.execute('SELECT article_id, start, "end", label FROM suggestion'))
        finally:
            conn.close()

    assert suggestions(db) == suggestions(copy) != []


def _annotated_database(tmp_path: Path, n: int) -> Path:
    """A database of ``n`` articles, each with one LOC span by ana (a doccano import)."""
    source = tmp_path / "ana.jsonl"
    lines = []
    for i in range(n):
        text = f"Report {i}: regime forces shelled Idlib on Monday. " * 10
        lines.append(json.dumps({"text": text, "label": [[33 + i % 2, 38 + i % 2, "LOC"]]}))
    source.write_text("\n".join(lines) + "\n")
    db = tmp_path / "news.db"
    proc = _run("import", "--db", str(db), "--format", "doccano", str(source), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return db


def test_cli_full_disk_during_export_is_one_line_and_leaves_no_file(tmp_path, small_disk):
    db = _annotated_database(tmp_path, 400)
    before = dump(db)
    _fill(small_disk, leave=64 * 1024)
    out = small_disk / "out.jsonl"
    proc = _run(
        "export",
        "--db",
        str(db),
        "--format",
        "prodigy",
        "--source",
        "all",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    _fails_with(proc, f"{out}: No space left on device")
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]  # no half file left
    assert dump(db) == before


# --- a lock held past the wait -------------------------------------------------------------


HOLD_LOCK = r"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin
conn.execute("ROLLBACK")
"""


def test_cli_lock_held_past_the_wait_is_one_line_and_stores_nothing(tmp_path):
    db = _database(tmp_path / "news.db")
    before = dump(db)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        more = _articles_file(tmp_path / "more.jsonl", 3)
        proc = _run(
            "import", "--db", str(db), str(more), cwd=tmp_path, env={"ANNOTATOR_BUSY_TIMEOUT": "1"}
        )
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    _fails_with(
        proc,
        f"{db}: database is locked by another process (waited 1 s); try again when it finishes",
    )
    assert dump(db) == before


# --- a damaged page -------------------------------------------------------------------------


def test_cli_stats_on_a_damaged_page_is_one_line(tmp_path):
    db = _database(tmp_path / "news.db", articles=300)
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    pages = db.stat().st_size // page_size
    with db.open("r+b") as handle:  # garbage over the pages after the schema's first ones
        for page in range(pages // 2, pages):
            handle.seek(page * page_size)
            handle.write(bytes((page * 7 + i) % 251 for i in range(page_size)))
    damaged = db.read_bytes()
    proc = _run("stats", "--db", str(db), cwd=tmp_path)
    _fails_with(
        proc,
        f"{db}: the database file is damaged (database disk image is malformed); restore it "
        "from a backup",
    )
    assert db.read_bytes() == damaged


# --- /dev/zero and other devices as input ---------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "message"),
    [
        (
            "jsonl",
            "/dev/zero:1: binary data (NUL byte), not a text file; the rest of the file is not read",
        ),
        ("txt", "/dev/zero:1: binary data (NUL byte), not a text file"),
        ("spacy", "/dev/zero: not a spaCy DocBin file (not zlib-compressed data)"),
    ],
)
def test_cli_dev_zero_as_input_is_one_line(tmp_path, fmt, message):
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    db = _database(tmp_path / "news.db")
    before = dump(db)
    proc = _run("import", "--db", str(db), "--format", fmt, "/dev/zero", cwd=tmp_path)
    _fails_with(proc, message)
    assert dump(db) == before


# --- the schema version table ---------------------------------------------------------------


def test_store_alembic_version_of_two_rows_is_refused(tmp_path):
    db = _database(tmp_path / "news.db")
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO alembic_version VALUES ('0002_other')")
    conn.commit()
    conn.close()
    before = dump(db)
    message = (
        f"{db}: its alembic_version table holds 2 schema versions ({SCHEMA_HEAD!r}, "
        "'0002_other') where an annotator database has one; it was changed by another "
        "program or by hand"
    )
    with pytest.raises(StoreError) as caught:
        open_store(db)
    assert str(caught.value) == message
    _fails_with(_run("stats", "--db", str(db), cwd=tmp_path), message)
    assert dump(db) == before


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            r'{"text": "Idlib\u0000shelled"}',
            "'text' holds a NUL character (\\u0000), which is not text",
        ),
        (
            '{"text": "Idlib shelled", "meta": {"score": NaN}}',
            "NaN is not a standard JSON number (JSON has no NaN or Infinity); write null or a "
            "finite number",
        ),
    ],
    ids=["nul", "nan"],
)
def test_postgres_refuses_nul_or_nan(pg_store, tmp_path, record, message):
    from sqlalchemy import func, select

    from annotator.store.models import Article

    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "A good article first."}\n' + record + "\n")
    proc = _run("import", "--db", pg_store.url, str(path), cwd=tmp_path)
    _fails_with(proc, f"{path}:2: {message}")
    with pg_store.read() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 0


def test_postgres_driver_errors_are_one_line_naming_the_server(pg_store):
    from sqlalchemy import text

    with pytest.raises(Exception) as caught, pg_store.write() as session:
        session.execute(
            text(
                "INSERT INTO article (content_hash, text, title, source, meta, created_at) VALUES ('h', :t, '', '', '{}', now())"
            ),
            {"t": "a\x00b"},
        )
    message = database_error_message(caught.value)
    host = pg_store.url.split("@")[-1]
    assert message is not None and message.startswith(f"postgresql://{host}: database error (")
    assert "\n" not in message and "annotator@" not in message


# --- the one place failures become lines -----------------------------------------------------


def test_cli_failure_message_of_each_kind(monkeypatch):
    assert failure_message(OSError(28, "No space left on device", "out/a.json")) == (
        "out/a.json: No space left on device"
    )
    assert failure_message(sqlite3.OperationalError("database is locked")) == (
        "database is locked by another process (waited 30 s); try again when it finishes"
    )
    assert failure_message(ValueError("bad\nthing\x1b[31m")) == (
        "unexpected ValueError (bad thing\u241b[31m); this is a bug in annotator "
        "(ANNOTATOR_DEBUG=1 shows where)"
    )
    assert failure_message(KeyboardInterrupt()) is None
    monkeypatch.setenv("ANNOTATOR_DEBUG", "1")
    assert failure_message(ValueError("bad")) is None  # raised, with its traceback


def test_store_json_columns_refuse_nan(store):
    # The last guard behind the readers: a JSON column never stores non-standard JSON.
    from annotator.store.models import Article

    with pytest.raises(Exception, match="Out of range float values are not JSON compliant"):
        with store.write() as session:
            session.add(Article(content_hash="h", text="t", meta={"score": float("nan")}))
    with store.read() as session:
        assert session.get(Article, 1) is None


def test_cli_full_disk_during_brat_export_is_one_line_and_leaves_no_folder(tmp_path, small_disk):
    # brat writes its thousands of files with bare system calls (formats.fileio.write_whole):
    # the disk filling up there must still stop the export with one line naming the file
    # where it will be in --out (not in the temporary folder), and leave nothing behind.
    db = _annotated_database(tmp_path, 600)
    before = dump(db)
    _fill(small_disk, leave=64 * 1024)
    out = small_disk / "brat"
    proc = _run("export", "--db", str(db), "--format", "brat", "--out", str(out), cwd=tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1
    message = proc.stderr.splitlines()
    assert len(message) == 1, proc.stderr
    assert message[0].startswith(f"error: {out}/ana/"), message
    assert message[0].endswith(": No space left on device"), message
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]  # no half folder left
    assert dump(db) == before
