"""Bulk writes: one executemany of row tuples through a statement Core builds per dialect,
plain driver statements with ``?`` placeholders, and the setting upsert."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, TableClause, insert
from sqlalchemy.types import NullType

_compiled: dict[tuple, tuple[str | None, object]] = {}


def _statement(conn: Connection, table: TableClause, columns: tuple[str, ...], ignore_on):
    dialect = conn.dialect.name
    key = (dialect, table.name, columns, ignore_on)
    if key not in _compiled:
        if ignore_on is None:
            stmt = insert(table)
        elif dialect == "sqlite":
            from sqlalchemy.dialects import sqlite

            stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(ignore_on))
        elif dialect == "postgresql":
            # Imported here: loading the PostgreSQL dialect cost every SQLite command
            # about 0.1 s of start-up.
            from sqlalchemy.dialects import postgresql

            stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=list(ignore_on))
        else:
            stmt = insert(table).prefix_with("IGNORE")
        compiled = stmt.compile(dialect=conn.dialect, column_keys=list(columns))
        positional = compiled.positiontup is not None and list(compiled.positiontup) == list(
            columns
        )
        _compiled[key] = (str(compiled) if positional else None, stmt)
    return _compiled[key]


def bulk_insert(
    conn: Connection,
    table: TableClause,
    columns: Sequence[str],
    rows: list[tuple],
    *,
    ignore_on: Sequence[str] | None = None,
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) in one executemany; with ``ignore_on``
    (the columns of a unique key) rows whose key is already stored are skipped. Returns
    how many rows were added (as the driver counts them).

    The tuples go to the driver as they are when its parameter style is positional
    (SQLite): measured, SQLAlchemy turning 100,000 dicts into parameters cost about as
    much as SQLite writing them. On PostgreSQL, rows without ``ignore_on`` for a table
    whose columns are untyped (values already as the driver takes them) go in one COPY:
    profiled, psycopg's executemany sends an INSERT per row and waited on the server for
    two thirds of an annotated import. Other drivers get dicts through Core.
    """
    if not rows:
        return 0
    columns = tuple(columns)
    if ignore_on is None and conn.dialect.name == "postgresql" and _untyped(table, columns):
        return _copy_rows(conn, table, columns, rows)
    sql, stmt = _statement(conn, table, columns, tuple(ignore_on) if ignore_on else None)
    if sql is not None:
        result = conn.exec_driver_sql(sql, rows)
        return max(result.rowcount, 0)
    params = [dict(zip(columns, row, strict=True)) for row in rows]
    if ignore_on and conn.dialect.name == "postgresql":
        # An executemany's rowcount is not the number of rows added on PostgreSQL's
        # drivers; RETURNING (batched by SQLAlchemy) gives one row per row inserted.
        return len(conn.execute(stmt.returning(table.c[columns[0]]), params).all())
    result = conn.execute(stmt, params)
    return max(result.rowcount, 0)


def _untyped(table: TableClause, columns: tuple[str, ...]) -> bool:
    """Whether none of ``columns`` has a type of its own (no bind processing to apply)."""
    return all(isinstance(table.c[name].type, NullType) for name in columns)


def _copy_rows(conn: Connection, table: TableClause, columns: tuple[str, ...], rows) -> int:
    """Write ``rows`` with one COPY ... FROM STDIN on the connection's psycopg connection,
    in the caller's transaction. Returns the number of rows written. A driver error is
    marked with the database's name, as errors raised through the engine are."""
    from annotator.store.engine import where

    quote = conn.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    raw = conn.connection.driver_connection
    assert raw is not None  # a connection in a transaction has its driver connection
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except Exception as exc:
        exc.annotator_database = where(str(conn.engine.url))  # type: ignore[attr-defined]
        raise
    return len(rows)


def driver_sql(conn: Connection, statement: str) -> str:
    """``statement`` (written with ``?`` placeholders) in the driver's parameter style."""
    if conn.dialect.paramstyle == "qmark":
        return statement
    return statement.replace("?", "%s")


def upsert_setting(conn: Connection, key: str, value: Any) -> None:
    """Store a project setting in one statement (insert, or update the row already there),
    so that two processes writing the same key never collide on its primary key."""
    conn.exec_driver_sql(
        driver_sql(
            conn,
            "INSERT INTO setting (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        ),
        (key, json.dumps(value)),
    )
