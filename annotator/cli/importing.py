"""`annotator import`: add articles from .txt and .jsonl files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from annotator.cli.app import DbOption, app, open_db, reports_errors
from annotator.cli.progress import byte_progress


@app.command("import")
@reports_errors
def import_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH...", help="Files or folders to import (folders are read recursively)."
        ),
    ],
    db: DbOption = "",
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", metavar="FORMAT", help="auto (by file name), txt or jsonl."),
    ] = "auto",
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="Import the good records and list the bad ones, instead of importing nothing.",
        ),
    ] = False,
) -> None:
    """Import articles. A .txt file is one article (title: its first non-empty line); a
    .jsonl file has one object per line with "text" and optional "title", "meta", "id".
    Text is normalised (NFC, \\r\\n to \\n) and an article already stored is never stored
    twice. The import is atomic: any bad record stops it and nothing is stored."""
    from annotator.services.importing import import_articles

    store = open_db(db)
    with byte_progress("importing") as progress:
        report = import_articles(
            store, paths, fmt=fmt, skip_invalid=skip_invalid, progress=progress
        )
    for problem in report.invalid:
        typer.echo(f"skipped invalid: {problem}", err=True)
    typer.echo(
        f"imported {report.imported} article{'s' if report.imported != 1 else ''} "
        f"from {report.files} file{'s' if report.files != 1 else ''}: "
        f"{report.duplicates} already stored (duplicates), {report.empty} empty skipped"
        + (f", {len(report.invalid)} invalid skipped" if report.invalid else "")
        + (
            f", {len(report.ignored_files)} files of other types ignored"
            if report.ignored_files
            else ""
        )
    )
    if report.imported == 0 and report.duplicates:
        typer.echo("nothing new: every article was already in the database")
