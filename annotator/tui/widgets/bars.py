"""The bars around the article: title and progress, current span, label legend."""

from __future__ import annotations

from textual.color import Color
from textual.content import Content
from textual.content import Span as StyleSpan
from textual.style import Style
from textual.widgets import Static

from annotator.domain.scheme import LabelScheme
from annotator.domain.text import visible


def plain(text: str, style: Style | None = None) -> Content:
    """Data (titles, notes, labels) as Content, never parsed as markup."""
    shown = visible(text)
    return Content(
        shown, [StyleSpan(0, len(shown), style)] if style else None, strip_control_codes=False
    )


class TopBar(Static):
    """Article title and where the annotator stands."""


class InfoBar(Static):
    """The current span or selection, and the latest message."""


class Legend(Static):
    """Labels with their keys, in their colours."""

    def __init__(self, scheme: LabelScheme, **kwargs):
        super().__init__("", markup=False, **kwargs)
        self.scheme = scheme

    def on_mount(self) -> None:
        parts: list[Content] = []
        for index, label in enumerate(self.scheme.labels):
            keys = label.key
            if index < 9 and label.key != str(index + 1):
                keys = f"{index + 1}/{label.key}"
            chip = Style(
                background=Color.parse(label.colour), foreground=Color.parse("#000000"), bold=True
            )
            parts.append(plain(f" {keys} ", Style(bold=True)) + plain(f" {label.name} ", chip))
        self.update(Content(" ").join(parts))


class KeysBar(Static):
    """The main keys in one line (a plain Static: lighter to start than Textual's Footer;
    `?` lists them all)."""

    def __init__(self, keys: list[tuple[str, str]], **kwargs):
        super().__init__("", markup=False, **kwargs)
        parts = [
            plain(f" {key} ", Style(bold=True, reverse=True)) + plain(f" {does} ")
            for key, does in keys
        ]
        self.update(Content(" ").join(parts))
