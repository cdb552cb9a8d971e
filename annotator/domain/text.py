"""Text normalisation, content hashes, and a display-safe view of article text."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable

# Bidirectional embedding/override/isolate controls can reorder what a terminal shows;
# they are made visible like C0/C1 controls. LRM/RLM and ZWJ/ZWNJ are legitimate in
# Arabic-script text and stay as they are.
_BIDI_CONTROLS = {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}


def normalise_text(text: str) -> str:
    """Return ``text`` in Unicode NFC with ``\\r\\n`` and lone ``\\r`` turned into ``\\n``."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def is_normalised(text: str) -> bool:
    """True when normalise_text would return ``text`` unchanged."""
    return "\r" not in text and unicodedata.is_normalized("NFC", text)


def normalise_with_offsets(text: str, offsets: Iterable[int]) -> tuple[str, dict[int, int]]:
    """Normalise ``text`` as normalise_text does and map each offset in ``offsets`` (positions
    in ``text``) to the same position in the result.

    An offset that falls inside a sequence normalisation joins or changes (between ``\r``
    and ``\n``, or between a letter and a combining mark NFC merges into it) has no
    position in the result: ValueError names it.
    """
    wanted = sorted(set(offsets))
    if is_normalised(text):
        return text, {offset: offset for offset in wanted}
    whole = normalise_text(text)
    mapping: dict[int, int] = {}
    pieces: list[str] = []
    previous, position = 0, 0
    for offset in wanted:
        piece = normalise_text(text[previous:offset])
        pieces.append(piece)
        position += len(piece)
        mapping[offset] = position
        previous = offset
    pieces.append(normalise_text(text[previous:]))
    # Pieces normalised apart give the text normalised whole unless an offset cuts a
    # sequence that normalisation treats as one; then find which (the rare, slow path).
    if "".join(pieces) != whole:
        for old in wanted:
            if normalise_text(text[:old]) + normalise_text(text[old:]) != whole:
                raise ValueError(
                    f"offset {old} splits a character sequence that Unicode normalisation joins"
                )
        raise ValueError("offsets split character sequences that Unicode normalisation joins")
    return whole, mapping


def content_hash(normalised_text: str) -> str:
    """Hex SHA-256 of already-normalised text: the identity of an article."""
    return hashlib.sha256(normalised_text.encode("utf-8")).hexdigest()


def _build_visible_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20):
        if code == 0x0A:  # newline separates lines and stays
            continue
        # U+2400.. "Control Pictures": one visible character per control character, so
        # character offsets in the display string equal offsets in the stored text.
        table[code] = chr(0x2400 + code)
    table[0x7F] = "\u2421"  # DEL
    for code in range(0x80, 0xA0):  # C1 controls (0x9B is a CSI introducer on some terminals)
        table[code] = "\ufffd"
    for code in _BIDI_CONTROLS:
        table[code] = "\ufffd"
    # Line and paragraph separators would break lines where the text has none.
    table[0x2028] = "\u21b5"
    table[0x2029] = "\u21b5"
    return table


_VISIBLE = _build_visible_table()


def visible(text: str) -> str:
    """Map every control character except newline to a visible stand-in, one for one.

    The result has the same length as ``text``, so span offsets stay valid. Nothing in it
    can move the cursor, colour the terminal or write the clipboard when printed.
    """
    return text.translate(_VISIBLE)


_VISIBLE_LINE = {**_VISIBLE, 0x0A: "\u240a"}


def visible_line(text: str) -> str:
    """``visible`` for text shown on one line (a table cell, a message): newline too
    becomes a visible stand-in (U+240A), so data can never add a line of its own."""
    return text.translate(_VISIBLE_LINE)


def first_nonempty_line(text: str, limit: int = 200) -> str:
    """The first line of ``text`` that is not blank, stripped and cut to ``limit`` chars."""
    for line in text.split("\n"):
        line = line.strip()
        if line:
            return line[:limit]
    return ""


def first_words(text: str, words: int = 8, limit: int = 80) -> str:
    """The first ``words`` words of ``text`` on one line (at most ``limit`` characters,
    "…" when cut): what names an article that has no title."""
    found = text.split(None, words)
    shown = " ".join(found[:words])
    if len(found) > words or len(shown) > limit:
        shown = shown[:limit].rstrip() + "…"
    return shown


def check_name(name: str, what: str = "annotator name") -> str | None:
    """Why ``name`` cannot name an annotator (or a source), or None when it can."""
    if not name or not name.strip():
        return f"{what} is empty"
    if len(name) > 64:
        return f"{what} is longer than 64 characters"
    if any(ch.isspace() or not ch.isprintable() for ch in name):
        return f"{what} {visible(name)!r} contains spaces or control characters"
    return None
