"""`annotator demo`: build a demo database and open it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from annotator.cli.app import app, reports_errors


@app.command("demo")
@reports_errors
def demo_command(
    db: Annotated[Path, typer.Option("--db", help="Where to create the demo database.")] = Path(
        "demo.db"
    ),
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete an existing demo database first.")
    ] = False,
) -> None:
    """Create a demo database from a small corpus bundled with annotator and show what it
    holds. Running it again reuses the database, so work done in it is kept."""
    from annotator.services.demo import load_demo_corpus
    from annotator.store.engine import open_store

    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    store = open_store(db)
    report = load_demo_corpus(store)
    typer.echo(
        f"demo database {db}: {report.imported} new articles ({report.duplicates} already there)"
    )
