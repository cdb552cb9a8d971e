"""Small modal dialogs: a flag note, a search string. Each returns its answer via dismiss."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class AskDialog(ModalScreen[str | None]):
    """Ask for one line of text; Enter answers it, Escape cancels (answers None)."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, question: str, placeholder: str = "", value: str = ""):
        super().__init__()
        self.question = question
        self.placeholder = placeholder
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question, markup=False, id="question")
            yield Input(value=self.value, placeholder=self.placeholder, id="answer")
            yield Static("Enter to confirm · Escape to cancel", markup=False, id="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
