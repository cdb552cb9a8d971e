"""Engine and sessions: SQLite pragmas, BEGIN IMMEDIATE writes, and schema upgrades on open."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError

from annotator.domain.errors import StoreError
from annotator.store import version

if TYPE_CHECKING:
    from sqlmodel import Session

# How long a SQLite connection waits for another process's write lock before it gives up;
# $ANNOTATOR_BUSY_TIMEOUT (seconds) sets another wait.
BUSY_TIMEOUT_MS = 30_000
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# JSON columns are written as standard JSON: NaN or Infinity raise instead of being stored.
_JSON_DUMPS = functools.partial(json.dumps, allow_nan=False)


def busy_timeout_ms() -> int:
    """The write-lock wait, in milliseconds: $ANNOTATOR_BUSY_TIMEOUT seconds, else the default."""
    value = os.environ.get("ANNOTATOR_BUSY_TIMEOUT", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return BUSY_TIMEOUT_MS
    return max(0, int(seconds * 1000))


def resolve_url(db: str | Path) -> str:
    """An SQLAlchemy URL for ``db``: a URL stays as it is, a bare path means a SQLite file."""
    db = str(db)
    if "://" in db:
        return db
    if db == ":memory:":
        return "sqlite://"
    return "sqlite:///" + str(Path(db).expanduser().resolve())


def create_store_engine(url: str) -> Engine:
    """An engine with our connection settings; SQLite gets WAL, foreign keys, busy timeout.
    Every database error raised through it carries the database's name (see name_errors)."""
    if not url.startswith("sqlite"):
        engine = create_engine(url, pool_pre_ping=True, json_serializer=_JSON_DUMPS)
        name_errors(engine, url)
        return engine
    timeout_ms = busy_timeout_ms()
    engine = create_engine(
        url,
        connect_args={"timeout": timeout_ms / 1000, "check_same_thread": False},
        json_serializer=_JSON_DUMPS,
    )
    name_errors(engine, url, timeout_ms)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # We issue BEGIN ourselves (below), so the driver must not open transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={timeout_ms}")
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


def name_errors(engine: Engine, url: str, timeout_ms: int | None = None) -> None:
    """Mark every driver error raised through ``engine`` with the database it concerns (and
    the lock wait in force), for database_error_message. The exceptions keep their types,
    so that code which retries on OperationalError still sees one."""
    file = url[len("sqlite:///") :] if url.startswith("sqlite:///") else None

    @event.listens_for(engine, "handle_error")
    def _mark(context: ExceptionContext) -> None:
        for exc in (context.sqlalchemy_exception, context.original_exception):
            if exc is not None:
                try:
                    exc.annotator_database = where(url)  # type: ignore[attr-defined]
                    exc.annotator_wait_ms = timeout_ms  # type: ignore[attr-defined]
                    exc.annotator_sqlite_file = file  # type: ignore[attr-defined]
                except AttributeError:
                    pass


# What the drivers say (lower case), and what we tell the user instead (None: their words).
_LOCKED = "database is locked by another process (waited {wait}); try again when it finishes"
_FULL = "the disk is full; free some space and try again"
_EXPLAINED: tuple[tuple[str, str | None], ...] = (
    ("database is locked", _LOCKED),
    ("database table is locked", _LOCKED),
    (
        "readonly database",
        "the database is read-only: the file, its folder or its disk may not be written "
        "(SQLite also writes files beside it)",
    ),
    ("database or disk is full", _FULL),
    ("no space left on device", _FULL),
    ("disk i/o error", "disk I/O error (is the disk failing?)"),
    (
        "malformed",
        "the database file is damaged (database disk image is malformed); restore it from a backup",
    ),
    ("file is not a database", None),
    (
        "unable to open database file",
        "cannot open database file; check that its folder exists and may be written",
    ),
    ("connection refused", "cannot connect to the database server (connection refused)"),
)


def explain_database_error(exc: BaseException) -> tuple[str | None, str, str | None] | None:
    """(database name, the driver's message on one line, our explanation or None) for a
    database error (SQLAlchemy's or a driver's); None when ``exc`` is not one."""
    driver = getattr(exc, "orig", None) or exc
    if not _is_database_error(exc) and not _is_database_error(driver):
        return None
    database = getattr(exc, "annotator_database", None) or getattr(
        driver, "annotator_database", None
    )
    wait_ms = getattr(exc, "annotator_wait_ms", None) or getattr(driver, "annotator_wait_ms", None)
    detail = " ".join(str(driver).split())[:200] or type(driver).__name__
    lowered = detail.lower()
    file = getattr(exc, "annotator_sqlite_file", None) or getattr(
        driver, "annotator_sqlite_file", None
    )
    if file and ("i/o error" in lowered or "full" in lowered) and _disk_is_full(file):
        # SQLite says "disk I/O error" when the full disk stops its shared-memory file.
        return database, detail, _FULL
    for needle, explained in _EXPLAINED:
        if needle in lowered:
            if explained is None:
                break
            wait = (wait_ms if wait_ms is not None else busy_timeout_ms()) / 1000
            return database, detail, explained.format(wait=f"{wait:g} s")
    return database, detail, None


def database_error_message(exc: BaseException) -> str | None:
    """One line for a database error, naming the database and what happened, e.g.
    ``news.db: database is locked by another process (waited 30 s); try again when it
    finishes``; None when ``exc`` is not a database error."""
    explained = explain_database_error(exc)
    if explained is None:
        return None
    database, detail, what = explained
    what = what or f"database error ({detail})"
    return f"{database}: {what}" if database else what


def _disk_is_full(file: str) -> bool:
    """Whether the file system holding ``file`` has (almost) no room left."""
    import shutil

    try:
        return shutil.disk_usage(Path(file).parent).free < 256 * 1024
    except OSError:
        return False


def _is_database_error(exc: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError | sqlite3.Error):
        return True
    return type(exc).__module__.split(".")[0] == "psycopg" and isinstance(exc, Exception)


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
        from sqlmodel import Session  # the ORM only where a session is used

        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose transaction holds the write lock from its start; commits at the end.

        Any exception rolls everything back, so a failed operation leaves nothing behind.
        """
        from sqlmodel import Session

        with Session(self._write_engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A Core connection in one read transaction (deferred, as read() is), ended when
        the block ends: for bulk reads that need no ORM."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

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
        raise StoreError(f"{where(url)}: not a database URL annotator can use ({exc})") from None
    except ImportError as exc:  # the dialect's driver is not installed
        raise StoreError(
            f"{where(url)}: the database driver is not installed ({exc.name or exc})"
        ) from None
    store = Store(url, engine)
    try:
        current = _current_revision(engine, url)
        if current != _head():
            if not upgrade:
                raise StoreError(f"{where(url)}: schema {current or 'empty'} is not current")
            _upgrade(store, current)
    except (DatabaseError, OperationalError) as exc:
        engine.dispose()
        explained = explain_database_error(exc)
        if explained is not None and explained[2] is not None:
            raise StoreError(f"{where(url)}: {explained[2]}") from None
        raise StoreError(f"{where(url)}: cannot open database ({_reason(exc)})") from None
    except BaseException:
        engine.dispose()
        raise
    return store


def _head() -> str:
    return version.SCHEMA_HEAD  # read at call time, so tests can stand in a newer head


def where(url: str) -> str:
    """How messages name a database: the SQLite file's path, or the server URL without
    user and password."""
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :]
    if url.startswith("sqlite"):
        return ":memory:"
    scheme, _, rest = url.partition("://")
    return f"{scheme.split('+')[0]}://{rest.split('@')[-1]}"


def _reason(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).splitlines()[0]


def _current_revision(engine: Engine, url: str) -> str | None:
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        if "alembic_version" not in tables:
            if tables:
                raise StoreError(
                    f"{where(url)}: not an annotator database "
                    f"(it has tables {', '.join(sorted(tables)[:5])} but no schema version)"
                )
            return None
        rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").fetchmany(6)
        if len(rows) > 1:
            shown = ", ".join(repr(row[0]) for row in rows[:5])
            raise StoreError(
                f"{where(url)}: its alembic_version table holds {'more than 5' if len(rows) > 5 else len(rows)} "
                f"schema versions ({shown}) where an annotator database has one; it was changed "
                "by another program or by hand"
            )
        return rows[0][0] if rows else None


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
            f"{where(store.url)}: database schema {current!r} is newer than this annotator "
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
                            f"{where(store.url)}: migration would break {len(broken)} "
                            "references; nothing was changed"
                        )
        finally:
            if store.is_sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
