"""Engine and sessions: SQLite pragmas, BEGIN IMMEDIATE writes, and schema upgrades on open."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError
from sqlmodel import Session

from annotator.domain.errors import StoreError
from annotator.store import version

BUSY_TIMEOUT_MS = 30_000
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def resolve_url(db: str | Path) -> str:
    """An SQLAlchemy URL for ``db``: a URL stays as it is, a bare path means a SQLite file."""
    db = str(db)
    if "://" in db:
        return db
    if db == ":memory:":
        return "sqlite://"
    return "sqlite:///" + str(Path(db).expanduser().resolve())


def create_store_engine(url: str) -> Engine:
    """An engine with our connection settings; SQLite gets WAL, foreign keys, busy timeout."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # We issue BEGIN ourselves (below), so the driver must not open transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # FULL: a committed keypress survives power loss too, not only a killed process.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front: a deferred read-then-write transaction
        # fails at once with SQLITE_BUSY when another writer got there first.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Store:
    """An open annotator database: the engine plus read and write session factories."""

    def __init__(self, url: str, engine: Engine):
        self.url = url
        self.engine = engine
        self.is_sqlite = url.startswith("sqlite")
        self.notices: list[str] = []  # what opening did to the data (schema repairs), in words
        self._write_engine = (
            engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else engine
        )

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading (a deferred transaction, ended when the block ends)."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose transaction holds the write lock from its start; commits at the end.

        Any exception rolls everything back, so a failed operation leaves nothing behind.
        """
        with Session(self._write_engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A Core connection in one write transaction, for bulk executemany paths."""
        with self._write_engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def open_store(db: str | Path, *, upgrade: bool = True) -> Store:
    """Open (creating if needed) the database ``db`` and bring its schema up to date.

    A file that is not SQLite, a SQLite file of another program, or a database written by a
    newer annotator raises StoreError with one line saying which.
    """
    url = resolve_url(db)
    try:
        engine = create_store_engine(url)
    except ArgumentError as exc:  # no such dialect, or not a URL SQLAlchemy can parse
        raise StoreError(f"{_where(url)}: not a database URL annotator can use ({exc})") from None
    except ImportError as exc:  # the dialect's driver is not installed
        raise StoreError(
            f"{_where(url)}: the database driver is not installed ({exc.name or exc})"
        ) from None
    store = Store(url, engine)
    try:
        current = _current_revision(engine, url)
        if current != _head():
            if not upgrade:
                raise StoreError(f"{_where(url)}: schema {current or 'empty'} is not current")
            _upgrade(store, current)
    except (DatabaseError, OperationalError) as exc:
        engine.dispose()
        raise StoreError(f"{_where(url)}: cannot open database ({_reason(exc)})") from None
    except BaseException:
        engine.dispose()
        raise
    return store


def _head() -> str:
    return version.SCHEMA_HEAD  # read at call time, so tests can stand in a newer head


def _where(url: str) -> str:
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :]
    return url.split("@")[-1]


def _reason(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).splitlines()[0]


def _current_revision(engine: Engine, url: str) -> str | None:
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        if "alembic_version" not in tables:
            if tables:
                raise StoreError(
                    f"{_where(url)}: not an annotator database "
                    f"(it has tables {', '.join(sorted(tables)[:5])} but no schema version)"
                )
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return row[0] if row else None


def known_revisions() -> list[str]:
    """Every revision our migration scripts define, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _upgrade(store: Store, current: str | None) -> None:
    from alembic import command
    from alembic.config import Config

    if current is not None and current not in known_revisions():
        raise StoreError(
            f"{_where(store.url)}: database schema {current!r} is newer than this annotator "
            f"(which knows up to {_head()!r}); upgrade annotator to open it"
        )
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with store._write_engine.connect() as conn:
        if store.is_sqlite:
            # Batch migrations rebuild tables (copy, drop, rename). With foreign keys on, the
            # DROP would cascade and delete every span of every annotation. The pragma only
            # takes effect outside a transaction, hence the raw connection before BEGIN.
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                store.notices.extend(config.attributes.get("notices", []))
                if store.is_sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(
                            f"{_where(store.url)}: migration would break {len(broken)} "
                            "references; nothing was changed"
                        )
        finally:
            if store.is_sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
