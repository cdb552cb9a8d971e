"""`annotator schemes`: list the label schemes, or check and show one."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from annotator.cli.common import app, reports_errors
from annotator.cli.output import cell, console


@app.command("schemes")
@reports_errors
def schemes_command(
    scheme: Annotated[
        str | None, typer.Argument(metavar="[NAME_OR_FILE]", help="A scheme to check and show.")
    ] = None,
) -> None:
    """List the label schemes found (./labels, $ANNOTATOR_LABELS, bundled), or validate one
    scheme and show its labels, colours, hotkeys and pattern file."""
    from annotator.domain.errors import SchemeError
    from annotator.domain.scheme import load_scheme
    from annotator.services.schemes import available_schemes, find_scheme

    out = console()
    if scheme is None:
        table = Table(title="Label schemes")
        table.add_column("name")
        table.add_column("labels", justify="right")
        table.add_column("file")
        table.add_column("status")
        for name, path in available_schemes().items():
            try:
                loaded = load_scheme(path)
                table.add_row(cell(name), str(len(loaded.labels)), cell(_shown(path)), "ok")
            except SchemeError as exc:
                table.add_row(
                    cell(name), "-", cell(_shown(path)), cell(f"invalid: {exc}", style="red")
                )
        out.print(table)
        return
    loaded = find_scheme(scheme)
    table = Table(title=cell(f"{loaded.name}: {loaded.description}"))
    table.add_column("key")
    table.add_column("label")
    table.add_column("description")
    for label in loaded.labels:
        table.add_row(
            cell(label.key), cell(label.name, style=f"bold {label.colour}"), cell(label.description)
        )
    out.print(table)
    if loaded.patterns:
        out.print(cell(f"patterns: {loaded.patterns}"))
    for target, mapping in loaded.map_to.items():
        out.print(cell(f"maps {len(mapping)} labels to scheme {target}"))


def _shown(path) -> str:
    """A path relative to the working folder when it lies inside it (shorter tables)."""
    from pathlib import Path

    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
