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

import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from annotator.domain.text import visible, visible_line

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


def shown(value: Any) -> str:
    """``value`` as text for one line of output, every control character made visible."""
    return visible_line(value if isinstance(value, str) else str(value))


# What visible() replaces (newline aside): a quick search spares the per-character
# translation for the usual text that has none.
_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _message(message: str) -> str:
    # Our own newlines separate our lines; anything else that controls a terminal is
    # made visible.
    return visible(message) if _CONTROLS.search(message) else message


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


def _escape(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


def safe_json(text: str) -> str:
    """JSON text with every character a terminal could act on written as a ``\\u``
    escape (json.dumps leaves C1 controls, DEL, bidi overrides and line separators raw;
    they can only occur inside strings, where the escape means the same)."""
    return _CONTROLS.sub(_escape, text)


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """``value`` as JSON text that is safe on a terminal and still means the same."""
    import json

    return safe_json(json.dumps(value, indent=indent, ensure_ascii=False))


def write_chunks(chunks: Iterable[str], *, json: bool = False) -> None:
    """Print pieces of a long output as they come (JSON made safe with escapes, other
    text made visible)."""
    clean = safe_json if json else _message
    stream = sys.stdout
    for chunk in chunks:
        stream.write(clean(chunk))
    stream.flush()
