"""The help screen: every key of the annotation screen, and the scheme's label keys."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from annotator.domain.scheme import LabelScheme
from annotator.domain.text import visible


class HelpScreen(ModalScreen[None]):
    """Lists (keys, what they do); any of escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "close", "close"),
    ]

    def __init__(self, rows: list[tuple[str, str]], scheme: LabelScheme):
        super().__init__()
        self.rows = rows
        self.scheme = scheme

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static("Keys", markup=False, classes="help-title")
            table: DataTable = DataTable(show_cursor=False, zebra_stripes=True)
            table.add_columns("key", "does")
            for keys, does in self.rows:
                table.add_row(Text(keys), Text(does))
            yield table
            yield Static(f"Labels of scheme {self.scheme.name}", markup=False, classes="help-title")
            labels: DataTable = DataTable(show_cursor=False, zebra_stripes=True)
            labels.add_columns("key", "label", "description")
            for index, label in enumerate(self.scheme.labels):
                keys = (
                    label.key
                    if index >= 9 or label.key == str(index + 1)
                    else f"{index + 1}, {label.key}"
                )
                # Scheme files are user data: Text cells, so nothing is read as markup.
                labels.add_row(Text(keys), Text(label.name), Text(visible(label.description)))
            yield labels
            yield Static("escape, q or ? closes this screen", markup=False, classes="help-hint")

    def action_close(self) -> None:
        self.dismiss(None)
