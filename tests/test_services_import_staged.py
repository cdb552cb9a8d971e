"""Staged annotated imports: short write transactions, nothing visible before the flip,
all-or-nothing across chunks, re-imports replace in place, a killed import is removed by
the next one, another writer gets through while an import runs, Ctrl-C says what it kept."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotator.domain.errors import InputError
from annotator.services import importing
from annotator.services.importing import ImportInterrupted, import_files
from annotator.store.annotations import log_event, stored_annotations
from annotator.store.staging import JOURNAL_KEY, STAGED_KIND
from tests.conftest import dump

ROOT = Path(__file__).resolve().parents[1]


def _tasks(path: Path, n: int, who: str = "ana", start: int = 0, bad_last: bool = False) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(start, start + n):
            text = f"Shelling near Idlib, report {i}."
            task = {
                "text": text,
                "spans": [{"start": 14, "end": 19, "label": "LOC"}],
                "_annotator_id": who,
            }
            out.write(json.dumps(task) + "\n")
        if bad_last:
            out.write(json.dumps({"text": "x", "spans": [{"start": 0, "end": 9, "label": "L"}]}))
            out.write("\n")
    return path


def _count(db: Path, sql: str, *args) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchone()[0]
    finally:
        conn.close()


def _visible(db: Path) -> int:
    return _count(db, "SELECT count(*) FROM annotation WHERE kind = 'annotation'")


def _hidden(db: Path) -> int:
    return _count(db, "SELECT count(*) FROM annotation WHERE kind = ?", STAGED_KIND)


def _journal(db: Path) -> int:
    return _count(db, "SELECT count(*) FROM setting WHERE key = ?", JOURNAL_KEY)


def test_import_staged_nothing_visible_before_the_flip_and_bad_record_removes_all(
    store, db_path, tmp_path, monkeypatch
):
    monkeypatch.setattr(importing, "ANNOTATED_BATCH", 100)
    _tasks(tmp_path / "a.jsonl", 30, start=10_000)
    import_files(store, [tmp_path / "a.jsonl"], fmt="prodigy")
    before = dump(db_path)
    first = _tasks(tmp_path / "b1.jsonl", 250)
    second = _tasks(tmp_path / "b2.jsonl", 20, start=500, bad_last=True)
    seen = []

    def progress(done, total):
        # Called between files, in the importing process, after chunks were committed.
        seen.append((_visible(db_path), _hidden(db_path), _journal(db_path)))

    with pytest.raises(InputError, match=r"b2.jsonl:21: span 1 \[0, 9\)"):
        import_files(store, [first, second], fmt="prodigy", progress=progress)
    assert seen[0][0] == 30  # only the earlier import is visible
    assert seen[0][1] >= 200 and seen[0][2] == 1  # staged, committed, hidden
    assert dump(db_path) == before  # articles, annotator, events, journal: all gone


def test_import_staged_reimport_replaces_in_place(store, db_path, tmp_path):
    path = _tasks(tmp_path / "a.jsonl", 3)
    import_files(store, [path], fmt="prodigy")
    conn = sqlite3.connect(db_path)
    ids = conn.execute("SELECT id, version FROM annotation ORDER BY id").fetchall()
    path.write_text(
        "".join(
            json.dumps(
                {
                    "text": f"Shelling near Idlib, report {i}.",
                    "_annotator_id": "ana",
                    "answer": "reject",
                }
            )
            + "\n"
            for i in range(3)
        )
    )
    report = import_files(store, [path], fmt="prodigy")
    assert (report.imported, report.annotations) == (0, 3)
    after = conn.execute("SELECT id, version, status FROM annotation ORDER BY id").fetchall()
    assert [(i, v + 1, "flagged") for i, v in ids] == after
    assert conn.execute("SELECT count(*) FROM span").fetchone()[0] == 0
    # Both imports' events belong to the one annotation each.
    events = conn.execute("SELECT annotation_id, count(*) FROM event GROUP BY 1").fetchall()
    assert events == [(i, 2) for i, _ in ids]
    conn.close()


def test_import_staged_interrupt_reports_nothing_stored(store, db_path, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "ANNOTATED_BATCH", 100)
    before = dump(db_path)
    paths = [_tasks(tmp_path / "a.jsonl", 250), _tasks(tmp_path / "b.jsonl", 5, start=900)]

    def interrupt(done, total):
        raise KeyboardInterrupt

    with pytest.raises(ImportInterrupted) as caught:
        import_files(store, paths, fmt="prodigy", progress=interrupt)
    assert caught.value.stored is False
    assert caught.value.message == "interrupted: nothing of this import was stored"
    assert dump(db_path) == before


def test_import_staged_cli_interrupt_message(db_path, tmp_path):
    """The command says what it kept: SIGINT while it stages a large import."""
    path = _tasks(tmp_path / "big.jsonl", 20_000)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "annotator",
            "import",
            "--db",
            str(db_path),
            "-f",
            "prodigy",
            str(path),
        ],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        # SIGINT at its default in the child: a suite started in the background of a
        # shell inherits it ignored, and the interrupt would never arrive.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    _wait_for_journal(db_path, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1] == "interrupted: nothing of this import was stored"
    # The import created the database, so nothing of it is left: not even the file.
    assert not db_path.exists()


_SLOW_IMPORT = r"""
import sys
from pathlib import Path
from annotator.services import importing
from annotator.store.engine import open_store
importing.ANNOTATED_BATCH = 100
importing.STAGE_SECONDS = 0.001  # the smallest chunks: many short transactions
importing.import_files(
    open_store(sys.argv[1]), [Path(sys.argv[2])], fmt="prodigy", as_suggestions=sys.argv[3] or None
)
"""


def _start_import(db: Path, path: Path, as_suggestions: str = "") -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _SLOW_IMPORT, str(db), str(path), as_suggestions],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _staged_suggestions(db: Path) -> int:
    return _count(db, "SELECT count(*) FROM stagedsuggestion")


def _wait_for_journal(db: Path, proc: subprocess.Popen, staged=_hidden) -> None:
    while proc.poll() is None:
        if db.exists():
            try:
                if _journal(db) and staged(db) >= 200:
                    return
            except sqlite3.OperationalError:
                pass  # the schema is being created
        time.sleep(0.02)
    raise AssertionError(f"the import ended before staging anything: {proc.returncode}")


def test_import_staged_kill_leaves_nothing_visible_and_next_import_cleans_up(
    store, db_path, tmp_path
):
    _tasks(tmp_path / "old.jsonl", 5, start=50_000, who="bob")
    import_files(store, [tmp_path / "old.jsonl"], fmt="prodigy")
    proc = _start_import(db_path, _tasks(tmp_path / "big.jsonl", 20_000))
    _wait_for_journal(db_path, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _visible(db_path) == 5  # the killed import shows no annotation
    with store.read() as session:
        assert len(list(stored_annotations(session, status="all"))) == 5
    assert _hidden(db_path) > 0 and _journal(db_path) == 1
    report = import_files(store, [_tasks(tmp_path / "new.jsonl", 2, start=60_000)], fmt="prodigy")
    assert report.imported == 2
    assert (_hidden(db_path), _journal(db_path), _visible(db_path)) == (0, 0, 7)
    assert _count(db_path, "SELECT count(*) FROM article") == 7
    assert _count(db_path, "SELECT count(*) FROM span") == 7
    assert _count(db_path, "SELECT count(*) FROM event") == 7
    assert _count(db_path, "SELECT count(*) FROM annotator") == 2  # bob, ana


def test_import_staged_suggestions_of_a_failed_import_are_removed(
    store, db_path, tmp_path, monkeypatch
):
    monkeypatch.setattr(importing, "ANNOTATED_BATCH", 100)
    import_files(store, [_tasks(tmp_path / "a.jsonl", 30)], fmt="prodigy", as_suggestions="model")
    before = dump(db_path)
    seen = []

    def progress(done, total):
        seen.append(_staged_suggestions(db_path))

    files = [_tasks(tmp_path / "b1.jsonl", 250), _tasks(tmp_path / "b2.jsonl", 20, bad_last=True)]
    with pytest.raises(InputError, match=r"b2.jsonl:21"):
        import_files(store, files, fmt="prodigy", as_suggestions="model", progress=progress)
    assert seen[0] >= 200  # staged and committed, in the table nobody reads
    assert dump(db_path) == before  # the 30 stored suggestions as they were, nothing staged


def test_import_staged_killed_suggestions_are_removed_by_the_next_import(store, db_path, tmp_path):
    old = _tasks(tmp_path / "old.jsonl", 5, start=50_000)
    import_files(store, [old], fmt="prodigy", as_suggestions="model")
    proc = _start_import(db_path, _tasks(tmp_path / "big.jsonl", 20_000), "model")
    _wait_for_journal(db_path, proc, staged=_staged_suggestions)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _count(db_path, "SELECT count(*) FROM suggestion") == 5  # nothing of it shows
    assert _staged_suggestions(db_path) >= 200 and _journal(db_path) == 1
    report = import_files(store, [_tasks(tmp_path / "new.jsonl", 2, start=60_000)], fmt="prodigy")
    assert report.imported == 2
    assert (_staged_suggestions(db_path), _journal(db_path)) == (0, 0)
    assert _count(db_path, "SELECT count(*) FROM suggestion") == 5
    assert _count(db_path, "SELECT count(*) FROM article") == 7


def test_import_staged_another_writer_gets_through(store, db_path, tmp_path):
    proc = _start_import(db_path, _tasks(tmp_path / "big.jsonl", 20_000))
    _wait_for_journal(db_path, proc)
    with store.write() as session:  # an edit: waits at most one staging transaction
        log_event(session, "edit-during-import", payload={"n": 1})
    assert proc.poll() is None and _journal(db_path) == 1  # the import is still staging
    assert _visible(db_path) == 0
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert _visible(db_path) == 20_000 and _journal(db_path) == 0
    assert _count(db_path, "SELECT count(*) FROM event WHERE action = 'edit-during-import'") == 1


def test_import_staged_in_a_helper_process_refuses_bad_records(
    store, db_path, tmp_path, monkeypatch
):
    monkeypatch.setattr(importing, "ANNOTATED_SUBPROCESS_BYTES", 0)  # parse in a child
    before = dump(db_path)
    path = _tasks(tmp_path / "a.jsonl", 700, bad_last=True)
    with pytest.raises(InputError, match=r"a.jsonl:701: span 1 \[0, 9\)"):
        import_files(store, [path], fmt="prodigy")
    assert dump(db_path) == before
    report = import_files(store, [path], fmt="prodigy", skip_invalid=True)
    assert (report.annotations, len(report.invalid), _visible(db_path)) == (700, 1, 700)


def test_import_staged_waits_for_a_running_import(store, db_path, tmp_path):
    """Imports run one at a time: a second one waits for the first, then both are stored."""
    proc = _start_import(db_path, _tasks(tmp_path / "big.jsonl", 5_000))
    _wait_for_journal(db_path, proc)
    report = import_files(store, [_tasks(tmp_path / "b.jsonl", 3, who="bob")], fmt="prodigy")
    assert proc.wait(timeout=300) == 0
    assert report.annotations == 3 and _visible(db_path) == 5_003
    # bob's rows were staged only after every one of the first import's.
    first_bob = _count(
        db_path,
        "SELECT min(a.id) FROM annotation a JOIN annotator p "
        "ON p.id = a.annotator_id WHERE p.name = 'bob'",
    )
    last_ana = _count(
        db_path,
        "SELECT max(a.id) FROM annotation a JOIN annotator p "
        "ON p.id = a.annotator_id WHERE p.name = 'ana'",
    )
    assert first_bob > last_ana


def test_import_staged_on_postgres(pg_store, tmp_path, monkeypatch):
    """The same staging, flip and clean-up on a real PostgreSQL server."""
    from sqlalchemy import text

    monkeypatch.setattr(importing, "ANNOTATED_BATCH", 100)

    def counts():
        with pg_store.engine.connect() as conn:
            return tuple(
                conn.execute(text(sql)).scalar()
                for sql in (
                    "SELECT count(*) FROM article",
                    "SELECT count(*) FROM annotation WHERE kind = 'annotation'",
                    "SELECT count(*) FROM annotation WHERE kind <> 'annotation'",
                    "SELECT count(*) FROM span",
                    "SELECT count(*) FROM event",
                    f"SELECT count(*) FROM setting WHERE key = '{JOURNAL_KEY}'",
                )
            )

    path = _tasks(tmp_path / "a.jsonl", 250)
    report = import_files(pg_store, [path], fmt="prodigy")
    assert (report.imported, report.annotations, report.spans) == (250, 250, 250)
    assert counts() == (250, 250, 0, 250, 250, 0)
    bad = _tasks(tmp_path / "b.jsonl", 300, start=1000, bad_last=True)
    with pytest.raises(InputError, match=r"b.jsonl:301"):
        import_files(pg_store, [bad], fmt="prodigy")
    assert counts() == (250, 250, 0, 250, 250, 0)
    path.write_text(
        "".join(
            json.dumps({"text": f"Shelling near Idlib, report {i}.", "_annotator_id": "ana"}) + "\n"
            for i in range(250)
        )
    )
    import_files(pg_store, [path], fmt="prodigy")
    assert counts() == (250, 250, 0, 0, 500, 0)
    sugg = import_files(pg_store, [bad], fmt="prodigy", as_suggestions="old", skip_invalid=True)
    assert (sugg.suggestions, sugg.imported) == (300, 300)


def test_staging_refuses_a_payload_whose_spans_are_not_the_records(tmp_path):
    # On SQLite the spans are stored from the event payload's JSON: a payload that does
    # not hold the record's spans must undo the chunk, not store other spans silently.
    from annotator.domain.text import content_hash
    from annotator.services.annotated_rows import event_payload
    from annotator.store.engine import open_store
    from annotator.store.rows import stored_timestamp
    from annotator.store.staging import StagedRecord, Staging, stage_records

    store = open_store(tmp_path / "news.db")
    text = "Assad forces shelled Idlib."
    article = (content_hash(text), text, "T", "test", None, "{}", stored_timestamp("sqlite"))
    spans = [(0, 5, "PERSON", "manual"), (21, 26, "LOCATION", "manual")]
    good = StagedRecord(article, "ana", "done", "", spans, event_payload("done", spans))
    bad = StagedRecord(article, "ben", "done", "", spans, event_payload("done", spans[:1]))
    with store.write_connection() as conn:
        stage_records(conn, Staging("sqlite"), [good])
        stored = conn.exec_driver_sql('SELECT start, "end", label, origin FROM span').all()
    assert [tuple(row) for row in stored] == spans
    with pytest.raises(RuntimeError, match="stored 1 spans where the records hold 2"):
        with store.write_connection() as conn:
            stage_records(conn, Staging("sqlite"), [bad])
    with store.read_connection() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM span").scalar() == 2
    store.dispose()
