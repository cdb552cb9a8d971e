"""`annotator review`: settle disagreements between annotators into gold annotations."""

from __future__ import annotations

from typing import Annotated

import typer

from annotator.cli.common import DEFAULT_DB, DbOption, app, reports_errors


@app.command("review")
@reports_errors
def review_command(
    reviewer: Annotated[
        str,
        typer.Option(
            "--reviewer",
            "-r",
            metavar="NAME",
            help="Who adjudicates (recorded with each gold annotation).",
        ),
    ],
    db: DbOption = "",
    scheme: Annotated[
        str | None,
        typer.Option(
            "--scheme",
            metavar="NAME_OR_FILE",
            help=(
                "Label scheme name or TOML file (default: the project's; else conflict, "
                "or the annotations' own labels when conflict lacks some)."
            ),
        ),
    ] = None,
    annotators: Annotated[
        list[str] | None,
        typer.Option(
            "--annotator",
            "-a",
            metavar="NAME",
            help="Compare only these annotators (repeat the option).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Open the review screen: articles finished by two or more annotators who disagree,
    worst agreement first. Spans all annotators share are pre-accepted; every other span
    is a candidate to take (space), reject (delete) or edit with the annotation keys. The
    result is the article's gold annotation (`annotator export --source gold`), with who
    adjudicated it and which annotators each gold span came from."""
    import os

    from annotator.cli.launch import require_database, screen_scheme
    from annotator.domain.errors import InputError
    from annotator.domain.text import check_name
    from annotator.tui.app import AnnotatorApp
    from annotator.tui.screens.review import ReviewScreen

    problem = check_name(reviewer, "reviewer name")
    if problem:
        raise InputError(problem)
    target = db or os.environ.get("ANNOTATOR_DB") or DEFAULT_DB
    require_database(target)
    people = list(annotators or [])

    def open_session():
        from annotator.services.reviewing import ReviewSession
        from annotator.store.engine import open_store

        return ReviewSession(open_store(target), reviewer, people or None)

    screen = AnnotatorApp(
        scheme=screen_scheme(target, scheme), open_session=open_session, screen=ReviewScreen
    )
    screen.run()
    from annotator.cli.launch import say_farewell

    say_farewell(screen)
    if screen.return_code:
        raise typer.Exit(screen.return_code)
