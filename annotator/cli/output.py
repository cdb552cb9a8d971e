"""The one boundary between data and the terminal: everything the commands print goes
through here, so that no title, label, name, note, file name or article text can send a
control character or an escape sequence to the user's terminal.

- ``shown(value)``: a value from data for one line of output (a message, a table cell):
  every control character, newline included, becomes a visible stand-in
  (``domain.text.visible_line``, the step the annotation screen uses).
- ``echo(message)``, ``error(message)``: print a message (stdout or stderr); the whole
  message is made visible line by line, so a value that skipped ``shown`` still cannot
  reach the terminal as a control character.
- ``cell(value)``: a Rich ``Text`` for a table cell, never parsed as markup.
- ``console()``: a Rich console for tables; whatever it renders is made visible segment
  by segment (Rich's own styling is kept), again as a second line of defence.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from annotator.domain.text import visible, visible_line

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


def shown(value: Any) -> str:
    """``value`` as text for one line of output, every control character made visible."""
    return visible_line(value if isinstance(value, str) else str(value))


def _message(message: str) -> str:
    # Our own newlines separate our lines; anything else that controls a terminal is
    # made visible.
    return visible(message)


def _write(text: str, err: bool) -> None:
    # Plain writes (no typer import: the quick path of `annotate` reports errors here too).
    stream = sys.stderr if err else sys.stdout
    stream.write(text)
    stream.flush()


def echo(message: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print ``message`` (our text with values already passed through ``shown``)."""
    _write(_message(message) + ("\n" if nl else ""), err)


def error(message: str) -> None:
    """Print ``error: MESSAGE`` on stderr as exactly one line."""
    _write(f"error: {shown(message)}\n", True)


def warn(message: str) -> None:
    """Print ``warning: MESSAGE`` on stderr as exactly one line."""
    _write(f"warning: {shown(message)}\n", True)


def cell(value: Any, style: str = "") -> Text:
    """A table cell holding ``value`` as literal text (no markup), made visible."""
    from rich.text import Text

    return Text(shown(value), style=style)


class _Visible:
    """A renderable that renders another and makes the text of its segments visible."""

    def __init__(self, inner: Any):
        self.inner = inner

    def __rich_console__(self, console, options):
        from rich.segment import Segment

        for segment in console.render(self.inner, options):
            if segment.control or not segment.text:
                yield segment  # Rich's own cursor moves; data never becomes one
            elif segment.text == "\n":
                yield segment
            else:
                yield Segment(visible(segment.text), segment.style)


def console(*, stderr: bool = False, **options: Any) -> Console:
    """A Rich console that prints literal text only: no markup, emoji or highlighting,
    and every renderable made visible (see the module docstring)."""
    from rich.console import Console, RenderHook

    class _Hook(RenderHook):
        def process_renderables(self, renderables):
            return [_Visible(renderable) for renderable in renderables]

    made = Console(stderr=stderr, markup=False, emoji=False, highlight=False, **options)
    made.push_render_hook(_Hook())
    return made


def click_error(exc: Exception) -> None:
    """Print an error of typer's parser (a usage error, a bad option value) as click
    would, made visible: an option value from the command line may hold anything."""
    import io

    buffer = io.StringIO()
    show = getattr(exc, "show", None)
    if show is not None:
        show(file=buffer)
        echo(buffer.getvalue(), err=True, nl=False)
    else:
        error(str(exc))


# Characters JSON leaves raw that a terminal may act on: C1 controls, bidi overrides and
# line separators (json.dumps already escapes C0 controls).
_JSON_ESCAPES = {
    code: f"\\u{code:04x}"
    for code in (*range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029)
}


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """``value`` as JSON text that is safe on a terminal and still means the same: every
    character a terminal could act on is written as a ``\\u`` escape."""
    import json

    return json.dumps(value, indent=indent, ensure_ascii=False).translate(_JSON_ESCAPES)
