"""Per-article disagreements and a score that ranks articles worst first, for review."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from annotator.audit.documents import (
    DocAnnotations,
    DocId,
    Documents,
    annotator_pairs,
    iter_documents,
)
from annotator.audit.figures import Summary, f1, summarise
from annotator.audit.spans import (
    Disagreement,
    DisagreementKind,
    PairComparison,
    SpanKey,
    compare_spans,
    label_counts,
    unique_spans,
)
from annotator.audit.tokens import TokenTally
from annotator.domain.spans import Span


@dataclass(frozen=True, slots=True)
class ArticleFigures:
    """One article's agreement: pairwise F1 (mean and SD over its annotator pairs),
    disagreement counts by kind (summed over pairs), and its review score."""

    doc_id: DocId
    title: str
    annotators: tuple[str, ...]
    f1: Summary
    relaxed: Summary
    token_f1: Summary | None
    counts: dict[DisagreementKind, int]
    score: float

    @property
    def disagreements(self) -> int:
        """How many disagreements the article has, all kinds, all pairs."""
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class ArticleDisagreements:
    """What a reviewer needs for one article: its figures, each disagreement, the spans
    every annotator agrees on (to pre-accept), and each annotator's other spans."""

    figures: ArticleFigures
    document: DocAnnotations
    disagreements: tuple[Disagreement, ...]
    agreed: tuple[Span, ...]
    disputed: dict[str, tuple[Span, ...]]


def review_score(pair_f1: Iterable[float | None]) -> float:
    """1 - mean exact F1 over the article's pairs, 0 (full agreement) to 1 (none).

    For ranking only, a pair in which neither annotator marked anything agrees fully.
    """
    values = [1.0 if value is None else value for value in pair_f1]
    return 1.0 - sum(values) / len(values) if values else 0.0


def compare_article(
    doc: DocAnnotations,
    keyed: dict[str, dict[SpanKey, Span]] | None = None,
    counts: dict[str, Counter[str]] | None = None,
) -> dict[tuple[str, str], PairComparison]:
    """compare_spans for every pair of the article's annotators (``keyed`` and ``counts``:
    each annotator's unique_spans and label_counts, when the caller has them already)."""
    if keyed is None:
        keyed = {name: unique_spans(spans) for name, spans in doc.spans.items()}
    if counts is None:
        counts = {name: label_counts(keys) for name, keys in keyed.items()}
    return {
        (a, b): compare_spans(keyed[a], keyed[b], a, b, counts[a], counts[b])
        for a, b in annotator_pairs(keyed)
    }


def article_figures(
    doc_id: DocId,
    doc: DocAnnotations,
    comparisons: dict[tuple[str, str], PairComparison],
    token_counts: dict[tuple[str, str], tuple[int, int, int]] | None = None,
) -> ArticleFigures:
    """The ArticleFigures of an article from its pair comparisons (and token F1 counts)."""
    exact_values: list[float | None] = []
    relaxed_values: list[float | None] = []
    counts = dict.fromkeys(DisagreementKind, 0)
    for comparison in comparisons.values():
        total = comparison.a_counts.total() + comparison.b_counts.total()
        exact = comparison.exact.total()
        exact_values.append(2 * exact / total if total else None)
        if comparison.found:
            relaxed = comparison.relaxed.total()
            relaxed_values.append(2 * relaxed / total)
            for kind, _, _ in comparison.found:
                counts[kind] += 1
        else:
            relaxed_values.append(exact_values[-1])
    token_f1 = None
    if token_counts is not None:
        token_f1 = summarise(f1(*token_counts[pair]) for pair in comparisons)
    return ArticleFigures(
        doc_id=doc_id,
        title=doc.title,
        annotators=doc.annotators,
        f1=summarise(exact_values),
        relaxed=summarise(relaxed_values),
        token_f1=token_f1,
        counts=counts,
        score=review_score(exact_values),
    )


def article_disagreements(doc_id: DocId, doc: DocAnnotations) -> ArticleDisagreements:
    """Every disagreement of one article between each pair of its annotators, in text order."""
    comparisons = compare_article(doc)
    found = sorted(
        (d for c in comparisons.values() for d in c.disagreements),
        key=lambda d: (d.start, d.end, d.a, d.b),
    )
    keyed = {name: unique_spans(spans) for name, spans in doc.spans.items()}
    common = set.intersection(*(set(k) for k in keyed.values())) if keyed else set()
    first = keyed[doc.annotators[0]] if keyed else {}
    agreed = tuple(first[key] for key in sorted(common))  # as the first annotator has them
    disputed = {
        name: tuple(spans[key] for key in sorted(key for key in spans if key not in common))
        for name, spans in sorted(keyed.items())
    }
    token_counts = TokenTally().add(doc.text, keyed, list(comparisons), doc.tokens)
    return ArticleDisagreements(
        figures=article_figures(doc_id, doc, comparisons, token_counts),
        document=doc,
        disagreements=tuple(found),
        agreed=agreed,
        disputed=disputed,
    )


def rank(figures: Iterable[ArticleFigures]) -> list[ArticleFigures]:
    """Articles with at least one disagreement, worst first: highest score, then most
    disagreements; ties keep their input order."""
    return sorted(
        (f for f in figures if f.disagreements),
        key=lambda f: (-f.score, -f.disagreements),
    )


def _badness(figures: ArticleFigures) -> tuple[float, int]:
    return -figures.score, -figures.disagreements


def worst(figures: Iterable[ArticleFigures], n: int | None) -> tuple[list[ArticleFigures], int]:
    """(the ``n`` worst articles as rank() orders them, how many have a disagreement),
    reading ``figures`` once and keeping only ``n`` of them (all with None)."""
    if n is None:
        found = rank(figures)
        return found, len(found)
    count = 0

    def disagreeing() -> Iterable[ArticleFigures]:
        nonlocal count
        for f in figures:
            if f.disagreements:
                count += 1
                yield f

    chosen = heapq.nsmallest(n, disagreeing(), key=_badness)  # stable, as sorted() is
    return chosen, count


def review_queue(docs: Documents) -> list[ArticleDisagreements]:
    """Every article with a disagreement, with all its detail, worst first."""
    found = [
        article_disagreements(doc_id, doc)
        for doc_id, doc in iter_documents(docs)
        if len(doc.spans) >= 2
    ]
    order = {id(f): i for i, f in enumerate(rank(a.figures for a in found))}
    return sorted((a for a in found if id(a.figures) in order), key=lambda a: order[id(a.figures)])
