"""`annotator evaluate`: precision, recall and F1 of suggestion sources against finished
annotations, per label, exact and relaxed; a CI gate with --fail-under."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated

import typer

from annotator.cli.common import DbOption, app, open_db, reports_errors
from annotator.domain.text import visible

COLUMNS = (
    "source",
    "label",
    "reference",
    "predicted",
    "matched",
    "precision",
    "recall",
    "f1",
    "relaxed_matched",
    "relaxed_precision",
    "relaxed_recall",
    "relaxed_f1",
)


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


@app.command("evaluate")
@reports_errors
def evaluate_command(
    db: DbOption = "",
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            metavar="SOURCE",
            help="One suggestion source (e.g. model:news@20261201-2130); default every one.",
        ),
    ] = None,
    against: Annotated[
        str,
        typer.Option(
            "--against",
            metavar="gold|all|NAME",
            help="The reference: adjudicated gold (default), every annotator's finished "
            "work, or one annotator's.",
        ),
    ] = "gold",
    fmt: Annotated[
        str, typer.Option("--format", metavar="table|json|csv", help="Output format.")
    ] = "table",
    fail_under: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-under",
            metavar="MEASURE=VALUE",
            help="Exit 1 with a one-line reason when a measure of a source is below VALUE "
            "(f1, precision, recall, relaxed_f1, relaxed_precision, relaxed_recall); repeat "
            "or join with commas.",
        ),
    ] = None,
) -> None:
    """Measure each suggestion source against finished annotations: per label, exact
    (same start, end and label) and relaxed (overlapping, same label, one to one)."""
    from annotator.audit.evaluation import MEASURES
    from annotator.domain.gates import check_gates, parse_fail_under
    from annotator.services.evaluating import evaluate_sources

    if fmt not in ("table", "json", "csv"):
        raise typer.BadParameter(f"unknown format {fmt!r} (use table, json or csv)")
    gates = parse_fail_under(fail_under or [], known=MEASURES)
    report = evaluate_sources(open_db(db), source=source, against=against)
    if fmt == "json":
        typer.echo(
            json.dumps(
                {
                    "against": report.against,
                    "references": report.references,
                    "sources": {
                        name: {
                            "articles": ev.articles,
                            **ev.measures(),
                            "labels": ev.rows()[:-1],
                        }
                        for name, ev in report.sources.items()
                    },
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for name, ev in report.sources.items():
            for row in ev.rows():
                writer.writerow([name, *(_csv(row[c]) for c in COLUMNS[1:])])
        typer.echo(buffer.getvalue(), nl=False)
    else:
        _print_tables(report)
    for name, ev in report.sources.items():
        reason = check_gates(ev.measures(), gates)
        if reason is not None:
            typer.echo(f"error: {visible(name)}: {reason}", err=True)
            raise typer.Exit(1)


def _csv(value):
    return "" if value is None else (f"{value:.4f}" if isinstance(value, float) else value)


def _print_tables(report) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    if not report.sources:
        typer.echo("no suggestion source has processed these articles: run annotator suggest")
        return
    for name, ev in report.sources.items():
        table = Table(
            title=Text(f"{name} against {report.against} ({ev.articles} articles)"),
        )
        rows = ev.rows()
        width = max(len(visible(row["label"])) for row in rows)
        table.add_column("label", min_width=width, no_wrap=True)
        for column in ("ref", "pred", "P", "R", "F1", "rel P", "rel R", "rel F1"):
            table.add_column(column, justify="right")
        for i, row in enumerate(rows):
            table.add_row(
                Text(visible(row["label"])),
                str(row["reference"]),
                str(row["predicted"]),
                _f(row["precision"]),
                _f(row["recall"]),
                _f(row["f1"]),
                _f(row["relaxed_precision"]),
                _f(row["relaxed_recall"]),
                _f(row["relaxed_f1"]),
                end_section=i == len(rows) - 2,
            )
        console.print(table)


def acceptance_json(store) -> dict:
    """What `annotator stats --json` shows under "acceptance": per source (and label), what
    annotators did with the suggestions they were shown, and the spans nothing suggested."""
    from annotator.services.evaluating import acceptance

    tally = acceptance(store)
    return {
        "annotations": tally.annotations,
        "by_source": tally.by_source(),
        "by_source_and_label": tally.rows(),
        "added_by_hand_unsuggested": dict(sorted(tally.unsuggested.items())),
    }


def print_acceptance(store, console) -> None:
    """The acceptance tables of `annotator stats` (nothing when no finished annotation was
    seeded with suggestions)."""
    from rich.table import Table
    from rich.text import Text

    data = acceptance_json(store)
    if not data["annotations"]:
        return
    rows = data["by_source_and_label"]
    totals = data["by_source"]
    for source in totals:
        mine = [r for r in rows if r["source"] == source]
        table = Table(
            title=Text(
                f"What annotators did with {visible(source)} ({data['annotations']} finished)"
            )
        )
        width = max(len(visible(r["label"])) for r in mine)
        table.add_column("label", min_width=max(width, 5), no_wrap=True)
        for column in ("suggested", "accepted", "relabelled", "resized", "deleted", "as is"):
            table.add_column(column, justify="right")
        for row in [*mine, {**totals[source], "label": "all"}]:
            share = row["accepted_share"]
            table.add_row(
                Text(visible(row["label"])),
                str(row["suggested"]),
                str(row["accepted"]),
                str(row["edited_label"]),
                str(row["edited_extent"]),
                str(row["deleted"]),
                "-" if share is None else f"{share:.0%}",
                end_section=row is not None and row is mine[-1],
            )
        console.print(table)
    if data["added_by_hand_unsuggested"]:
        extra = Table(title="Added by hand, suggested by no source")
        extra.add_column("label")
        extra.add_column("spans", justify="right")
        for label, count in data["added_by_hand_unsuggested"].items():
            extra.add_row(Text(visible(label)), str(count))
        console.print(extra)
