"""`annotator import`: add articles from .txt and .jsonl files, or annotated data in the
formats of Prodigy, doccano, Label Studio, brat, CoNLL and spaCy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from annotator.cli.common import (
    DbOption,
    app,
    join_names,
    open_db,
    removed_if_failed,
    reports_errors,
)
from annotator.cli.output import echo, shown
from annotator.cli.progress import byte_progress


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


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
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="auto (by file name), txt or jsonl for plain articles; prodigy, doccano, "
            "label-studio, brat, conll or spacy for annotated data.",
        ),
    ] = "auto",
    annotator: Annotated[
        str | None,
        typer.Option(
            "--annotator",
            metavar="NAME",
            help="Store every annotation as NAME's, whatever the data says.",
        ),
    ] = None,
    as_suggestions: Annotated[
        str | None,
        typer.Option(
            "--as-suggestions",
            metavar="SOURCE",
            help="Store the spans as suggestions of SOURCE (to review), not as annotations.",
        ),
    ] = None,
    scheme: Annotated[
        str | None,
        typer.Option(
            "--scheme",
            metavar="NAME_OR_FILE",
            help="Refuse labels that are not in this label scheme (name or TOML file).",
        ),
    ] = None,
    spans_key: Annotated[
        str | None,
        typer.Option(
            "--spans-key",
            metavar="KEY",
            help="spacy format: read doc.spans[KEY] instead of doc.ents.",
        ),
    ] = None,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="Import the good records and list the bad ones, instead of importing nothing.",
        ),
    ] = False,
    keep_boilerplate: Annotated[
        bool,
        typer.Option(
            "--keep-boilerplate",
            help="txt/jsonl: keep site furniture (lines repeated across the imported articles).",
        ),
    ] = False,
) -> None:
    """Import articles, or annotated data. A .txt file is one article (title: its headline,
    found past site furniture); a .jsonl file has one object per line with "text" and optional
    "title", "meta", "id". Annotated formats bring annotations too: who made each comes
    from the data (Prodigy _annotator_id/_session_id, Label Studio completed_by, brat
    annotator subfolders) or else the file name. Text is normalised (NFC, \\r\\n to \\n),
    records of the same text join the same article, and an article is never stored twice.
    Lines whose every sentence recurs across the imported articles (logo lines,
    disclaimers, share forms) are trimmed, kept in the article's meta "trimmed".
    The import is atomic: any bad record stops it and nothing is stored."""
    from annotator.services.importing import ImportInterrupted, import_files

    try:
        with removed_if_failed(db):
            store = open_db(db, create=True)
            try:
                with byte_progress("importing") as progress:
                    try:
                        report = import_files(
                            store,
                            paths,
                            fmt=fmt,
                            annotator=annotator,
                            as_suggestions=as_suggestions,
                            scheme=scheme,
                            spans_key=spans_key,
                            skip_invalid=skip_invalid,
                            progress=progress,
                            keep_boilerplate=keep_boilerplate,
                        )
                    except ImportInterrupted as interrupted:
                        if interrupted.stored:
                            # Stored in full: the database (new or not) is kept.
                            typer.echo(interrupted.message, err=True)
                            raise typer.Exit(130) from None
                        raise
            finally:
                store.dispose()
    except ImportInterrupted as interrupted:
        # The service found out from the database what the interruption left.
        typer.echo(interrupted.message, err=True)
        raise typer.Exit(130) from None
    for problem in report.invalid:
        echo(f"skipped invalid: {shown(problem)}", err=True)
    if report.format:
        _annotated_summary(report)
        return
    echo(
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
    if report.trimmed_lines:
        typer.echo(
            f"trimmed {_plural(report.trimmed_lines, 'line')} from "
            f"{_plural(report.trimmed_articles, 'article')} (site furniture, repeated "
            "headlines); --keep-boilerplate keeps them"
        )
    if report.imported == 0 and report.duplicates:
        echo("nothing new: every article was already in the database")


def _annotated_summary(report) -> None:
    line = f"imported {_plural(report.annotations, 'annotation')} ({_plural(report.spans, 'span')})"
    if report.annotators:
        line += f" by {join_names(report.annotators)}"
    if report.suggestions:
        line += f", {_plural(report.suggestions, 'suggestion')} from {join_names(report.sources)}"
    line += (
        f" on {_plural(report.articles, 'article')} ({report.imported:,} new) "
        f"from {_plural(report.files, report.format + ' file' if report.format != 'brat' else 'brat folder')}"
    )
    echo(line)
    statuses = ", ".join(
        f"{shown(status.replace('_', ' '))} {count:,}" for status, count in report.statuses.items()
    )
    if statuses:
        echo(f"statuses: {statuses}")
    if report.repeated:
        echo(
            f"note: {_plural(report.repeated, 'record')} repeated an article already given by the "
            "same annotator in this import; the later one was kept",
            err=True,
        )
    if report.not_imported:
        echo(
            "not imported (annotator holds entity spans only): "
            + ", ".join(f"{count:,} {shown(kind)}" for kind, count in report.not_imported.items()),
            err=True,
        )
    if report.invalid:
        echo(f"{_plural(len(report.invalid), 'invalid record')} skipped", err=True)
    if report.ignored_files:
        echo(f"{_plural(len(report.ignored_files), 'file')} of other types ignored", err=True)
