"""F1 from counts, mean and population SD with the convention for undefined values.

Convention: a value that a formula cannot define (F1 when neither side has a span in
scope, kappa and pi when both annotators used one and the same label throughout, alpha when the
data hold a single value) is None (null in JSON, "-" in tables). It is left out of
means and standard deviations; every summary says how many values it covers (``n``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

UNDEFINED = (
    "F1 is undefined when neither annotator has a span in scope; kappa and pi when both "
    "annotators gave every token one and the same label; alpha when the data hold "
    "fewer than two values or only one distinct value. Undefined values are null and are "
    "left out of means and SDs; n says how many values a mean covers."
)


@dataclass(frozen=True, slots=True)
class Summary:
    """Mean and population standard deviation of the defined values, and how many there were."""

    mean: float | None
    sd: float | None
    n: int


def f1(shared: int, a: int, b: int) -> float | None:
    """2|A∩B| / (|A| + |B|) from counts; None when both sides are empty."""
    total = a + b
    return None if total == 0 else 2 * shared / total


def summarise(values: Iterable[float | None]) -> Summary:
    """Mean and population SD (as numpy.std) over the values that are not None."""
    defined = [v for v in values if v is not None]
    n = len(defined)
    if n == 0:
        return Summary(None, None, 0)
    if n == 1:
        return Summary(defined[0], 0.0, 1)
    mean = math.fsum(defined) / n
    return Summary(mean, math.sqrt(math.fsum([(v - mean) ** 2 for v in defined]) / n), n)


@dataclass(frozen=True, slots=True)
class PairF1:
    """One annotator pair's F1 over the articles both finished, with its counts."""

    a: str
    b: str
    f1: float | None
    shared: int  # matched spans (exact: identical; relaxed: overlapping, one to one)
    a_spans: int
    b_spans: int
    documents: int


@dataclass(frozen=True, slots=True)
class F1Figures:
    """Pairwise F1 overall and per label: each pair's value, then mean and SD over pairs."""

    overall: Summary
    pairs: tuple[PairF1, ...]
    labels: dict[str, Summary]
    label_pairs: dict[str, tuple[PairF1, ...]]


def add_counts(target: dict, counts: Mapping) -> None:
    """Add ``counts`` into ``target`` (Counter.update's abstract-class checks cost more than
    the adding, for the handful of labels an article has)."""
    for key, count in counts.items():
        target[key] = target.get(key, 0) + count


@dataclass
class F1Tally:
    """Counts for pairwise F1 per label, added one article at a time.

    ``shared``: per pair and label, the matched spans. Span totals are kept per group of
    annotators that finished the same articles (``groups``: group -> annotator -> label ->
    spans), once per article rather than once per pair; a pair's totals sum the groups
    it belongs to. ``a_total``/``b_total`` take totals that only make sense per pair.
    """

    shared: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    a_total: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    b_total: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    documents: Counter = field(default_factory=Counter)
    groups: dict[tuple[str, ...], dict[str, dict[str, int]]] = field(default_factory=dict)
    group_documents: Counter = field(default_factory=Counter)

    def add_group(self, counts: Mapping[str, Mapping[str, int]]) -> None:
        """Add one article's span counts per label of each of its annotators."""
        names = tuple(sorted(counts))
        group = self.groups.get(names)
        if group is None:
            group = self.groups[names] = {name: {} for name in names}
        self.group_documents[names] += 1
        for name in names:
            add_counts(group[name], counts[name])

    def add_shared(self, pair: tuple[str, str], shared: Mapping[str, int]) -> None:
        """Add one article's matched spans per label for ``pair`` (after add_group)."""
        target = self.shared.get(pair)
        if target is None:
            target = self.shared[pair] = {}
        add_counts(target, shared)

    def add(
        self,
        pair: tuple[str, str],
        shared: Mapping[str, int],
        a: Mapping[str, int],
        b: Mapping[str, int],
        documents: int = 1,
    ) -> None:
        """Add counts per label of ``documents`` articles (usually one) for ``pair`` alone."""
        self.add_shared(pair, shared)
        add_counts(self.a_total.setdefault(pair, {}), a)
        add_counts(self.b_total.setdefault(pair, {}), b)
        self.documents[pair] += documents

    def merge(self, other: F1Tally) -> None:
        """Add another tally's counts to this one."""
        for pair, shared in other.shared.items():
            self.add_shared(pair, shared)
        for mine, theirs in ((self.a_total, other.a_total), (self.b_total, other.b_total)):
            for pair, counts in theirs.items():
                add_counts(mine.setdefault(pair, {}), counts)
        self.documents.update(other.documents)
        for names, group in other.groups.items():
            if names not in self.groups:
                self.groups[names] = {name: {} for name in names}
            for name, counts in group.items():
                add_counts(self.groups[names][name], counts)
        self.group_documents.update(other.group_documents)

    def pairs(self) -> list[tuple[str, str]]:
        """Every pair that shares at least one article, sorted."""
        found = set(self.documents)
        for names in self.groups:
            found.update((a, b) for i, a in enumerate(names) for b in names[i + 1 :])
        return sorted(found)

    def counts(self, pair: tuple[str, str], label: str | None = None) -> tuple[int, int, int, int]:
        """(shared, a, b, articles) of ``pair`` for one label, or over all labels."""

        def total(counts: Mapping[str, int] | None) -> int:
            if not counts:
                return 0
            return sum(counts.values()) if label is None else counts.get(label, 0)

        a = total(self.a_total.get(pair))
        b = total(self.b_total.get(pair))
        documents = self.documents[pair]
        for names, group in self.groups.items():
            if pair[0] in group and pair[1] in group:
                a += total(group[pair[0]])
                b += total(group[pair[1]])
                documents += self.group_documents[names]
        return total(self.shared.get(pair)), a, b, documents

    def figures(self, labels: Iterable[str]) -> F1Figures:
        """F1 per pair and per (label, pair); mean and SD over pairs."""
        pairs = self.pairs()
        overall = tuple(self._pair(pair, None) for pair in pairs)
        label_pairs = {label: tuple(self._pair(pair, label) for pair in pairs) for label in labels}
        return F1Figures(
            overall=summarise(p.f1 for p in overall),
            pairs=overall,
            labels={label: summarise(p.f1 for p in ps) for label, ps in label_pairs.items()},
            label_pairs=label_pairs,
        )

    def _pair(self, pair: tuple[str, str], label: str | None) -> PairF1:
        shared, a, b, documents = self.counts(pair, label)
        return PairF1(pair[0], pair[1], f1(shared, a, b), shared, a, b, documents)
