"""Span-level comparison of two annotators: exact and relaxed matches, the three kinds of
disagreement, and the label pairs they confuse."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter, itemgetter

from annotator.domain.spans import Span

SpanKey = tuple[int, int, str]


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
_KIND_ORDER = {kind: index for index, kind in enumerate(DisagreementKind)}


@dataclass(frozen=True, slots=True)
class Disagreement:
    """One disagreement between annotators ``a`` and ``b``; a side without a span is None."""

    kind: DisagreementKind
    a: str
    b: str
    a_span: Span | None
    b_span: Span | None

    @property
    def start(self) -> int:
        """Where the disagreement begins in the text."""
        return min(s.start for s in (self.a_span, self.b_span) if s is not None)

    @property
    def end(self) -> int:
        """Where the disagreement ends in the text."""
        return max(s.end for s in (self.a_span, self.b_span) if s is not None)


@dataclass(frozen=True, slots=True)
class PairComparison:
    """Everything one pair of annotators' spans of one article give the measures.

    Spans are compared as sets of (start, end, label): a span marked twice by the same
    annotator counts once. Counts are per label.
    """

    a: str
    b: str
    a_counts: Counter[str]
    b_counts: Counter[str]
    exact: Counter[str]  # spans both have, identical in start, end and label
    relaxed: Counter[str]  # one-to-one matches of overlapping spans with the same label
    disagreements: tuple[Disagreement, ...]

    def label_pairs(self) -> Iterator[tuple[tuple[str | None, str | None], int]]:
        """((label by a, label by b), count) over the aligned pairs of spans, None where a
        side has no span: identical spans, then the disagreements (same extent with
        another label, overlapping spans, spans alone)."""
        for label, count in self.exact.items():
            yield (label, label), count
        for d in self.disagreements:
            yield (
                (
                    d.a_span.label if d.a_span is not None else None,
                    d.b_span.label if d.b_span is not None else None,
                ),
                1,
            )


_KEY = attrgetter("start", "end", "label")
_LABEL = itemgetter(2)


def unique_spans(spans: Iterable[Span]) -> dict[SpanKey, Span]:
    """The spans keyed by (start, end, label), duplicates dropped."""
    spans = list(spans)
    return dict(zip(map(_KEY, spans), spans, strict=True))


def label_counts(keys: Iterable[SpanKey]) -> Counter[str]:
    """How many spans (keys) each label has."""
    return Counter(map(_LABEL, keys))


def compare_spans(
    a_spans: Iterable[Span] | dict[SpanKey, Span],
    b_spans: Iterable[Span] | dict[SpanKey, Span],
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
        return PairComparison(a, b, a_counts, b_counts, a_counts, a_counts, ())
    exact = label_counts(common)
    rest_a = [span for key, span in a_map.items() if key not in common]
    rest_b = [span for key, span in b_map.items() if key not in common]
    relaxed = Counter(exact)
    for label in {s.label for s in rest_a} & {s.label for s in rest_b}:
        relaxed[label] = relaxed_matches(
            [s for s in a_map.values() if s.label == label],
            [s for s in b_map.values() if s.label == label],
        )
    return PairComparison(
        a, b, a_counts, b_counts, exact, relaxed, tuple(classify(rest_a, rest_b, a, b))
    )


def relaxed_matches(a_spans: Sequence[Span], b_spans: Sequence[Span]) -> int:
    """Size of a largest one-to-one matching between the two lists in which matched spans
    overlap (labels are not looked at: pass spans of one label).

    Found with augmenting paths from the identical pairs, so it is never below the exact
    count; a greedy choice can miss the maximum, e.g. when one span overlaps two others.
    """
    b_index = {span.key: j for j, span in enumerate(b_spans)}
    match_a: list[int | None] = [None] * len(a_spans)
    match_b: list[int | None] = [None] * len(b_spans)
    for i, span in enumerate(a_spans):
        j = b_index.get(span.key)
        if j is not None and match_b[j] is None:
            match_a[i], match_b[j] = j, i
    adjacency = [[j for j, other in enumerate(b_spans) if span.overlaps(other)] for span in a_spans]
    for root in range(len(a_spans)):
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
                if match_b[j] is None:
                    free_b = j
                    break
                queue.append(match_b[j])  # type: ignore[arg-type]
            if free_b is not None:
                break
        while free_b is not None:
            left = reached_from[free_b]
            previous = match_a[left]
            match_a[left], match_b[free_b] = free_b, left
            free_b = previous
    return sum(1 for j in match_a if j is not None)


def classify(
    rest_a: Sequence[Span], rest_b: Sequence[Span], a: str = "a", b: str = "b"
) -> list[Disagreement]:
    """Sort spans that have no identical partner into the three kinds of disagreement.

    First spans with the same extent pair up (different label); then what is left pairs
    up by overlap, preferring the same label, then the larger overlap (different extent);
    whatever is still alone is one side only. Pairing is one to one.
    """
    found: list[Disagreement] = []
    left_a = sorted(rest_a)
    left_b = sorted(rest_b)
    extents_b: dict[tuple[int, int], list[Span]] = {}
    for span in left_b:
        extents_b.setdefault((span.start, span.end), []).append(span)
    unpaired_a: list[Span] = []
    for span in left_a:
        partners = extents_b.get((span.start, span.end))
        if partners:
            other = partners.pop(0)
            found.append(
                Disagreement(DisagreementKind.SAME_EXTENT_DIFFERENT_LABEL, a, b, span, other)
            )
        else:
            unpaired_a.append(span)
    unpaired_b = [span for spans in extents_b.values() for span in spans]
    unpaired_b.sort()
    candidates = []
    for i, x in enumerate(unpaired_a):
        for j, y in enumerate(unpaired_b):
            if x.overlaps(y):
                overlap = min(x.end, y.end) - max(x.start, y.start)
                candidates.append((x.label != y.label, -overlap, i, j))
    candidates.sort()
    used_a: set[int] = set()
    used_b: set[int] = set()
    for _, _, i, j in candidates:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        found.append(
            Disagreement(
                DisagreementKind.OVERLAPPING_DIFFERENT_EXTENT, a, b, unpaired_a[i], unpaired_b[j]
            )
        )
    for i, span in enumerate(unpaired_a):
        if i not in used_a:
            found.append(Disagreement(DisagreementKind.ONE_SIDE_ONLY, a, b, span, None))
    for j, span in enumerate(unpaired_b):
        if j not in used_b:
            found.append(Disagreement(DisagreementKind.ONE_SIDE_ONLY, a, b, None, span))
    found.sort(key=lambda d: (d.start, d.end, _KIND_ORDER[d.kind]))
    return found
