"""`annotator stats`: articles, annotators, statuses and label counts as tables."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from annotator.cli.common import DbOption, app, open_db, reports_errors
from annotator.cli.output import cell, console, echo, json_text
from annotator.domain.spans import Status


@app.command("stats")
@reports_errors
def stats_command(
    db: DbOption = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the numbers as JSON.")] = False,
) -> None:
    """Show how many articles there are, each annotator's work by status, label counts
    (in finished annotations) and suggestion counts by source."""
    from annotator.store.stats import project_stats

    store = open_db(db)
    with store.read() as session:
        stats = project_stats(session)
    if as_json:
        echo(json_text(asdict(stats)))
        return
    out = console()
    overview = Table(title="Project", show_header=False)
    overview.add_row("articles", str(stats.articles))
    overview.add_row("annotators", str(len(stats.annotators)))
    overview.add_row("gold annotations", str(stats.gold))
    for status in Status:
        overview.add_row(
            cell(status.value.replace("_", " ")), str(stats.statuses.get(status.value, 0))
        )
    out.print(overview)

    people = Table(title="Annotators")
    people.add_column("annotator")
    for status in Status:
        people.add_column(status.value.replace("_", " "), justify="right")
    people.add_column("spans (done)", justify="right")
    for person in stats.annotators:
        people.add_row(
            cell(person.name),
            *(str(person.statuses.get(s.value, 0)) for s in Status),
            str(person.spans),
        )
    out.print(people)

    labels = Table(title="Labels in finished annotations")
    labels.add_column("label")
    labels.add_column("spans", justify="right")
    for label, count in stats.labels.items():
        labels.add_row(cell(label), str(count))
    out.print(labels)

    if stats.suggestions:
        sources = Table(title="Suggestions")
        sources.add_column("source")
        sources.add_column("spans", justify="right")
        for source, count in stats.suggestions.items():
            sources.add_row(cell(source), str(count))
        out.print(sources)
