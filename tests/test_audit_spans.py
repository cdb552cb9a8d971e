from __future__ import annotations

from itertools import permutations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.audit.spans import (
    DisagreementKind,
    classify,
    compare_spans,
    relaxed_matches,
    unique_spans,
)
from annotator.domain.spans import Origin, Span

SAME = DisagreementKind.SAME_EXTENT_DIFFERENT_LABEL
OVERLAP = DisagreementKind.OVERLAPPING_DIFFERENT_EXTENT
ALONE = DisagreementKind.ONE_SIDE_ONLY


@pytest.mark.parametrize(
    ("a", "b", "kinds"),
    [
        ([Span(0, 5, "PER")], [Span(0, 5, "PER")], []),
        ([Span(0, 5, "PER")], [Span(0, 5, "ORG")], [SAME]),
        ([Span(0, 5, "PER")], [Span(0, 9, "PER")], [OVERLAP]),
        ([Span(0, 5, "PER")], [Span(3, 9, "ORG")], [OVERLAP]),
        ([Span(0, 5, "PER")], [], [ALONE]),
        ([], [Span(6, 9, "LOC")], [ALONE]),
        ([Span(0, 5, "PER")], [Span(5, 9, "PER")], [ALONE, ALONE]),  # touching is not overlapping
        # identical spans are taken first; what is left pairs by extent, then by overlap
        (
            [Span(0, 5, "PER"), Span(0, 5, "ORG"), Span(10, 20, "LOC")],
            [Span(0, 5, "PER"), Span(0, 5, "LOC"), Span(12, 15, "LOC"), Span(30, 31, "X")],
            [SAME, OVERLAP, ALONE],
        ),
    ],
)
def test_spans_disagreement_kinds(a, b, kinds):
    comparison = compare_spans(a, b, "ana", "ben")
    assert sorted(d.kind for d in comparison.disagreements) == sorted(kinds)
    assert all(d.a == "ana" and d.b == "ben" for d in comparison.disagreements)


def test_spans_overlap_prefers_same_label_then_larger_overlap():
    a = [Span(0, 10, "PER")]
    b = [Span(3, 10, "ORG"), Span(0, 5, "PER")]
    [overlap, alone] = sorted(compare_spans(a, b).disagreements, key=lambda d: d.kind != OVERLAP)
    assert overlap.kind is OVERLAP and overlap.b_span == Span(0, 5, "PER")
    assert alone.kind is ALONE and alone.b_span == Span(3, 10, "ORG")


def test_spans_counts_exact_and_relaxed_per_label():
    a = [Span(0, 5, "PER"), Span(10, 20, "LOC"), Span(30, 35, "ORG")]
    b = [Span(0, 5, "PER"), Span(12, 22, "LOC"), Span(30, 35, "PER")]
    comparison = compare_spans(a, b)
    assert comparison.exact == {"PER": 1}
    assert comparison.relaxed == {"PER": 1, "LOC": 1}
    assert comparison.a_counts == {"PER": 1, "LOC": 1, "ORG": 1}
    assert comparison.b_counts == {"PER": 2, "LOC": 1}


def test_spans_duplicates_count_once_and_origin_does_not_matter():
    a = [Span(0, 5, "PER", Origin.ACCEPTED), Span(0, 5, "PER", Origin.MANUAL)]
    b = [Span(0, 5, "PER", Origin.EDITED)]
    comparison = compare_spans(a, b)
    assert comparison.a_counts == {"PER": 1} and comparison.exact == {"PER": 1}
    assert comparison.disagreements == ()


def test_spans_relaxed_matching_is_maximal_where_greedy_is_not():
    # b[0] overlaps both a-spans; taking it for a[0] (first come) would leave a[1] alone.
    a = [Span(0, 10, "L"), Span(8, 12, "L")]
    b = [Span(9, 11, "L"), Span(2, 4, "L")]
    assert relaxed_matches(a, b) == 2


def test_spans_relaxed_may_rematch_an_identical_pair():
    # Both have [5, 7); matching those two to each other leaves [0, 6) and [6, 10) alone
    # (they only touch), matching crosswise pairs all four.
    a = [Span(5, 7, "L"), Span(0, 6, "L")]
    b = [Span(5, 7, "L"), Span(6, 10, "L")]
    assert relaxed_matches(a, b) == 2
    assert compare_spans(a, b).relaxed == {"L": 2}


def _brute_force_matching(a: list[Span], b: list[Span]) -> int:
    best = 0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    for chosen in permutations(range(len(large)), len(small)):
        best = max(best, sum(1 for i, j in enumerate(chosen) if small[i].overlaps(large[j])))
    return best


spans_strategy = st.lists(
    st.builds(
        lambda start, length, label: Span(start, start + length, label),
        st.integers(0, 30),
        st.integers(1, 8),
        st.sampled_from(["A", "B", "C"]),
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(spans_strategy, spans_strategy)
def test_spans_relaxed_matching_equals_brute_force(a, b):
    a = list(unique_spans(a).values())
    b = list(unique_spans(b).values())
    assert relaxed_matches(a, b) == _brute_force_matching(a, b)


@settings(max_examples=300, deadline=None)
@given(spans_strategy, spans_strategy)
def test_spans_every_unmatched_span_is_in_exactly_one_disagreement(a, b):
    comparison = compare_spans(a, b)
    keys_a = {s.key for s in a}
    keys_b = {s.key for s in b}
    in_disagreements_a = [d.a_span.key for d in comparison.disagreements if d.a_span]
    in_disagreements_b = [d.b_span.key for d in comparison.disagreements if d.b_span]
    assert sorted(in_disagreements_a) == sorted(keys_a - keys_b)
    assert sorted(in_disagreements_b) == sorted(keys_b - keys_a)
    assert sum(comparison.exact.values()) == len(keys_a & keys_b)
    for label in comparison.a_counts.keys() | comparison.b_counts.keys():
        exact = comparison.exact.get(label, 0)
        relaxed = comparison.relaxed.get(label, 0)
        assert exact <= relaxed <= min(comparison.a_counts[label], comparison.b_counts[label])
    for d in comparison.disagreements:
        if d.kind is SAME:
            assert (d.a_span.start, d.a_span.end) == (d.b_span.start, d.b_span.end)
            assert d.a_span.label != d.b_span.label
        elif d.kind is OVERLAP:
            assert d.a_span.overlaps(d.b_span)
            assert (d.a_span.start, d.a_span.end) != (d.b_span.start, d.b_span.end)


def test_spans_classify_is_order_independent():
    a = [Span(10, 20, "LOC"), Span(0, 5, "PER")]
    b = [Span(0, 3, "PER"), Span(15, 25, "ORG")]
    assert classify(a, b) == classify(list(reversed(a)), list(reversed(b)))
