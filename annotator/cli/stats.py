"""`annotator stats`: articles, annotators, statuses and label counts as tables."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from annotator.cli.common import DbOption, app, open_db, reports_errors
from annotator.cli.output import cell, echo, json_text
from annotator.cli.output import console as output_console
from annotator.domain.spans import Status


def _quick(db: str):
    """The counts through the stdlib sqlite3 module when ``db`` is a SQLite file of the
    current schema (no SQLAlchemy import); None otherwise."""
    import os
    from pathlib import Path

    from annotator.cli.common import DEFAULT_DB
    from annotator.store.stats import sqlite_project_stats

    target = db or os.environ.get("ANNOTATOR_DB") or DEFAULT_DB
    if target.startswith("sqlite:///"):
        target = target[len("sqlite:///") :]
    elif "://" in target or target == ":memory:":
        return None
    path = Path(target).expanduser()
    return sqlite_project_stats(path) if path.is_file() else None


NO_ACCEPTANCE = {
    "annotations": 0,
    "by_source": {},
    "by_source_and_label": [],
    "added_by_hand_unsuggested": {},
}


def _ever_seeded(db: str) -> bool:
    """False only when ``db`` is a SQLite file whose event log has no seeding (read with
    the stdlib); True when it has one or this cannot be told cheaply."""
    import os
    import sqlite3
    from pathlib import Path

    from annotator.cli.common import DEFAULT_DB

    target = db or os.environ.get("ANNOTATOR_DB") or DEFAULT_DB
    if target.startswith("sqlite:///"):
        target = target[len("sqlite:///") :]
    elif "://" in target:
        return True
    path = Path(target).expanduser()
    if not path.is_file():
        return True
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT 1 FROM event WHERE action = 'seed' LIMIT 1").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return True
    return row is not None


@app.command("stats")
@reports_errors
def stats_command(
    db: DbOption = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the numbers as JSON.")] = False,
) -> None:
    """Show how many articles there are, each annotator's work by status, label counts
    (in finished annotations) and suggestion counts by source."""
    stats = _quick(db)
    if stats is None:
        from annotator.store.stats import project_stats

        store = open_db(db)
        with store.read() as session:
            stats = project_stats(session)
    # What happened to the suggestions comes from the event log, through the full store;
    # a SQLite file where no annotation was ever seeded has none to tell (and keeps the
    # quick path free of SQLAlchemy).
    from annotator.cli.evaluate import acceptance_json, print_acceptance

    seeded = _ever_seeded(db)
    store = open_db(db) if seeded else None
    if as_json:
        acceptance = acceptance_json(store) if store is not None else dict(NO_ACCEPTANCE)
        echo(json_text({**asdict(stats), "acceptance": acceptance}))
        return
    console = output_console()
    overview = Table(title="Project", show_header=False)
    overview.add_row("articles", str(stats.articles))
    overview.add_row("annotators", str(len(stats.annotators)))
    overview.add_row("gold annotations", str(stats.gold))
    for status in Status:
        overview.add_row(
            cell(status.value.replace("_", " ")), str(stats.statuses.get(status.value, 0))
        )
    console.print(overview)

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
    console.print(people)

    labels = Table(title="Labels in finished annotations")
    labels.add_column("label")
    labels.add_column("spans", justify="right")
    for label, count in stats.labels.items():
        labels.add_row(cell(label), str(count))
    console.print(labels)

    if stats.suggestions:
        sources = Table(title="Suggestions")
        sources.add_column("source")
        sources.add_column("spans", justify="right")
        for source, count in stats.suggestions.items():
            sources.add_row(cell(source), str(count))
        console.print(sources)

    if store is not None:
        print_acceptance(store, console)
