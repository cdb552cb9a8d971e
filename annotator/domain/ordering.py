"""Which unopened article to annotate first (`annotate --order uncertain`): the articles
whose suggestion sources disagree most, where an annotator's answer teaches the model most.

Why disagreement between sources, not a model score: spaCy's default ``ner`` (what
`annotator train` trains) gives no confidence per entity; ``beam_ner`` or a beam parse of a
greedy model would, at several times the cost of suggesting, and only for that one model.
Disagreement is counted from the suggestions already stored, for any pair of sources (the
pattern file against a trained model, a user's pretrained pipeline against either), at no
spaCy cost: the ordering is a database read.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

# A suggested span as the measure compares it: (start, end, label).
Key = tuple[int, int, str]

QUEUE = "queue"  # the queue as it is stored (the default)
UNCERTAIN = "uncertain"  # most disagreement between suggestion sources first
ORDERS = (QUEUE, UNCERTAIN)


def disagreement(by_source: Mapping[str, Collection[Key]]) -> float | None:
    """How much the sources that processed an article disagree: 1 minus the share of the
    spans any source suggested that every source suggested (exact start, end and label).

    A source that processed the article and found nothing counts (it says "no entity
    here"). 0.0 when all agree, also when none found anything; 1.0 when no span is shared;
    None with fewer than two sources (nothing to compare)."""
    if len(by_source) < 2:
        return None
    sets = [set(spans) for spans in by_source.values()]
    union = set().union(*sets)
    if not union:
        return 0.0
    shared = set.intersection(*sets)
    return 1.0 - len(shared) / len(union)


def uncertain_first(ids: Sequence[int], scores: Mapping[int, float | None]) -> list[int]:
    """``ids`` (in queue order) with the most disagreeing articles first; articles with
    equal disagreement, and those without a measure (counted as 0), keep their order."""
    return sorted(ids, key=lambda article_id: -(scores.get(article_id) or 0.0))
