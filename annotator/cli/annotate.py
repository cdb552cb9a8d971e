"""`annotator annotate`: the annotation screen for one annotator."""

from __future__ import annotations

from typing import Annotated

import typer

from annotator.cli.app import DEFAULT_DB, DbOption, app, reports_errors


@app.command("annotate")
@reports_errors
def annotate_command(
    annotator: Annotated[
        str, typer.Option("--annotator", "-a", help="Who is annotating (created on first use).")
    ],
    db: DbOption = "",
    scheme: Annotated[
        str | None,
        typer.Option(
            "--scheme",
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
) -> None:
    """Open the annotation screen on the next article this annotator has not finished.
    Every change is stored at once; press ? on the screen for every key."""
    import os

    run_annotation(db or os.environ.get("ANNOTATOR_DB") or DEFAULT_DB, annotator, scheme, suggest)


def run_annotation(target: str, annotator: str, scheme: str | None, suggest: bool) -> None:
    """Start the annotation app (shared by `annotate` and `demo`)."""
    from annotator.domain.errors import InputError
    from annotator.domain.text import check_name
    from annotator.services.schemes import find_scheme
    from annotator.store.fastpath import first_article
    from annotator.tui.app import AnnotatorApp

    problem = check_name(annotator)
    if problem:
        raise InputError(problem)
    labels = find_scheme(scheme)

    def open_session():
        from annotator.services.annotating import AnnotationSession
        from annotator.store.engine import open_store

        return AnnotationSession(open_store(target), annotator)

    def open_nlp():
        from annotator.services.annotating import BackgroundSuggester

        return BackgroundSuggester(target)

    screen = AnnotatorApp(
        scheme=labels,
        open_session=open_session,
        open_nlp=open_nlp if suggest else None,
        first=first_article(target, annotator),
    )
    screen.run()
    if screen.return_code:
        raise typer.Exit(screen.return_code)
