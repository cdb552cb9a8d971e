"""The help screen: every key of the annotation screen, and the scheme's label keys."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from annotator.domain.scheme import LabelScheme
from annotator.domain.text import visible


def _table(*columns: str) -> Table:
    table = Table(box=None, expand=True, show_edge=False, pad_edge=False, header_style="bold")
    for index, column in enumerate(columns):
        # The last column takes the rest of the width and wraps.
        table.add_column(column, ratio=1 if index == len(columns) - 1 else None, no_wrap=index == 0)
    return table


class HelpScreen(ModalScreen[None]):
    """Lists every key and what it does, then the labels; escape, q or ? closes it.

    Rich tables in Statics, so long descriptions wrap at 80 columns instead of being cut.
    Every cell is a Text: scheme descriptions are user data, never markup.
    """

    BINDINGS = [Binding("escape,q,question_mark", "close", "close")]

    def __init__(self, rows: list[tuple[str, str]], scheme: LabelScheme):
        super().__init__()
        self.rows = rows
        self.scheme = scheme

    def compose(self) -> ComposeResult:
        keys = _table("key", "does")
        for key, does in self.rows:
            keys.add_row(Text(key, style="bold"), Text(does))
        labels = _table("key", "label", "description")
        for index, label in enumerate(self.scheme.labels):
            key = (
                label.key
                if index >= 9 or label.key == str(index + 1)
                else f"{index + 1}, {label.key}"
            )
            labels.add_row(
                Text(key, style="bold"),
                Text(label.name, style=f"bold {label.colour}"),
                Text(visible(label.description)),
            )
        with VerticalScroll(id="help"):
            yield Static("Keys", markup=False, classes="help-title")
            yield Static(keys, id="help-keys")
            yield Static(
                f"Labels of scheme {visible(self.scheme.name)}", markup=False, classes="help-title"
            )
            yield Static(labels, id="help-labels")
            yield Static("escape, q or ? closes this screen", markup=False, classes="help-hint")

    def action_close(self) -> None:
        self.dismiss(None)
