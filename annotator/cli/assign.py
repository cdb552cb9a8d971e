"""`annotator assign`: give each article to K annotators, so that agreement has material."""

from __future__ import annotations

from typing import Annotated

import typer

from annotator.cli.common import DbOption, app, open_db, reports_errors
from annotator.cli.output import echo, shown


@app.command("assign")
@reports_errors
def assign_command(
    overlap: Annotated[
        int,
        typer.Option(
            "--overlap",
            "-k",
            metavar="K",
            help="How many annotators each article goes to.",
        ),
    ],
    annotators: Annotated[
        str | None,
        typer.Option(
            "--annotators",
            metavar="A,B,C",
            help="Comma-separated annotator names (new names are created); default: every "
            "annotator except reviewers.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be assigned; store nothing.")
    ] = False,
    db: DbOption = "",
) -> None:
    """Give every article that has fewer than K annotators to more of them, balanced (each
    gets about articles x K / annotators) and deterministic, and serve each annotator only
    their assigned articles from now on. Anyone who already has an article counts towards
    its K, so running it again assigns only articles imported since."""
    from annotator.services.assigning import assign

    names = None
    if annotators is not None:
        names = [name.strip() for name in annotators.split(",") if name.strip()]
    store = open_db(db)
    report = assign(store, overlap=overlap, annotators=names, dry_run=dry_run)
    prefix = "would assign" if dry_run else "assigned"
    given = ", ".join(f"{shown(name)} {count}" for name, count in report.given.items())
    echo(
        f"{prefix} {report.new} new article{'s' if report.new != 1 else ''} to {overlap} of "
        f"{len(report.annotators)} annotators each ({given} new queue items)"
    )
    if report.topped_up:
        echo(f"{report.topped_up} articles already started by someone got more annotators")
    if report.complete:
        echo(f"{report.complete} articles already had {overlap} or more annotators")
    if report.short:
        echo(
            f"warning: {report.short} articles have fewer than {overlap} annotators "
            "(not enough annotators were free for them)",
            err=True,
        )
    if report.switched:
        echo(
            ("would switch to" if dry_run else "switched to")
            + " assignment mode: each annotator is served only the articles assigned to them"
            + (
                f" ({report.prefetched_removed} queued but unstarted articles were unqueued)"
                if report.prefetched_removed
                else ""
            )
        )
    if dry_run:
        echo("dry run: nothing was stored")
