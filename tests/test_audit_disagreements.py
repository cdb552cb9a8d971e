from __future__ import annotations

import pytest

from annotator.audit.disagreements import (
    article_disagreements,
    rank,
    review_queue,
    review_score,
)
from annotator.audit.documents import DocAnnotations
from annotator.audit.spans import DisagreementKind
from annotator.domain.spans import Span

TEXT = "Assad met Erdogan in Idlib on Monday"


def test_disagreements_article_detail_for_review():
    doc = DocAnnotations(
        TEXT,
        {
            "ana": [Span(0, 5, "PER"), Span(10, 17, "PER"), Span(21, 26, "LOC")],
            "ben": [Span(0, 5, "PER"), Span(10, 17, "ORG"), Span(21, 26, "LOC")],
            "cy": [Span(0, 5, "PER"), Span(21, 26, "LOC"), Span(30, 36, "DATE")],
        },
        "Meeting",
    )
    item = article_disagreements(7, doc)
    assert item.figures.doc_id == 7 and item.figures.title == "Meeting"
    assert item.agreed == (Span(0, 5, "PER"), Span(21, 26, "LOC"))  # pre-accepted in review
    assert item.disputed == {
        "ana": (Span(10, 17, "PER"),),
        "ben": (Span(10, 17, "ORG"),),
        "cy": (Span(30, 36, "DATE"),),
    }
    kinds = [(d.kind, d.a, d.b) for d in item.disagreements]
    assert kinds == [  # in text order, then by pair
        (DisagreementKind.SAME_EXTENT_DIFFERENT_LABEL, "ana", "ben"),
        (DisagreementKind.ONE_SIDE_ONLY, "ana", "cy"),
        (DisagreementKind.ONE_SIDE_ONLY, "ben", "cy"),
        (DisagreementKind.ONE_SIDE_ONLY, "ana", "cy"),
        (DisagreementKind.ONE_SIDE_ONLY, "ben", "cy"),
    ]
    assert item.figures.counts == {
        DisagreementKind.SAME_EXTENT_DIFFERENT_LABEL: 1,
        DisagreementKind.OVERLAPPING_DIFFERENT_EXTENT: 0,
        DisagreementKind.ONE_SIDE_ONLY: 4,
    }
    assert item.figures.disagreements == 5
    assert item.document is doc


@pytest.mark.parametrize(
    ("values", "score"),
    [([1.0, 1.0], 0.0), ([0.5, None], 0.25), ([None], 0.0), ([0.0, 0.0, 0.0], 1.0), ([], 0.0)],
)
def test_disagreements_review_score(values, score):
    assert review_score(values) == pytest.approx(score)


def _doc(a: list[Span], b: list[Span]) -> DocAnnotations:
    return DocAnnotations(TEXT, {"ana": a, "ben": b})


def test_disagreements_ranking_worst_first_and_agreeing_articles_left_out():
    docs = {
        1: _doc([Span(0, 5, "PER")], [Span(0, 5, "PER")]),  # full agreement
        2: _doc([Span(0, 5, "PER"), Span(21, 26, "LOC")], [Span(0, 5, "PER")]),  # F1 2/3
        3: _doc([Span(0, 5, "PER")], [Span(0, 5, "ORG")]),  # F1 0
        4: _doc([Span(10, 17, "PER"), Span(21, 26, "LOC")], [Span(10, 17, "PER")]),  # F1 2/3
        5: _doc([Span(0, 5, "PER")], [Span(0, 5, "LOC"), Span(21, 26, "LOC")]),  # F1 0, 2 kinds
    }
    queue = review_queue(docs)
    assert [item.figures.doc_id for item in queue] == [5, 3, 2, 4]
    assert [f.doc_id for f in rank(item.figures for item in queue)] == [5, 3, 2, 4]


def test_disagreements_review_queue_skips_articles_with_one_annotator():
    docs = {1: DocAnnotations(TEXT, {"ana": [Span(0, 5, "PER")]})}
    assert review_queue(docs) == []
