"""Token-level agreement: per-token labels, token F1, Cohen's kappa per pair and
Krippendorff's alpha (nominal) over all annotators.

The tokens of an article are either given, as (start, end) offsets (spaCy's tokens, which
spans snap to when annotating: ``OffsetTokens``), or, when none are given, runs of
non-space characters (``\\S+``, as bratiaa counts). A span covers every token it
overlaps (a span ending inside a token covers that token). Tokens outside every span are
labelled ``O``. When one annotator's spans overlap, a token takes the label of the span
that starts first (then the longer one, then the label first by name).
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import repeat
from operator import eq, itemgetter

from annotator.audit.figures import F1Tally
from annotator.domain.spans import Span

SpanKey = tuple[int, int, str]

TOKEN = re.compile(r"\S+")
OUTSIDE = "O"


def tokens(text: str) -> list[tuple[int, int]]:
    """(start, end) of every token of ``text``."""
    return [match.span() for match in TOKEN.finditer(text)]


def count_tokens(text: str) -> int:
    """How many tokens ``text`` has (str.split and ``\\s`` agree on what is whitespace)."""
    return len(text.split())


def _stretch(text: str, start: int, end: int) -> tuple[int, str]:
    """(where it begins, the text) of ``[start, end)`` widened left to the start of the
    token ``start`` falls in."""
    begin = max(0, min(start, len(text)))
    if begin < len(text) and not text[begin].isspace():
        while begin > 0 and not text[begin - 1].isspace():
            begin -= 1
    return begin, text[begin:end]


def span_tokens(text: str, start: int, end: int) -> list[int]:
    """Start offsets of the tokens that overlap ``[start, end)``.

    Only the span's own stretch of text is looked at, so the cost follows the spans, not
    the length of the article.
    """
    begin, segment = _stretch(text, start, end)
    pieces = segment.split()
    if len(pieces) == 1 and not segment[0].isspace():
        return [begin]
    found = []
    position = begin
    for piece in pieces:
        # The piece starts at the first non-space character at or after `position`.
        position = text.find(piece, position)
        found.append(position)
        position += len(piece)
    return found


class OffsetTokens:
    """An article's tokens given as offsets (sorted, not overlapping), e.g. spaCy's with
    whitespace tokens left out: the unit of the token-level measures for that article."""

    __slots__ = ("starts", "ends")

    def __init__(self, starts: Sequence[int], ends: Sequence[int]):
        self.starts = starts
        self.ends = ends

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[int, int]]) -> OffsetTokens:
        """From (start, end) pairs in text order."""
        pairs = list(pairs)
        return cls([p[0] for p in pairs], [p[1] for p in pairs])

    @classmethod
    def from_packed(cls, packed: bytes) -> OffsetTokens:
        """From little-endian uint32 (start, end) pairs, as the store keeps them."""
        values = array("I")
        values.frombytes(packed)
        if values.itemsize != 4:  # pragma: no cover - every platform we run on has 4
            raise ValueError("array('I') is not 32-bit here")
        if array("I", [1]).tobytes() != b"\x01\x00\x00\x00":  # pragma: no cover
            values.byteswap()
        return cls(values[0::2].tolist(), values[1::2].tolist())

    def __len__(self) -> int:
        return len(self.starts)

    def count(self) -> int:
        """How many tokens the article has."""
        return len(self.starts)

    def covering(self, start: int, end: int) -> list[int]:
        """Start offsets of the tokens that overlap ``[start, end)``."""
        first = bisect_right(self.ends, start)
        return list(self.starts[first : bisect_left(self.starts, end, first)])

    def range(self, start: int, end: int) -> tuple[int, int, int] | None:
        """(first token's start, last token's start, how many) of the tokens overlapping
        ``[start, end)``, or None when there are none."""
        first = bisect_right(self.ends, start)
        last = bisect_left(self.starts, end, first)
        if last <= first:
            return None
        return self.starts[first], self.starts[last - 1], last - first


class TextTokens:
    """The ``\\S+`` runs of a text as the unit (no token list is built)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def count(self) -> int:
        """How many tokens the text has."""
        return count_tokens(self.text)

    def covering(self, start: int, end: int) -> list[int]:
        """Start offsets of the tokens that overlap ``[start, end)``."""
        return span_tokens(self.text, start, end)

    def range(self, start: int, end: int) -> tuple[int, int, int] | None:
        """As OffsetTokens.range."""
        return _token_range(self.text, start, end)


Unit = OffsetTokens | TextTokens


def unit_of(text: str, tokens: OffsetTokens | Sequence[tuple[int, int]] | None) -> Unit:
    """The token unit of an article: its given tokens, else its ``\\S+`` runs."""
    if tokens is None:
        return TextTokens(text)
    if isinstance(tokens, OffsetTokens):
        return tokens
    return OffsetTokens.from_pairs(tokens)


@dataclass(slots=True)
class TokenView:
    """One annotator's spans of one article seen token by token.

    ``labels``: token start -> its single label (tokens not in it are ``O``).
    ``bag``: (label, token start) -> how many of the annotator's spans put that label on
    that token, which token F1 counts (as bratiaa does); None when no two of the spans
    share a token, as then the bag is just ``labels``.
    """

    labels: dict[int, str]
    bag: Counter[tuple[str, int]] | None

    def full_bag(self) -> Counter[tuple[str, int]]:
        """The bag, also when it equals ``labels``."""
        if self.bag is not None:
            return self.bag
        return Counter({(label, token): 1 for token, label in self.labels.items()})


def token_view(
    text: str, keys: Iterable[SpanKey], cache: dict | None = None, unit: Unit | None = None
) -> TokenView:
    """The TokenView of spans given as (start, end, label) over ``text`` (duplicates count
    once); ``cache`` shares span -> tokens look-ups between the annotators of one article;
    ``unit``: the article's tokens (default: its ``\\S+`` runs)."""
    if cache is None:
        cache = {}
    if unit is None:
        unit = TextTokens(text)
    covering = unit.covering
    if not isinstance(keys, dict | set | frozenset):
        keys = set(keys)
    labels: dict[int, str] = {}
    placed = 0
    for key in keys:
        covered = cache.get(key)
        if covered is None:
            covered = cache[key] = covering(key[0], key[1])
        placed += len(covered)
        labels.update(zip(covered, repeat(key[2])))
    if placed != len(labels):  # two spans share a token: priorities and bags are needed
        return _overlapping_view(unit, list(keys), cache)
    return TokenView(labels, None)


def _overlapping_view(unit: Unit, keys: list[SpanKey], cache: dict) -> TokenView:
    # Spans share tokens: the first span by (start, longer first, label) names the token,
    # and the bag keeps every (label, token).
    labels: dict[int, str] = {}
    bag: Counter[tuple[str, int]] = Counter()
    for start, end, label in sorted(keys, key=lambda k: (k[0], -k[1], k[2])):
        for token in cache.get((start, end, label)) or unit.covering(start, end):
            labels.setdefault(token, label)
            bag[(label, token)] += 1
    return TokenView(labels, bag)


def token_labels(
    text: str, spans: Iterable[Span], given: Sequence[tuple[int, int]] | None = None
) -> list[str]:
    """The label of every token of ``text`` in order (its ``given`` tokens, else its
    ``\\S+`` runs), ``O`` outside the spans."""
    unit = unit_of(text, given)
    view = token_view(text, (s.key for s in spans), unit=unit)
    starts = unit.starts if isinstance(unit, OffsetTokens) else [t[0] for t in tokens(text)]
    return [view.labels.get(start, OUTSIDE) for start in starts]


@dataclass(frozen=True, slots=True)
class Kappa:
    """Cohen's kappa of one pair over the tokens of the articles both finished."""

    a: str
    b: str
    kappa: float | None
    observed: float | None
    expected: float | None
    tokens: int
    pi: float | None = None  # Scott's pi of the same pair


def cohen_kappa(
    pairs: Mapping[tuple[Hashable, Hashable], int],
) -> tuple[float | None, float | None, float | None]:
    """(kappa, observed agreement, expected agreement) from counts of (a's label, b's label).

    Kappa is undefined (None) when expected agreement is 1: both annotators gave every
    item one and the same label.
    """
    total = sum(pairs.values())
    if total == 0:
        return None, None, None
    agree = 0
    a_marginal: Counter = Counter()
    b_marginal: Counter = Counter()
    for (x, y), count in pairs.items():
        if x == y:
            agree += count
        a_marginal[x] += count
        b_marginal[y] += count
    chance = sum(count * b_marginal[label] for label, count in a_marginal.items())
    observed = agree / total
    expected = chance / (total * total)
    if chance == total * total:
        return None, observed, expected
    return (agree * total - chance) / (total * total - chance), observed, expected


def scott_pi(
    pairs: Mapping[tuple[Hashable, Hashable], int],
) -> tuple[float | None, float | None, float | None]:
    """(Scott's pi, observed agreement, expected agreement) from counts of (a's label, b's
    label): like kappa, but chance agreement comes from both annotators' labels pooled.

    Undefined (None) when expected agreement is 1, as for kappa.
    """
    total = sum(pairs.values())
    if total == 0:
        return None, None, None
    agree = 0
    pooled: Counter = Counter()
    for (x, y), count in pairs.items():
        if x == y:
            agree += count
        pooled[x] += count
        pooled[y] += count
    chance = sum(count * count for count in pooled.values())  # over (2 * total) ** 2
    observed = agree / total
    expected = chance / (4 * total * total)
    if chance == 4 * total * total:
        return None, observed, expected
    return (4 * agree * total - chance) / (4 * total * total - chance), observed, expected


@dataclass
class AlphaTally:
    """Krippendorff's alpha (nominal) accumulated unit by unit, in constant memory.

    Per unit with m >= 2 values, its coincidences contribute m^2 - sum(count_c^2) pairs
    of different values (weighted 1/(m-1)); units with fewer than two values are not
    pairable and are left out, as Krippendorff prescribes.
    """

    values: Counter = field(default_factory=Counter)
    disagreeing: dict[int, int] = field(default_factory=dict)  # m -> sum of m^2 - sum c^2
    units: int = 0

    def add(self, unit: Sequence[Hashable], times: int = 1) -> None:
        """Add ``times`` units that each received the values in ``unit``."""
        m = len(unit)
        if m < 2 or times <= 0:
            return
        counts = Counter(unit)
        for value, count in counts.items():
            self.values[value] += count * times
        different = m * m - sum(c * c for c in counts.values())
        if different:
            self.disagreeing[m] = self.disagreeing.get(m, 0) + different * times
        self.units += times

    def merge(self, other: AlphaTally) -> None:
        """Add another tally's units to this one."""
        self.values.update(other.values)
        for m, count in other.disagreeing.items():
            self.disagreeing[m] = self.disagreeing.get(m, 0) + count
        self.units += other.units

    def alpha(self) -> float | None:
        """Alpha, or None when the pairable values are fewer than two or all alike."""
        n = sum(self.values.values())
        expected = n * n - sum(c * c for c in self.values.values())
        if n < 2 or expected == 0:
            return None
        observed = sum(
            (Fraction(count, m - 1) for m, count in self.disagreeing.items()), Fraction(0)
        )
        return float(1 - (n - 1) * observed / expected)


def krippendorff_alpha(units: Iterable[Sequence[Hashable]]) -> float | None:
    """Krippendorff's alpha (nominal) of units, each the values its coders gave it
    (a coder who did not code a unit is simply absent from it)."""
    tally = AlphaTally()
    for unit in units:
        tally.add(unit)
    return tally.alpha()


@dataclass(frozen=True, slots=True)
class TokenFigures:
    """Kappa per pair and alpha over all annotators, on per-token labels."""

    kappa: tuple[Kappa, ...]
    alpha: float | None
    units: int  # tokens with two or more annotators, what alpha is computed over


@dataclass
class TokenTally:
    """Token-level counts added one article at a time, in memory that does not grow with
    the corpus: for each set of annotators, how many tokens received each combination of
    labels (a handful of distinct combinations, however many tokens)."""

    units: dict[tuple[str, ...], Counter] = field(default_factory=dict)
    # Articles in which one annotator's spans overlap: their units still count for kappa
    # and alpha, but token F1 needs the (label, token) bags there.
    bag_units: dict[tuple[str, ...], Counter] = field(default_factory=dict)
    bag_f1: F1Tally = field(default_factory=F1Tally)
    documents: Counter = field(default_factory=Counter)

    def add(
        self,
        text: str,
        keys: Mapping[str, Iterable[SpanKey]],
        pairs: Sequence[tuple[str, str]],
        tokens: OffsetTokens | Sequence[tuple[int, int]] | None = None,
    ) -> dict[tuple[str, str], tuple[int, int, int]]:
        """Add one article, each annotator's spans given as (start, end, label), over its
        ``tokens`` (default: its ``\\S+`` runs); returns each pair's token F1 counts
        (shared, a, b) in it."""
        names = tuple(sorted(keys))
        unit = unit_of(text, tokens)
        units = _units_by_extent(unit, names, keys)
        if units is None:  # one annotator's spans share a token
            return self._add_by_token(text, unit, names, keys, pairs)
        tally = self.units.setdefault(names, Counter())
        for combo, count in units.items():
            tally[combo] += count
        index = {name: i for i, name in enumerate(names)}
        counts: dict[tuple[str, str], tuple[int, int, int]] = {}
        for pair in pairs:
            self.documents[pair] += 1
            i, j = index[pair[0]], index[pair[1]]
            shared = a = b = 0
            for combo, count in units.items():
                x, y = combo[i], combo[j]
                if x != OUTSIDE:
                    a += count
                    if x == y:
                        shared += count
                if y != OUTSIDE:
                    b += count
            counts[pair] = (shared, a, b)
        return counts

    def _add_by_token(
        self,
        text: str,
        unit: Unit,
        names: tuple[str, ...],
        keys: Mapping[str, Iterable[SpanKey]],
        pairs: Sequence[tuple[str, str]],
    ) -> dict[tuple[str, str], tuple[int, int, int]]:
        # Token by token, with each annotator's TokenView: needed when one annotator's
        # spans share tokens (the label priority and the (label, token) bags).
        cache: dict = {}
        views = {name: token_view(text, keys[name], cache, unit) for name in names}
        covered: set[int] = set()
        for view in views.values():
            covered.update(view.labels)
        order = list(covered)
        columns = [map(views[name].labels.get, order, repeat(OUTSIDE)) for name in names]
        plain = all(view.bag is None for view in views.values())
        tally = (self.units if plain else self.bag_units).setdefault(names, Counter())
        tally.update(zip(*columns, strict=True))
        outside = unit.count() - len(covered)
        if outside:
            tally[(OUTSIDE,) * len(names)] += outside
        counts: dict[tuple[str, str], tuple[int, int, int]] = {}
        for pair in pairs:
            self.documents[pair] += 1
            x, y = views[pair[0]], views[pair[1]]
            if plain:
                both = list(x.labels.keys() & y.labels.keys())
                shared = sum(
                    map(eq, map(x.labels.__getitem__, both), map(y.labels.__getitem__, both))
                )
                counts[pair] = (shared, len(x.labels), len(y.labels))
            else:
                bag_x, bag_y = x.full_bag(), y.full_bag()
                common = bag_x & bag_y
                self.bag_f1.add(
                    pair, _per_label(common), _per_label(bag_x), _per_label(bag_y), documents=0
                )
                counts[pair] = (
                    sum(common.values()),
                    sum(bag_x.values()),
                    sum(bag_y.values()),
                )
        return counts

    def merge(self, other: TokenTally) -> None:
        """Add another tally's counts to this one."""
        for source, target in ((other.units, self.units), (other.bag_units, self.bag_units)):
            for names, units in source.items():
                target.setdefault(names, Counter()).update(units)
        self.bag_f1.merge(other.bag_f1)
        self.documents.update(other.documents)

    def _confusions(
        self, source: dict[tuple[str, ...], Counter]
    ) -> tuple[dict[tuple[str, str], Counter], AlphaTally]:
        confusions: dict[tuple[str, str], Counter] = {}
        alpha = AlphaTally()
        for names, units in source.items():
            pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
            for unit, count in units.items():
                alpha.add(unit, count)
                for i, j in pairs:
                    confusion = confusions.setdefault((names[i], names[j]), Counter())
                    confusion[(unit[i], unit[j])] += count
        return confusions, alpha

    def figures(self) -> TokenFigures:
        """Kappa per pair and alpha over everything added."""
        plain, alpha = self._confusions(self.units)
        bagged, bag_alpha = self._confusions(self.bag_units)
        alpha.merge(bag_alpha)
        kappas = []
        for pair in sorted(plain.keys() | bagged.keys()):
            confusion = plain.get(pair, Counter()) + bagged.get(pair, Counter())
            kappa, observed, expected = cohen_kappa(confusion)
            pi = scott_pi(confusion)[0]
            kappas.append(Kappa(*pair, kappa, observed, expected, sum(confusion.values()), pi))
        return TokenFigures(tuple(kappas), alpha.alpha(), alpha.units)

    def f1_tally(self) -> F1Tally:
        """Token F1 counts per pair and label: from the label combinations where no spans
        of one annotator overlap, from the bags where they do."""
        plain, _ = self._confusions(self.units)
        tally = F1Tally()
        for pair in sorted(self.documents):
            shared: Counter = Counter()
            a: Counter = Counter()
            b: Counter = Counter()
            for (x, y), count in plain.get(pair, {}).items():
                if x != OUTSIDE:
                    a[x] += count
                if y != OUTSIDE:
                    b[y] += count
                if x == y != OUTSIDE:
                    shared[x] += count
            tally.add(pair, shared, a, b, documents=self.documents[pair])
        tally.merge(self.bag_f1)
        return tally


def _units_by_extent(
    unit: Unit, names: tuple[str, ...], keys: Mapping[str, Iterable[SpanKey]]
) -> dict[tuple[str, ...], int] | None:
    """How many tokens of the article got each combination of labels (one per annotator,
    in ``names`` order), or None when one annotator's spans share a token.

    Works span extent by span extent: where the annotators' spans do not cut across one
    another (the common case), all tokens of an extent share one combination, so nothing
    is done per token. Only a cluster of extents whose tokens overlap (a boundary
    disagreement) is resolved token by token.
    """
    m = len(names)
    rows: dict[tuple[int, int], list[str]] = {}
    for i, name in enumerate(names):
        for start, end, label in keys[name]:
            row = rows.get((start, end))
            if row is None:
                row = rows[(start, end)] = [OUTSIDE] * m
            elif row[i] != OUTSIDE:
                return None  # two labels on one extent
            row[i] = label
    extents = []
    token_range = unit.range
    for (start, end), row in rows.items():
        found = token_range(start, end)
        if found is not None:
            extents.append((*found, row, start, end))
    extents.sort(key=_FIRST_TWO)
    units: dict[tuple[str, ...], int] = {}
    placed = 0
    i = 0
    while i < len(extents):
        first, last, count, row, _, _ = extents[i]
        j = i + 1
        while j < len(extents) and extents[j][0] <= last:
            last = max(last, extents[j][1])
            j += 1
        if j == i + 1:
            combo = tuple(row)
            units[combo] = units.get(combo, 0) + count
            placed += count
        else:
            by_token: dict[int, list[str]] = {}
            for _, _, _, cluster_row, start, end in extents[i:j]:
                for token in unit.covering(start, end):
                    labels = by_token.get(token)
                    if labels is None:
                        by_token[token] = list(cluster_row)
                        continue
                    for k, label in enumerate(cluster_row):
                        if label != OUTSIDE:
                            if labels[k] != OUTSIDE:
                                return None  # one annotator labels this token twice
                            labels[k] = label
            for labels in by_token.values():
                combo = tuple(labels)
                units[combo] = units.get(combo, 0) + 1
            placed += len(by_token)
        i = j
    outside = unit.count() - placed
    if outside:
        combo = (OUTSIDE,) * m
        units[combo] = units.get(combo, 0) + outside
    return units


def _token_range(text: str, start: int, end: int) -> tuple[int, int, int] | None:
    """(start of the first token, start of the last token, number of tokens) of the
    tokens overlapping ``[start, end)``, or None when there are none; string methods
    only, no token list."""
    begin, segment = _stretch(text, start, end)
    pieces = segment.split()
    if not pieces:
        return None
    first = begin + len(segment) - len(segment.lstrip())
    last = begin + len(segment.rstrip()) - len(pieces[-1])
    return first, last, len(pieces)


_FIRST_TWO = itemgetter(0, 1)


def _per_label(bag: Counter[tuple[str, int]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for (label, _), count in bag.items():
        counts[label] += count
    return counts
