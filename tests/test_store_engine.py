from __future__ import annotations

import multiprocessing
import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from annotator.domain.errors import StoreError
from annotator.store import engine as engine_module
from annotator.store import version as version_module
from annotator.store.engine import MIGRATIONS_DIR, open_store, resolve_url
from annotator.store.models import Annotation, Annotator, Article, Span
from annotator.store.version import SCHEMA_HEAD


def test_store_url_bare_path_means_sqlite(tmp_path):
    assert resolve_url(tmp_path / "a.db") == f"sqlite:///{tmp_path}/a.db"
    assert resolve_url("postgresql://u@h/db") == "postgresql://u@h/db"


def test_store_connections_use_wal_foreign_keys_and_busy_timeout(store):
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == engine_module.BUSY_TIMEOUT_MS


def test_store_write_sessions_begin_immediate(store, db_path):
    # While our write session is open, another connection cannot start writing at all:
    # the lock was taken by BEGIN IMMEDIATE, before any statement ran.
    with store.write() as session:
        session.connection()  # starts the transaction
        other = sqlite3.connect(db_path, timeout=0.05, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


def test_store_migrations_match_models(store):
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_store_schema_head_constant_matches_scripts():
    assert ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head() == SCHEMA_HEAD


def test_store_newer_schema_is_a_clear_error(store, db_path):
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    store.dispose()
    with pytest.raises(StoreError, match="schema '9999_future' is newer than this annotator"):
        open_store(db_path)


def test_store_foreign_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not an annotator database"):
        open_store(path)


def test_store_non_database_file_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("this is not a database\n" * 100)
    with pytest.raises(
        StoreError, match=r"notes.db: cannot open database \(file is not a database\)"
    ):
        open_store(path)
    assert path.read_text().startswith("this is not a database")


def test_store_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="cannot open database"):
        open_store(tmp_path / "no" / "such" / "dir" / "x.db")


def _seed_annotation(store) -> None:
    with store.write() as session:
        article = Article(content_hash="h", text="Assad in Idlib", title="t")
        person = Annotator(name="ana")
        session.add_all([article, person])
        session.flush()
        annotation = Annotation(article_id=article.id, annotator_id=person.id, status="done")
        session.add(annotation)
        session.flush()
        session.add(Span(annotation_id=annotation.id, start=0, end=5, label="PERSON"))


def test_store_batch_migration_keeps_child_rows(tmp_path, monkeypatch):
    """A future migration that rebuilds the article table must not cascade-delete spans."""
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, scripts)
    (scripts / "versions" / "0099_test.py").write_text(
        f"""
import sqlalchemy as sa
from alembic import op

revision = "0099_test"
down_revision = "{SCHEMA_HEAD}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("article", recreate="always") as batch:
        batch.add_column(sa.Column("lang", sa.String(), nullable=True))
    with op.batch_alter_table("annotation", recreate="always") as batch:
        batch.add_column(sa.Column("extra", sa.String(), nullable=True))


def downgrade():
    pass
"""
    )
    db = tmp_path / "m.db"
    store = open_store(db)
    _seed_annotation(store)
    store.dispose()
    monkeypatch.setattr(engine_module, "MIGRATIONS_DIR", scripts)
    monkeypatch.setattr(version_module, "SCHEMA_HEAD", "0099_test")
    upgraded = open_store(db)
    with upgraded.engine.connect() as conn:
        assert (
            conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0099_test"
        )
        assert conn.exec_driver_sql("SELECT count(*) FROM span").scalar() == 1
        assert conn.exec_driver_sql("SELECT count(*) FROM annotation").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        columns = [row[1] for row in conn.exec_driver_sql("PRAGMA table_info(article)")]
        assert "lang" in columns
    upgraded.dispose()


def _writer(db: str, worker: int, count: int) -> None:
    from sqlalchemy import func, select

    from annotator.store.engine import open_store
    from annotator.store.models import Setting

    store = open_store(db)
    for i in range(count):
        # Read-then-write: the pattern that fails under deferred transactions.
        with store.write() as session:
            current = session.get(Setting, "counter")
            session.get(Setting, "counter")
            current.value = current.value + 1
            session.add(current)
            session.add(Setting(key=f"w{worker}-{i}", value=i))
            session.scalar(select(func.count()).select_from(Setting))
    store.dispose()


def test_store_concurrent_writers_lose_nothing(store, db_path):
    from annotator.store.models import Setting

    with store.write() as session:
        session.add(Setting(key="counter", value=0))
    store.dispose()
    workers, per_worker = 4, 150
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_writer, args=(str(db_path), w, per_worker)) for w in range(workers)
    ]
    for p in processes:
        p.start()
    for p in processes:
        p.join(120)
        assert p.exitcode == 0
    reopened = open_store(db_path)
    with reopened.read() as session:
        assert session.get(Setting, "counter").value == workers * per_worker
    reopened.dispose()


def test_store_database_file_is_created_with_parent_path(tmp_path: Path):
    store = open_store(tmp_path / "fresh.db")
    assert (tmp_path / "fresh.db").exists()
    store.dispose()


def test_store_migration_0002_removes_unconfirmed_suggestions_from_done_work(tmp_path):
    """Databases written before suggestions were kept out of finished work are repaired
    on open: a suggested span in a done annotation goes, and the count is said."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from annotator.store.engine import MIGRATIONS_DIR, create_store_engine, resolve_url

    db = tmp_path / "old.db"
    engine = create_store_engine(resolve_url(db))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    now = "2026-11-30 10:00:00"
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001_initial")
        conn.execute(
            text(
                "INSERT INTO article (id, content_hash, text, title, source, meta, created_at)"
                " VALUES (1, 'h1', 'Assad forces shelled Idlib.', '', '', '{}', :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO annotator (id, name, synced_upto, created_at) VALUES (1, 'ana', 0, :now), (2, 'bob', 0, :now), (3, 'cy', 0, :now)"
            ),
            {"now": now},
        )
        for annotation_id, annotator_id, status in (
            (1, 1, "done"),
            (2, 2, "in_progress"),
            (3, 3, "skipped"),
        ):
            conn.execute(
                text(
                    "INSERT INTO annotation (id, article_id, annotator_id, kind, status, note,"
                    " seeded, version, created_at, updated_at) VALUES"
                    " (:id, 1, :who, 'annotation', :status, '', 1, 1, :now, :now)"
                ),
                {"id": annotation_id, "who": annotator_id, "status": status, "now": now},
            )
        spans = [
            (1, 0, 5, "PERSON", "accepted"),
            (1, 21, 26, "LOCATION", "suggested"),  # never seen by ana: goes
            (2, 21, 26, "LOCATION", "suggested"),  # work in progress: stays
            (3, 21, 26, "LOCATION", "suggested"),  # set aside with it pending: stays
        ]
        for annotation_id, start, end, label, origin in spans:
            conn.execute(
                text(
                    'INSERT INTO span (annotation_id, start, "end", label, origin)'
                    " VALUES (:a, :s, :e, :l, :o)"
                ),
                {"a": annotation_id, "s": start, "e": end, "l": label, "o": origin},
            )
    engine.dispose()
    store = open_store(db)
    assert store.notices == [
        "removed 1 unconfirmed suggestion from finished annotations "
        "(they were never seen by their annotator)"
    ]
    with store.read() as session:
        left = session.execute(
            text("SELECT annotation_id, origin FROM span ORDER BY annotation_id, start")
        ).all()
        repair = session.execute(text("SELECT payload FROM event WHERE action = 'repair'")).all()
    assert [tuple(row) for row in left] == [(1, "accepted"), (2, "suggested"), (3, "suggested")]
    assert len(repair) == 1 and '"removed_suggested_spans_from_done": 1' in repair[0][0]
    store.dispose()
    assert open_store(db).notices == []  # said once


def test_store_migration_0003_indexes_events_by_annotation(tmp_path):
    """A database from before the index gets it on open (its events kept), and replaying
    one annotation's events reads the index instead of the whole log."""
    from alembic import command
    from alembic.config import Config

    from annotator.store.engine import MIGRATIONS_DIR, create_store_engine, resolve_url

    db = tmp_path / "old.db"
    engine = create_store_engine(resolve_url(db))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0002_no_suggestions_in_done")
        conn.exec_driver_sql(
            "INSERT INTO event (at, annotator_id, article_id, annotation_id, action, payload) "
            "VALUES ('2026-11-30 10:00:00', 1, 1, 7, 'import', '{}')"
        )
    engine.dispose()
    store = open_store(db)
    with store.engine.connect() as conn:
        indexes = {row[1] for row in conn.exec_driver_sql("PRAGMA index_list(event)")}
        assert "ix_event_annotation" in indexes
        plan = " ".join(
            str(row[-1])
            for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id, action, payload FROM event "
                "WHERE annotation_id = 7 ORDER BY id"
            )
        )
        assert "ix_event_annotation" in plan and "TEMP B-TREE" not in plan
        assert conn.exec_driver_sql("SELECT annotation_id FROM event").all() == [(7,)]
    store.dispose()
