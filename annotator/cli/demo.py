"""`annotator demo`: build a demo database, suggest entities in it, and open it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from annotator.cli.common import app, reports_errors
from annotator.cli.output import echo, shown


@app.command("demo")
@reports_errors
def demo_command(
    db: Annotated[Path, typer.Option("--db", help="Where to create the demo database.")] = Path(
        "demo.db"
    ),
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete an existing demo database first.")
    ] = False,
    annotator: Annotated[
        str, typer.Option("--annotator", "-a", help="Who annotates in the demo.")
    ] = "demo",
    tui: Annotated[
        bool, typer.Option("--tui/--no-tui", help="Open the annotation screen afterwards.")
    ] = True,
) -> None:
    """Create a demo database from ten short articles bundled with annotator (invented for
    the demo, not real reporting), suggest entities in them with the conflict scheme's
    patterns, and open the annotation screen. Running it again reuses the database, so work
    done in it is kept."""
    from annotator.services.demo import load_demo_corpus
    from annotator.services.suggesting import (
        build_suggester,
        project_config,
        save_project_config,
        suggest_articles,
    )
    from annotator.store.engine import open_store

    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    store = open_store(db)
    report = load_demo_corpus(store)
    echo(
        f"demo database {shown(db)}: {report.imported} new articles ({report.duplicates} already there)"
    )
    config = project_config(store)
    suggester = build_suggester(config)
    save_project_config(store, config, suggester.tokenizer_id)
    suggested = suggest_articles(store, suggester, helper=False)
    if suggested.articles:
        total = sum(suggested.labels.values())
        echo(
            f"suggested {total} entities in {suggested.articles} articles ({shown(', '.join(suggester.sources))})"
        )
    store.dispose()
    if tui:
        from annotator.cli.launch import run_annotation

        code = run_annotation(str(db), annotator, None, suggest=True)
        if code:
            raise typer.Exit(code)
