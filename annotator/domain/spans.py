"""Spans, suggestions, annotation statuses and span origins as plain values."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


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


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A labelled character range ``[start, end)`` of an article's text."""

    start: int
    end: int
    label: str
    origin: Origin = field(default=Origin.MANUAL, compare=False)
    # Gold provenance: the annotators this span came from (empty outside gold annotations).
    sources: tuple[str, ...] = field(default=(), compare=False)

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


def seed_suggestions(suggested: list[Span], taken: list[Span]) -> list[Span]:
    """The suggestions that go into an annotation as pending spans: duplicates merged, and
    a greedy pick (earliest, then longest first) of those overlapping nothing already
    taken, since one annotation cannot hold overlapping entities for NER."""
    unique = list({s.key: s for s in suggested}.values())
    chosen: list[Span] = []
    for span in sorted(unique, key=lambda s: (s.start, -(s.end - s.start), s.label)):
        if not any(span.overlaps(other) for other in taken + chosen):
            chosen.append(span)
    return chosen


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
