"""Spans, suggestions, annotation statuses and span origins as plain values."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final


class Status(StrEnum):
    """Where one annotator stands with one article."""

    IN_PROGRESS = "in_progress"
    DONE = "done"
    SKIPPED = "skipped"
    FLAGGED = "flagged"

    @property
    def finished(self) -> bool:
        """True when the article leaves the annotator's queue."""
        return self is not Status.IN_PROGRESS


class Origin(StrEnum):
    """How a span came to be in an annotation."""

    SUGGESTED = "suggested"  # a machine suggestion not yet confirmed (in-progress work only)
    ACCEPTED = "accepted"  # suggested and accepted as it was
    EDITED = "edited"  # suggested, then relabelled or resized
    MANUAL = "manual"  # added by hand


class Kind(StrEnum):
    """An annotator's own annotation, or the adjudicated gold annotation of an article."""

    ANNOTATION = "annotation"
    GOLD = "gold"


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__,
# which made building a Span cost twice as much (1.4 against 0.66 us measured), and imports
# and exports build one per span, millions of them. The fields are Final, so the type
# checker refuses any assignment to them; equality, order and the hash are those of
# (start, end, label), as before.
@dataclass(slots=True, order=True, unsafe_hash=True)
class Span:
    """A labelled character range ``[start, end)`` of an article's text."""

    start: Final[int]
    end: Final[int]
    label: Final[str]
    origin: Final[Origin] = field(default=Origin.MANUAL, compare=False)
    # Gold provenance: the annotators this span came from (empty outside gold annotations).
    sources: Final[tuple[str, ...]] = field(default=(), compare=False)

    @property
    def key(self) -> tuple[int, int, str]:
        """What two annotators must share to agree exactly on this span."""
        return (self.start, self.end, self.label)

    def overlaps(self, other: Span) -> bool:
        """True when the two ranges share at least one character."""
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A span proposed by a machine source such as ``patterns:<hash>`` or ``model:<name>@<v>``."""

    start: int
    end: int
    label: str
    source: str
    score: float | None = None


def check_span(start: int, end: int, text_length: int) -> str | None:
    """Return why ``[start, end)`` is not a valid span of a text this long, or None."""
    if not isinstance(start, int) or not isinstance(end, int):
        return f"span offsets must be integers, got {start!r}, {end!r}"
    if start < 0 or end > text_length:
        return f"span [{start}, {end}) lies outside the text (length {text_length})"
    if start >= end:
        return f"span [{start}, {end}) is empty or reversed"
    return None


def pack_offsets(tokens: list[tuple[int, int]]) -> bytes:
    """Token (start, end) pairs as little-endian uint32s, the stored form."""
    flat = array(
        "I", [value for pair in tokens for value in pair]
    )  # "I" is 4 bytes on our platforms
    if sys.byteorder != "little":
        flat.byteswap()
    return flat.tobytes()


def unpack_offsets(data: bytes) -> list[tuple[int, int]]:
    """The inverse of pack_offsets."""
    flat = array("I")
    flat.frombytes(data)
    if sys.byteorder != "little":
        flat.byteswap()
    return list(zip(flat[0::2], flat[1::2], strict=True))


_DETERMINER_PREFIXES = ("the ", "The ", "THE ")


def tidy_suggestion(span: Span, text: str) -> Span | None:
    """A suggestion cut to what an entity can be: up to the first line break (a span never
    runs across lines or paragraphs), without a leading "the" and without whitespace at
    either end. None when nothing is left."""
    start, end = span.start, span.end
    piece = text[start:end]
    newline = piece.find("\n")
    if newline >= 0:
        end = start + newline
    for prefix in _DETERMINER_PREFIXES:
        if text.startswith(prefix, start) and start + len(prefix) < end:
            start += len(prefix)
            break
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end:
        return None
    if (start, end) == (span.start, span.end):
        return span
    return Span(start, end, span.label, span.origin, span.sources)


def _source_rank(span: Span) -> int:
    """Pattern suggestions (written for the scheme) before every other source."""
    return 0 if any(source.startswith("patterns:") for source in span.sources) else 1


def seed_suggestions(
    suggested: list[Span], taken: list[Span], text: str | None = None
) -> list[Span]:
    """The suggestions that go into an annotation as pending spans.

    With the article's ``text``, each is first cut to one line and loses a leading "the"
    (see tidy_suggestion). Duplicates are merged. Then a greedy pick of those overlapping
    nothing already taken, since one annotation cannot hold overlapping entities for NER:
    pattern suggestions (a span's ``sources`` naming a ``patterns:`` source) first, then
    the others, each group earliest and then longest first. The spans returned carry no
    sources."""
    tidied = suggested
    if text is not None:
        tidied = [t for t in (tidy_suggestion(s, text) for s in suggested) if t is not None]
    merged: dict[tuple[int, int, str], Span] = {}
    for span in tidied:
        known = merged.get(span.key)
        if known is None or _source_rank(span) < _source_rank(known):
            merged[span.key] = span
    chosen: list[Span] = []
    ordered = sorted(
        merged.values(), key=lambda s: (_source_rank(s), s.start, -(s.end - s.start), s.label)
    )
    for span in ordered:
        if not any(span.overlaps(other) for other in taken + chosen):
            chosen.append(span)
    chosen.sort(key=lambda s: (s.start, s.end, s.label))
    return [Span(s.start, s.end, s.label, s.origin) for s in chosen]


def without_overlaps(spans: Iterable[Span]) -> tuple[list[Span], list[tuple[Span, Span]]]:
    """Split ``spans`` into those that can stand together in one layer (NER, IOB tags) and
    the others, each with the span it overlaps. Of overlapping spans the one that starts
    first is kept, and of two that start together the longer."""
    kept: list[Span] = []
    dropped: list[tuple[Span, Span]] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end, s.label)):
        if kept and span.start < kept[-1].end:
            dropped.append((span, kept[-1]))
        else:
            kept.append(span)
    return kept, dropped


def cut_tokens(tokens: Iterable[tuple[int, int]], cuts: Iterable[int]) -> list[tuple[int, int]]:
    """Token (start, end) ranges, each cut in two at every offset of ``cuts`` strictly
    inside it, so that spans starting or ending there align with tokens."""
    points = sorted(set(cuts))
    result: list[tuple[int, int]] = []
    index = 0
    for start, end in tokens:
        while index < len(points) and points[index] <= start:
            index += 1
        inner = index
        while inner < len(points) and points[inner] < end:
            result.append((start, points[inner]))
            start = points[inner]
            inner += 1
        result.append((start, end))
        index = inner
    return result
