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
    db: Annotated[
        Path, typer.Option("--db", metavar="PATH", help="Where to create the demo database.")
    ] = Path("demo.db"),
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete an existing demo database first.")
    ] = False,
    annotator: Annotated[
        str, typer.Option("--annotator", "-a", metavar="NAME", help="Who annotates in the demo.")
    ] = "demo",
    tui: Annotated[
        bool, typer.Option("--tui/--no-tui", help="Open the annotation screen afterwards.")
    ] = True,
) -> None:
    """Create a demo database from ten short articles bundled with annotator (invented for
    the demo, not real reporting), suggest entities in them with the conflict scheme's
    patterns, and open the annotation screen. Running it again reuses the database, so work
    done in it is kept."""
    from annotator.services.demo import build_demo

    report = build_demo(db, fresh=fresh)
    echo(
        f"demo database {shown(db)}: {report.imported.imported} new articles "
        f"({report.imported.duplicates} already there)"
    )
    if report.suggested_articles:
        echo(
            f"suggested {report.suggestions} entities in {report.suggested_articles} articles "
            f"({shown(', '.join(report.sources))})"
        )
    if tui:
        from annotator.cli.launch import run_annotation

        code = run_annotation(str(db), annotator, None, suggest=True)
        if code:
            raise typer.Exit(code)
