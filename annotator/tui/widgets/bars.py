"""The bars around the article: title and progress, current span, label legend, keys.

Each bar lays itself out for its width (an 80-column terminal is a first-class size):
the legend wraps whole chips, never a key apart from its label; the keys bar always shows
undo, help and quit, in a compact form and with fewer keys when narrow.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import events
from textual.color import Color
from textual.content import Content
from textual.content import Span as StyleSpan
from textual.style import Style
from textual.widget import Widget
from textual.widgets import Static

from annotator.domain.scheme import LabelScheme
from annotator.domain.text import visible
from annotator.tui.widgets.kept import KeptLines

ESSENTIAL_KEYS = ("u", "?", "q")
"""Keys the keys bar shows at any width."""

DROP_ORDER = ("f", "s", "[ ] { }", "space", "del", "1-9", "tab", "a")
"""Which keys the keys bar leaves out first when it is too narrow (other keys not named
here go before these, from the end); `?` lists them all."""


def plain(text: str, style: Style | None = None) -> Content:
    """Data (titles, notes, labels) as Content, never parsed as markup."""
    shown = visible(text)
    return Content(
        shown, [StyleSpan(0, len(shown), style)] if style else None, strip_control_codes=False
    )


class Bar(KeptLines, Static):
    """A Static that asks for a layout pass only when its height changes (an update of
    the title or the status would otherwise lay out the whole screen, article included),
    and for nothing when its content is the same text in the same styles (the screen
    updates its bars after every key and every answer of the database)."""

    _shown: Content | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Bars show data as plain text (see plain): no links to style on every draw.
        self.set_reactive(Widget.auto_links, False)

    def update(self, content="", *, layout: bool = True) -> None:
        if isinstance(content, Content):
            shown = self._shown
            if shown is not None and shown.plain == content.plain and shown.spans == content.spans:
                return
            self._shown = content
        else:
            self._shown = None
        if layout and isinstance(content, Content) and self.is_mounted:
            width = self.content_region.width
            if width > 0 and self.size.height > 0:
                # Textual annotates `rules` as its RulesMap TypedDict but documents a
                # widget's styles there (and passes them itself, in Widget).
                height = content.get_height(self.styles, width)  # type: ignore[arg-type]
                layout = height != self.size.height
        super().update(content, layout=layout)


class TopBar(Bar):
    """Article title and where the annotator stands."""


class InfoBar(Bar):
    """The current span or selection, and the latest message (one line each, ended
    with an ellipsis when it does not fit: see app.tcss)."""


def lay_out(chips: Sequence[Content], width: int, gap: int = 1) -> Content:
    """Chips on as few lines of ``width`` cells as they fit, each chip whole (a chip
    wider than the line is drawn on a line of its own)."""
    lines: list[list[Content]] = [[]]
    used = 0
    for chip in chips:
        size = chip.cell_length
        if lines[-1] and used + gap + size > width:
            lines.append([])
            used = 0
        used += (gap if lines[-1] else 0) + size
        lines[-1].append(chip)
    return Content("\n").join(Content(" " * gap).join(line) for line in lines)


class Legend(Bar):
    """Labels with their keys, in their colours; each key and its label one chip."""

    def __init__(self, scheme: LabelScheme, **kwargs):
        super().__init__("", markup=False, **kwargs)
        self.scheme = scheme
        self.chips: list[Content] = []
        for index, label in enumerate(scheme.labels):
            keys = label.key
            if index < 9 and label.key != str(index + 1):
                keys = f"{index + 1}/{label.key}"
            colour = Style(
                background=Color.parse(label.colour), foreground=Color.parse("#000000"), bold=True
            )
            self.chips.append(
                plain(f" {keys} ", Style(bold=True)) + plain(f" {label.name} ", colour)
            )
        self._width = 0

    def on_mount(self) -> None:
        self._fit(self.content_region.width or 80)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(self.content_region.width)

    def _fit(self, width: int) -> None:
        if width > 0 and width != self._width:
            self._width = width
            self.update(lay_out(self.chips, width))


class KeysBar(KeptLines, Static):
    """The main keys in one line (a plain Static: lighter to start than Textual's Footer;
    `?` lists them all). When the line is too narrow the words move closer, then keys
    are left out in ``drop`` order; ``essential`` keys are always shown."""

    def __init__(
        self,
        keys: Sequence[tuple[str, str]],
        essential: Sequence[str] = ESSENTIAL_KEYS,
        drop: Sequence[str] = DROP_ORDER,
        **kwargs,
    ):
        super().__init__("", markup=False, **kwargs)
        self.set_reactive(Widget.auto_links, False)  # plain text, no links
        self.keys = list(keys)
        self.essential = set(essential)
        named = [key for key in drop if any(k == key for k, _ in self.keys)]
        others = [k for k, _ in reversed(self.keys) if k not in self.essential and k not in named]
        self.drop_order = others + named
        self._width = 0
        self.update(self.fit(200))

    def fit(self, width: int) -> Content:
        """The keys bar for a line of ``width`` cells."""
        shown = list(self.keys)
        for compact in (False, True):
            line = self._line(shown, compact)
            if line.cell_length <= width:
                return line
        for key in self.drop_order:
            shown = [(k, d) for k, d in shown if k != key]
            line = self._line(shown, True)
            if line.cell_length <= width:
                return line
        return line

    @staticmethod
    def _line(keys: Sequence[tuple[str, str]], compact: bool) -> Content:
        key_style = Style(bold=True, reverse=True)
        if compact:
            parts = [plain(f" {key} ", key_style) + plain(f" {does}") for key, does in keys]
        else:
            parts = [plain(f" {key} ", key_style) + plain(f" {does} ") for key, does in keys]
        return Content(" ").join(parts)

    def on_mount(self) -> None:
        self._refit(self.size.width or 80)

    def on_resize(self, event: events.Resize) -> None:
        self._refit(self.size.width)

    def _refit(self, width: int) -> None:
        if width > 0 and width != self._width:
            self._width = width
            self.update(self.fit(width), layout=False)
