"""`annotator schemes`: list the label schemes, or check and show one."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from annotator.cli.common import app, reports_errors


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

    console = Console()
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
                status = Text("ok")
            except SchemeError as exc:
                count, status = "-", Text(f"invalid: {exc}", style="red")
            table.add_row(Text(item.name), count, Text(origin), Text(shown_path(item.path)), status)
        console.print(table)
        return
    loaded = find_scheme(scheme)
    table = Table(title=Text(f"{loaded.name}: {loaded.description}"))
    table.add_column("key")
    table.add_column("label")
    table.add_column("description")
    for label in loaded.labels:
        table.add_row(
            Text(label.key), Text(label.name, style=f"bold {label.colour}"), Text(label.description)
        )
    console.print(table)
    if loaded.patterns:
        console.print(Text(f"patterns: {shown_path(loaded.patterns)}"))
    for target, mapping in loaded.map_to.items():
        console.print(Text(f"maps {len(mapping)} labels to scheme {target}"))
