"""`annotator stats` on a SQLite file reads through the stdlib sqlite3 module: the same
counts as the SQLAlchemy reading, without importing SQLAlchemy, and the full store
whenever the quick path cannot answer (another schema version)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from annotator.domain.spans import Origin, Span, Status
from annotator.store.stats import project_stats, sqlite_project_stats
from tests.exchange import Annotation, Article, populate

ROOT = Path(__file__).resolve().parents[1]


def _filled(store):
    populate(
        store,
        [Article(f"Report {i} from Idlib.", title=f"R{i}") for i in range(4)],
        [
            Annotation(0, "ana", [Span(15, 20, "LOC")]),
            Annotation(1, "ana", [Span(15, 20, "LOC"), Span(0, 6, "X", Origin.SUGGESTED)]),
            Annotation(1, "bob", [Span(0, 6, "ORG")], Status.SKIPPED),
            Annotation(2, "bob", [], Status.IN_PROGRESS),
        ],
    )


def test_stats_quick_path_counts_what_the_store_counts(store, db_path):
    _filled(store)
    with store.read() as session:
        full = project_stats(session)
    quick = sqlite_project_stats(db_path)
    assert quick is not None and asdict(quick) == asdict(full)
    assert full.labels == {"LOC": 2} and full.articles == 4


def test_stats_quick_path_steps_aside_for_another_schema(store, db_path):
    _filled(store)
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE alembic_version SET version_num = 'older'")
    conn.commit()
    conn.close()
    assert sqlite_project_stats(db_path) is None
    assert sqlite_project_stats(db_path.with_name("missing.db")) is None


def test_stats_command_loads_no_sqlalchemy(store, db_path):
    _filled(store)
    code = (
        "import sys, runpy; sys.argv = ['annotator', 'stats', '--json', '--db', sys.argv[1]]\n"
        "try:\n    runpy.run_module('annotator', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('SQLALCHEMY' if 'sqlalchemy' in sys.modules else 'LIGHT', file=sys.stderr)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(db_path)], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.stderr.strip().splitlines()[-1] == "LIGHT", proc.stderr
    assert json.loads(proc.stdout)["statuses"] == {
        "in_progress": 1,
        "done": 2,
        "skipped": 1,
        "flagged": 0,
    }
