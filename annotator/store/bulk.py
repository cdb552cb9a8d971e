"""Bulk writes: one executemany of row tuples through a statement Core builds per dialect,
plain driver statements with ``?`` placeholders, and the setting upsert."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, TableClause, insert

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
    much as SQLite writing them. Other drivers get dicts through Core.
    """
    if not rows:
        return 0
    columns = tuple(columns)
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
