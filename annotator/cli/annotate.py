"""`annotator annotate`: the annotation screen for one annotator."""

from __future__ import annotations

from typing import Annotated

import typer

from annotator.cli.common import DEFAULT_DB, DbOption, app, reports_errors


@app.command("annotate")
@reports_errors
def annotate_command(
    annotator: Annotated[
        str,
        typer.Option(
            "--annotator", "-a", metavar="NAME", help="Who is annotating (created on first use)."
        ),
    ],
    db: DbOption = "",
    scheme: Annotated[
        str | None,
        typer.Option(
            "--scheme",
            metavar="NAME_OR_FILE",
            help="Label scheme name or TOML file (default: the project's, else conflict).",
        ),
    ] = None,
    suggest: Annotated[
        bool,
        typer.Option(
            "--suggest/--no-suggest",
            help="Compute missing suggestions with spaCy in the background.",
        ),
    ] = True,
    retrain_every: Annotated[
        int | None,
        typer.Option(
            "--retrain-every",
            metavar="N",
            help="Every N articles you finish, retrain a model on all gold and finished work "
            "in a helper process and re-suggest your next unopened articles with it.",
        ),
    ] = None,
    order: Annotated[
        str,
        typer.Option(
            "--order",
            metavar="queue|uncertain",
            help="queue: your queue as it is. uncertain: first the unopened articles whose "
            "suggestion sources (pattern file, models) disagree most, where your answer "
            "teaches the model most; reordered again after each --retrain-every run.",
        ),
    ] = "queue",
) -> None:
    """Open the annotation screen on the next article this annotator has not finished.
    Every change is stored at once; press ? on the screen for every key."""
    import os

    from annotator.cli.launch import run_annotation

    if order not in ("queue", "uncertain"):
        raise typer.BadParameter(f"unknown order {order!r} (use queue or uncertain)")

    code = run_annotation(
        db or os.environ.get("ANNOTATOR_DB") or DEFAULT_DB,
        annotator,
        scheme,
        suggest,
        retrain_every,
        order,
    )
    if code:
        raise typer.Exit(code)
