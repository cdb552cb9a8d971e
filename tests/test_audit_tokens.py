from __future__ import annotations

import math
import re
import warnings
from collections import Counter

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.metrics.agreement import AnnotationTask
from sklearn.metrics import cohen_kappa_score

from annotator.audit.tokens import (
    AlphaTally,
    cohen_kappa,
    count_tokens,
    krippendorff_alpha,
    scott_pi,
    span_tokens,
    token_labels,
)
from annotator.domain.spans import Span

WHITESPACE = [" ", "  ", "\n", "\t", "\u00a0", "\u2003", "\x1c", "\r\n"]
words = st.text(alphabet="abcXYZé-.,'0", min_size=1, max_size=6)
texts = st.lists(st.tuples(words, st.sampled_from(WHITESPACE)), max_size=12).map(
    lambda parts: "".join(w + s for w, s in parts)
)


@settings(max_examples=300, deadline=None)
@given(texts, st.integers(0, 60), st.integers(0, 60))
def test_tokens_span_tokens_match_a_full_tokenisation(text, start, length):
    end = min(start + length, len(text))
    start = min(start, end)
    expected = [m.start() for m in re.finditer(r"\S+", text) if m.start() < end and m.end() > start]
    assert span_tokens(text, start, end) == expected
    assert count_tokens(text) == len(re.findall(r"\S+", text))


@pytest.mark.parametrize(
    ("spans", "labels"),
    [
        ([], ["O", "O", "O", "O"]),
        ([Span(0, 5, "PER")], ["PER", "O", "O", "O"]),
        ([Span(2, 9, "PER")], ["PER", "PER", "O", "O"]),  # a span covers every token it touches
        ([Span(6, 8, "X")], ["O", "O", "O", "O"]),  # only whitespace
        # overlapping spans of one annotator: the one starting first, then the longer
        ([Span(6, 20, "LOC"), Span(0, 11, "PER")], ["PER", "PER", "LOC", "LOC"]),
        ([Span(0, 5, "B"), Span(0, 11, "A"), Span(0, 11, "C")], ["A", "A", "O", "O"]),
    ],
)
def test_tokens_token_labels(spans, labels):
    assert token_labels("Bashar  Assad in\tIdlib", spans) == labels


# Artstein & Poesio (2008): (coder A's label, coder B's label) -> items.
ARTSTEIN_POESIO_TABLE_1 = {
    ("STAT", "STAT"): 20,
    ("IREQ", "STAT"): 20,
    ("STAT", "IREQ"): 10,
    ("IREQ", "IREQ"): 50,
}
ARTSTEIN_POESIO_SECOND = {
    ("STAT", "STAT"): 46,
    ("IREQ", "STAT"): 6,
    ("IREQ", "IREQ"): 32,
    ("IREQ", "CHCK"): 6,
    ("CHCK", "CHCK"): 10,
}  # fmt: skip


def test_tokens_kappa_reference_values():
    assert cohen_kappa(ARTSTEIN_POESIO_TABLE_1)[0] == pytest.approx(0.3478261, abs=1e-7)
    kappa, observed, _ = cohen_kappa(ARTSTEIN_POESIO_SECOND)
    assert kappa == pytest.approx(0.8013245, abs=1e-7)
    assert observed == pytest.approx(0.88)


def test_tokens_scott_pi_reference_value():
    pi, observed, expected = scott_pi(ARTSTEIN_POESIO_SECOND)
    assert pi == pytest.approx(0.7995322, abs=1e-7)
    assert observed == pytest.approx(0.88)
    assert scott_pi({("O", "O"): 40})[0] is None  # one shared label: undefined, as kappa
    assert scott_pi({}) == (None, None, None)


def test_tokens_alpha_reference_values():
    units = [[a, b] for (a, b), n in ARTSTEIN_POESIO_SECOND.items() for _ in range(n)]
    assert krippendorff_alpha(units) == pytest.approx(0.8005346, abs=1e-7)
    # Krippendorff's reliability data: 4 coders x 12 units, None = not coded.
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    columns = [[row[i] for row in data if row[i] is not None] for i in range(12)]
    assert krippendorff_alpha(columns) == pytest.approx(0.743421052632, abs=1e-12)
    # Three coders, yes/no, worse than chance (NLTK's test_disagreement.py).
    assert krippendorff_alpha([["YES", "NO", "NO"], ["YES", "NO"], ["NO"]]) == pytest.approx(-1 / 3)


@pytest.mark.parametrize(
    "pairs",
    [{("O", "O"): 40}, {("PER", "PER"): 3}, {}],
)
def test_tokens_kappa_undefined_when_one_shared_label(pairs):
    kappa, observed, _ = cohen_kappa(pairs)
    assert kappa is None
    assert observed == (1.0 if pairs else None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = [x for (x, _), n in pairs.items() for _ in range(n)] or ["O"]
        assert math.isnan(cohen_kappa_score(labels, labels))  # scikit-learn: undefined too


@pytest.mark.parametrize(
    "units",
    [[["O", "O"]] * 5, [["A"], ["B"]], []],
)
def test_tokens_alpha_undefined_without_variation_or_pairs(units):
    assert krippendorff_alpha(units) is None


def test_tokens_alpha_tally_adds_repeated_units_like_single_ones():
    one_by_one = AlphaTally()
    for _ in range(7):
        one_by_one.add(["A", "B", "A"])
    one_by_one.add(["B", "B"])
    at_once = AlphaTally()
    at_once.add(["A", "B", "A"], times=7)
    at_once.add(["B", "B"])
    assert one_by_one.alpha() == at_once.alpha()


labels = st.sampled_from(["O", "PER", "LOC", "ORG"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(labels, labels), min_size=1, max_size=60))
def test_tokens_kappa_matches_scikit_learn_and_nltk(items):
    a = [x for x, _ in items]
    b = [y for _, y in items]
    ours = cohen_kappa(Counter(items))[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = cohen_kappa_score(a, b)
    if math.isnan(expected):
        assert ours is None
    else:
        assert ours == pytest.approx(expected, abs=1e-9)
        task = AnnotationTask(
            data=[("a", str(i), x) for i, x in enumerate(a)]
            + [("b", str(i), y) for i, y in enumerate(b)]
        )
        assert ours == pytest.approx(task.kappa_pairwise("a", "b"), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(labels, labels), min_size=1, max_size=60))
def test_tokens_scott_pi_matches_nltk(items):
    ours = scott_pi(Counter(items))[0]
    task = AnnotationTask(
        data=[("a", str(i), x) for i, (x, _) in enumerate(items)]
        + [("b", str(i), y) for i, (_, y) in enumerate(items)]
    )
    if ours is None:
        assert {x for x, _ in items} | {y for _, y in items} == {items[0][0]}
    else:
        assert ours == pytest.approx(task.pi(), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.sampled_from([0, 1, 2])), min_size=3, max_size=3),
        min_size=1,
        max_size=30,
    )
)
def test_tokens_alpha_matches_krippendorff_and_nltk_with_missing_values(rows):
    units = [[v for v in row if v is not None] for row in rows]
    ours = krippendorff_alpha(units)
    pairable = [u for u in units if len(u) >= 2]
    values = {v for u in pairable for v in u}
    if len(values) < 2:
        assert ours is None
        return
    matrix = np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float).T
    expected = krippendorff.alpha(
        reliability_data=matrix, level_of_measurement="nominal", value_domain=[0, 1, 2]
    )
    assert ours == pytest.approx(expected, abs=1e-9)
    task = AnnotationTask(
        data=[
            (f"c{c}", str(i), str(v))
            for i, row in enumerate(rows)
            for c, v in enumerate(row)
            if v is not None
        ]
    )
    assert ours == pytest.approx(task.alpha(), abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(texts, st.integers(0, 60), st.integers(0, 60))
def test_tokens_token_range_matches_the_token_list(text, start, length):
    from annotator.audit.tokens import _token_range

    end = min(start + length, len(text))
    start = min(start, end)
    found = span_tokens(text, start, end)
    assert _token_range(text, start, end) == ((found[0], found[-1], len(found)) if found else None)


@st.composite
def offset_tokens(draw):
    """Sorted, disjoint, non-empty (start, end) tokens, with gaps between some."""
    cuts = sorted(draw(st.sets(st.integers(0, 80), max_size=20)))
    pairs = [(a, b) for a, b in zip(cuts[0::2], cuts[1::2], strict=False) if a < b]
    return pairs


@settings(max_examples=300, deadline=None)
@given(offset_tokens(), st.integers(0, 90), st.integers(0, 30))
def test_tokens_offset_tokens_cover_what_overlaps(pairs, start, length):
    from annotator.audit.tokens import OffsetTokens
    from annotator.domain.spans import pack_offsets

    end = start + length
    expected = [a for a, b in pairs if a < end and start < b]
    for unit in (OffsetTokens.from_pairs(pairs), OffsetTokens.from_packed(pack_offsets(pairs))):
        assert unit.covering(start, end) == expected
        assert unit.range(start, end) == (
            (expected[0], expected[-1], len(expected)) if expected else None
        )
        assert unit.count() == len(pairs)


def test_tokens_spacy_unit_splits_what_whitespace_joins():
    """The annotation was made on "Saraqib" and "." (spaCy's tokens); whitespace runs see
    one token "Saraqib." and call a disagreement on the full stop an agreement."""
    from annotator.audit.tokens import TokenTally

    text = "forces entered Saraqib."
    keys = {"ana": {(15, 22, "LOC")}, "ben": {(15, 23, "LOC")}}
    spacy_like = [(0, 6), (7, 14), (15, 22), (22, 23)]
    whitespace, spacy = TokenTally(), TokenTally()
    assert whitespace.add(text, keys, [("ana", "ben")]) == {("ana", "ben"): (1, 1, 1)}
    assert spacy.add(text, keys, [("ana", "ben")], spacy_like) == {("ana", "ben"): (1, 1, 2)}
    assert whitespace.figures().kappa[0].kappa == 1.0
    assert spacy.figures().kappa[0].tokens == 4
    assert spacy.figures().kappa[0].kappa < 1.0
    assert token_labels(text, [Span(15, 23, "LOC")], spacy_like) == ["O", "O", "LOC", "LOC"]
