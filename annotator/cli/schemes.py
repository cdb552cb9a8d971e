"""`annotator schemes`: list the label schemes, or check and show one."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from annotator.cli.common import app, reports_errors
from annotator.cli.output import cell
from annotator.cli.output import console as output_console


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
    from annotator.services.schemes import find_scheme, found_schemes, shown_path

    console = output_console()
    if scheme is None:
        found = found_schemes()
        if not found:
            raise SchemeError(
                "no label schemes found (looked in ./labels, $ANNOTATOR_LABELS and the built-in ones)"
            )
        table = Table(title="Label schemes")
        table.add_column("name")
        table.add_column("labels", justify="right")
        table.add_column("from")
        table.add_column("file")
        table.add_column("status")
        for item in found:
            origin = item.origin
            if item.overrides:
                origin += f" (over {', '.join(item.overrides)})"
            try:
                count = str(len(load_scheme(item.path).labels))
                status = cell("ok")
            except SchemeError as exc:
                count, status = "-", cell(f"invalid: {exc}", style="red")
            table.add_row(cell(item.name), count, cell(origin), cell(shown_path(item.path)), status)
        console.print(table)
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
    console.print(table)
    if loaded.patterns:
        console.print(cell(f"patterns: {shown_path(loaded.patterns)}"))
    for target, mapping in loaded.map_to.items():
        console.print(cell(f"maps {len(mapping)} labels to scheme {target}"))
