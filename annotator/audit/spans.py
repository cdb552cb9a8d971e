"""Span-level comparison of two annotators: exact and relaxed matches, the three kinds of
disagreement, and the label pairs they confuse.

The algorithms work on keys, (start, end, label) tuples, which Python hashes, compares
and sorts in C; spans come back as the objects the caller gave (domain Spans, or plain
(start, end, label) tuples when a whole corpus is measured and nothing is displayed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple, cast

from annotator.domain.spans import Span

SpanKey = tuple[int, int, str]
SpanLike = Span | SpanKey  # a domain Span, or (start, end, label)


class DisagreementKind(StrEnum):
    """How two annotators' spans differ where they do not match exactly."""

    SAME_EXTENT_DIFFERENT_LABEL = "same_extent_different_label"
    OVERLAPPING_DIFFERENT_EXTENT = "overlapping_different_extent"
    ONE_SIDE_ONLY = "one_side_only"

    @property
    def description(self) -> str:
        """The kind in words, for tables and reports."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    DisagreementKind.SAME_EXTENT_DIFFERENT_LABEL: "same extent, different label",
    DisagreementKind.OVERLAPPING_DIFFERENT_EXTENT: "overlapping, different extent",
    DisagreementKind.ONE_SIDE_ONLY: "one side only",
}
_SAME = DisagreementKind.SAME_EXTENT_DIFFERENT_LABEL
_OVERLAP = DisagreementKind.OVERLAPPING_DIFFERENT_EXTENT
_ALONE = DisagreementKind.ONE_SIDE_ONLY

# A disagreement as keys: (kind, a's span key or None, b's span key or None).
Found = tuple[DisagreementKind, SpanKey | None, SpanKey | None]


class Disagreement(NamedTuple):
    """One disagreement between annotators ``a`` and ``b``; a side without a span is None.

    A named tuple rather than a dataclass: a corpus has many, and tuples are built fast.
    """

    kind: DisagreementKind
    a: str
    b: str
    a_span: Span | None
    b_span: Span | None

    @property
    def start(self) -> int:
        """Where the disagreement begins in the text."""
        return min(_key(s)[0] for s in (self.a_span, self.b_span) if s is not None)

    @property
    def end(self) -> int:
        """Where the disagreement ends in the text."""
        return max(_key(s)[1] for s in (self.a_span, self.b_span) if s is not None)


_KEY = attrgetter("start", "end", "label")
_LABEL = itemgetter(2)


def _key(span: Any) -> SpanKey:
    return span[:3] if isinstance(span, tuple) else (span.start, span.end, span.label)


def unique_spans(spans: Iterable[SpanLike]) -> dict[SpanKey, Any]:
    """The spans keyed by (start, end, label), duplicates dropped."""
    spans = list(spans)
    if spans and isinstance(spans[0], tuple):
        if len(spans[0]) == 3:  # already keys (callers never mix keys and spans)
            keys = cast("list[SpanKey]", spans)
            return dict(zip(keys, keys, strict=True))
        return {span[:3]: span for span in spans}
    return dict(zip(map(_KEY, spans), spans, strict=True))


def label_counts(keys: Iterable[SpanKey]) -> Counter[str]:
    """How many spans (keys) each label has."""
    return Counter(map(_LABEL, keys))


@dataclass(frozen=True, slots=True)
class PairComparison:
    """Everything one pair of annotators' spans of one article give the measures.

    Spans are compared as sets of (start, end, label): a span marked twice by the same
    annotator counts once. Counts are per label. ``found`` holds the disagreements as
    keys, in text order; ``disagreements`` gives them with the spans as they came.
    """

    a: str
    b: str
    a_counts: Counter[str]
    b_counts: Counter[str]
    exact: Counter[str]  # spans both have, identical in start, end and label
    relaxed: Counter[str]  # one-to-one matches of overlapping spans with the same label
    found: tuple[Found, ...]
    a_spans: Mapping[SpanKey, Any]
    b_spans: Mapping[SpanKey, Any]

    @property
    def disagreements(self) -> tuple[Disagreement, ...]:
        """The disagreements, in text order, with the spans as given."""
        return tuple(
            Disagreement(
                kind,
                self.a,
                self.b,
                None if x is None else self.a_spans[x],
                None if y is None else self.b_spans[y],
            )
            for kind, x, y in self.found
        )


def compare_spans(
    a_spans: Iterable[SpanLike] | dict[SpanKey, Any],
    b_spans: Iterable[SpanLike] | dict[SpanKey, Any],
    a: str = "a",
    b: str = "b",
    a_counts: Counter[str] | None = None,
    b_counts: Counter[str] | None = None,
) -> PairComparison:
    """Compare annotator ``a``'s spans of an article with ``b``'s (see PairComparison).

    Either side may come already keyed by unique_spans() (and counted by label_counts()),
    to share that work when one annotator is compared with several others.
    """
    a_map = a_spans if isinstance(a_spans, dict) else unique_spans(a_spans)
    b_map = b_spans if isinstance(b_spans, dict) else unique_spans(b_spans)
    if a_counts is None:
        a_counts = label_counts(a_map)
    if b_counts is None:
        b_counts = label_counts(b_map)
    common = a_map.keys() & b_map.keys()
    if len(common) == len(a_map) == len(b_map):
        return PairComparison(a, b, a_counts, b_counts, a_counts, a_counts, (), a_map, b_map)
    exact = label_counts(common)
    rest_a = [key for key in a_map if key not in common]
    rest_b = [key for key in b_map if key not in common]
    relaxed = Counter(exact)
    for label in {k[2] for k in rest_a} & {k[2] for k in rest_b}:
        relaxed[label] = _matching(
            [k for k in a_map if k[2] == label], [k for k in b_map if k[2] == label]
        )
    found = tuple(_classify(rest_a, rest_b))
    return PairComparison(a, b, a_counts, b_counts, exact, relaxed, found, a_map, b_map)


def relaxed_matches(a_spans: Sequence[SpanLike], b_spans: Sequence[SpanLike]) -> int:
    """Size of a largest one-to-one matching between the two lists in which matched spans
    overlap (labels are not looked at: pass spans of one label).

    Found with augmenting paths from the identical pairs, so it is never below the exact
    count; a greedy choice can miss the maximum, e.g. when one span overlaps two others.
    """
    return _matching([_key(s) for s in a_spans], [_key(s) for s in b_spans])


def _matching(a_keys: Sequence[SpanKey], b_keys: Sequence[SpanKey]) -> int:
    b_index = {(key[0], key[1]): j for j, key in enumerate(b_keys)}
    match_a: list[int | None] = [None] * len(a_keys)
    match_b: list[int | None] = [None] * len(b_keys)
    for i, key in enumerate(a_keys):
        j = b_index.get((key[0], key[1]))
        if j is not None and match_b[j] is None:
            match_a[i], match_b[j] = j, i
    adjacency = [
        [j for j, (start, end, _) in enumerate(b_keys) if start < a_end and a_start < end]
        for a_start, a_end, _ in a_keys
    ]
    for root in range(len(a_keys)):
        if match_a[root] is not None:
            continue
        # Breadth-first search for an augmenting path: a free b-span reached through
        # alternating (overlap, current match) edges.
        reached_from: dict[int, int] = {}
        queue = [root]
        free_b = None
        for left in queue:
            for j in adjacency[left]:
                if j in reached_from:
                    continue
                reached_from[j] = left
                matched = match_b[j]
                if matched is None:
                    free_b = j
                    break
                queue.append(matched)
            if free_b is not None:
                break
        while free_b is not None:
            left = reached_from[free_b]
            previous = match_a[left]
            match_a[left], match_b[free_b] = free_b, left
            free_b = previous
    return sum(1 for j in match_a if j is not None)


def classify(
    rest_a: Sequence[SpanLike], rest_b: Sequence[SpanLike], a: str = "a", b: str = "b"
) -> list[Disagreement]:
    """Sort spans that have no identical partner into the three kinds of disagreement.

    First spans with the same extent pair up (different label); then what is left pairs
    up by overlap, preferring the same label, then the larger overlap (different extent);
    whatever is still alone is one side only. Pairing is one to one. The result is in
    text order.
    """
    a_map = unique_spans(rest_a)
    b_map = unique_spans(rest_b)
    return [
        Disagreement(kind, a, b, None if x is None else a_map[x], None if y is None else b_map[y])
        for kind, x, y in _classify(list(a_map), list(b_map))
    ]


def _classify(rest_a: list[SpanKey], rest_b: list[SpanKey]) -> list[Found]:
    found: list[tuple[int, int, int, Found]] = []
    rest_a.sort()
    rest_b.sort()
    extents_b: dict[tuple[int, int], list[SpanKey]] = {}
    for y in rest_b:
        extents_b.setdefault((y[0], y[1]), []).append(y)
    unpaired_a: list[SpanKey] = []
    for x in rest_a:
        partners = extents_b.get((x[0], x[1]))
        if partners:
            found.append((x[0], x[1], 0, (_SAME, x, partners.pop(0))))
        else:
            unpaired_a.append(x)
    unpaired_b = sorted(y for ys in extents_b.values() for y in ys)
    candidates = []
    for i, (x_start, x_end, x_label) in enumerate(unpaired_a):
        for j, (y_start, y_end, y_label) in enumerate(unpaired_b):
            if x_start < y_end and y_start < x_end:
                overlap = min(x_end, y_end) - max(x_start, y_start)
                candidates.append((x_label != y_label, -overlap, i, j))
    used_a: set[int] = set()
    used_b: set[int] = set()
    if candidates:
        candidates.sort()
        for _, _, i, j in candidates:
            if i in used_a or j in used_b:
                continue
            used_a.add(i)
            used_b.add(j)
            x, y = unpaired_a[i], unpaired_b[j]
            found.append((min(x[0], y[0]), max(x[1], y[1]), 1, (_OVERLAP, x, y)))
    for i, x in enumerate(unpaired_a):
        if i not in used_a:
            found.append((x[0], x[1], 2, (_ALONE, x, None)))
    for j, y in enumerate(unpaired_b):
        if j not in used_b:
            found.append((y[0], y[1], 2, (_ALONE, None, y)))
    found.sort(key=_FIRST_THREE)
    return [entry[3] for entry in found]


_FIRST_THREE = itemgetter(0, 1, 2)
