"""Alembic environment: runs our migrations in batch mode (SQLite cannot ALTER most things)."""

from __future__ import annotations

import os

from alembic import context
from sqlmodel import SQLModel

import annotator.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    """Migrate on the connection the caller passed in, or on $ANNOTATOR_DB for developers."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from annotator.store.engine import create_store_engine, resolve_url

    engine = create_store_engine(resolve_url(os.environ.get("ANNOTATOR_DB", "annotator.db")))
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
