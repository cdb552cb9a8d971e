"""`annotator export`: write annotations as spaCy training data or for other tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from annotator.cli.common import DbOption, app, join_names, open_db, reports_errors
from annotator.cli.output import echo, shown
from annotator.cli.progress import count_progress


@app.command("export")
@reports_errors
def export_command(
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="spacy (DocBin + config.cfg), prodigy, doccano, label-studio, brat or conll.",
        ),
    ],
    db: DbOption = "",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="PATH",
            help="A file for prodigy, label-studio and conll; a folder for spacy, doccano and "
            "brat. Default: a dated folder under exports/.",
            show_default=False,
        ),
    ] = None,
    source: Annotated[
        str,
        typer.Option(
            "--source",
            metavar="gold|all|NAME",
            help="Adjudicated gold annotations, every annotator's, or one annotator's.",
        ),
    ] = "all",
    status: Annotated[
        str,
        typer.Option(
            "--status",
            metavar="done|all",
            help="Finished annotations only, or all (in progress, skipped, flagged too).",
        ),
    ] = "done",
    split: Annotated[
        float,
        typer.Option(
            "--split", metavar="FRACTION", help="spacy: the share of articles in train.spacy."
        ),
    ] = 0.8,
    seed: Annotated[
        int, typer.Option("--seed", metavar="N", help="spacy: the seed of the train/dev split.")
    ] = 0,
    spans_key: Annotated[
        str | None,
        typer.Option(
            "--spans-key",
            metavar="KEY",
            help="spacy: write doc.spans[KEY] (spancat, overlaps allowed) instead of doc.ents.",
        ),
    ] = None,
    lang: Annotated[
        str,
        typer.Option(
            "--lang",
            metavar="CODE",
            help="Language of spaCy's tokenizer (spacy, prodigy and conll tokens).",
        ),
    ] = "en",
    dataset: Annotated[
        str | None,
        typer.Option(
            "--dataset",
            metavar="NAME",
            help="prodigy: the dataset in _session_id (default: the database's file name).",
        ),
    ] = None,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="Leave out spans the format cannot hold and list them, instead of failing.",
        ),
    ] = False,
) -> None:
    """Export annotations. spacy writes train.spacy and dev.spacy (a seeded split by
    article) with a config.cfg, ready for `python -m spacy train`; a span that does not
    fall on token boundaries, or overlaps another, stops the export with the article and
    the span named (--skip-invalid leaves such spans out and lists them). Output is
    deterministic and atomic: written under a temporary name and renamed at the end."""
    from annotator.services.exporting import export_annotations

    store = open_db(db)
    with count_progress("exporting") as progress:
        report = export_annotations(
            store,
            fmt=fmt,
            out=out,
            source=source,
            status=status,
            split=split,
            seed=seed,
            spans_key=spans_key,
            skip_invalid=skip_invalid,
            lang=lang,
            dataset=dataset,
            progress=progress,
        )
    for problem in report.skipped:
        echo(f"skipped span: {shown(problem)}", err=True)
    people = join_names(report.annotators)
    echo(
        f"exported {report.annotations:,} annotation{'s' if report.annotations != 1 else ''} "
        f"of {report.articles:,} article{'s' if report.articles != 1 else ''} by {people} "
        f"({status}) to {shown(str(report.out))}"
    )
    for path in report.files:
        detail = ""
        if path.suffix == ".spacy":
            docs = report.parts.get(path.stem, 0)
            detail = f"{docs:,} doc{'' if docs == 1 else 's'}"
        elif path.name == "config.cfg":
            detail = "spaCy training config (CPU, " + ("spancat" if spans_key else "NER") + ")"
        echo(f"  {shown(str(path))}  {detail}".rstrip())
    for part, docs in report.parts.items():
        if docs == 0:
            echo(
                f"warning: {part}.spacy holds no docs; spacy train needs both parts "
                "(more articles, or another --split)",
                err=True,
            )
    if report.suggestions:
        echo(f"  with {report.suggestions:,} suggestions as predictions")
    if report.skipped:
        count = len(report.skipped)
        echo(f"{count:,} span{'' if count == 1 else 's'} left out (listed above)", err=True)
    if report.command:
        echo("train with:")
        echo(f"  {shown(report.command)}")
