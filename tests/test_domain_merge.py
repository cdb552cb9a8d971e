"""How suggestions of several sources become the pending spans of an annotation."""

from __future__ import annotations

from annotator.domain.spans import Origin, Span, seed_suggestions, tidy_suggestion
from annotator.services.annotating import AnnotationSession
from annotator.store.engine import open_store
from annotator.store.fastpath import first_article
from annotator.store.models import Article, SuggestionRun
from annotator.store.models import Suggestion as SuggestionRow

TEXT = "Fighters of the Free Idleb Army shelled Idleb Countryside\n\nOpposition groups said."
ARMY = TEXT.index("Free Idleb Army")
COUNTRY = TEXT.index("Idleb Countryside")


def _s(start: int, end: int, label: str, source: str) -> Span:
    return Span(start, end, label, Origin.SUGGESTED, (source,))


def test_merge_tidy_cuts_at_a_line_break_and_drops_a_leading_the():
    crossing = _s(COUNTRY, TEXT.index("groups") - 1, "LOCATION", "model:x@1")
    assert tidy_suggestion(crossing, TEXT).key == (COUNTRY, COUNTRY + 17, "LOCATION")
    the_army = _s(ARMY - 4, ARMY + 15, "ORG", "model:x@1")
    assert tidy_suggestion(the_army, TEXT).key == (ARMY, ARMY + 15, "ORG")
    assert tidy_suggestion(_s(ARMY - 4, ARMY - 1, "ORG", "m"), TEXT).key == (
        ARMY - 4,
        ARMY - 1,
        "ORG",
    )
    assert tidy_suggestion(_s(COUNTRY + 17, COUNTRY + 19, "ORG", "m"), TEXT) is None  # "\n\n"


def test_merge_prefers_pattern_spans_over_model_spans_where_they_overlap():
    model = _s(ARMY - 4, ARMY + 15, "ORG", "model:x@1")  # "the Free Idleb Army"
    pattern = _s(ARMY + 5, ARMY + 10, "LOCATION", "patterns:abc")  # "Idleb" inside it
    group = _s(ARMY, ARMY + 15, "ARMED_GROUP", "patterns:abc")
    assert seed_suggestions([model, pattern], [], TEXT) == [Span(ARMY + 5, ARMY + 10, "LOCATION")]
    chosen = seed_suggestions([model, pattern, group], [], TEXT)
    assert [s.key for s in chosen] == [(ARMY, ARMY + 15, "ARMED_GROUP")]  # longest pattern first
    assert all(s.origin is Origin.SUGGESTED and s.sources == () for s in chosen)
    # without the text (the old way) nothing is cut, but patterns still come first
    assert [s.key for s in seed_suggestions([model, group], [])] == [
        (ARMY, ARMY + 15, "ARMED_GROUP")
    ]


def test_merge_model_span_tidied_then_kept_when_nothing_better_overlaps_and_taken_spans_win():
    model = _s(ARMY - 4, ARMY + 15, "ORG", "model:x@1")
    assert [s.key for s in seed_suggestions([model], [], TEXT)] == [(ARMY, ARMY + 15, "ORG")]
    taken = [Span(ARMY + 5, ARMY + 10, "LOCATION", Origin.ACCEPTED)]
    assert seed_suggestions([model], taken, TEXT) == []


def test_merge_fast_path_shows_exactly_what_the_full_path_seeds(tmp_path):
    db = tmp_path / "merge.db"
    store = open_store(db)
    from annotator.domain.text import content_hash

    rows = [
        (ARMY - 4, ARMY + 15, "ORG", "model:x@1"),
        (ARMY + 5, ARMY + 10, "LOCATION", "patterns:abc"),
        (COUNTRY, TEXT.index("groups") - 1, "LOCATION", "model:x@1"),
        (0, 8, "PERSON", "model:x@1"),
    ]
    with store.write() as session:
        article = Article(content_hash=content_hash(TEXT), text=TEXT, title="t", source="test")
        session.add(article)
        session.flush()
        for start, end, label, source in rows:
            session.add(
                SuggestionRow(
                    article_id=article.id, source=source, start=start, end=end, label=label
                )
            )
        for source in ("model:x@1", "patterns:abc"):
            session.add(SuggestionRun(article_id=article.id, source=source, count=2))
    store.dispose()
    fast = first_article(str(db), "ana")
    session = AnnotationSession(open_store(db), "ana")
    full = session.load(session.next_article_id())
    expected = [
        (0, 8, "PERSON"),
        (ARMY + 5, ARMY + 10, "LOCATION"),
        (COUNTRY, COUNTRY + 17, "LOCATION"),
    ]
    assert [s.key for s in full.spans] == expected
    assert fast.spans == full.spans
    assert [s.origin for s in fast.spans] == [s.origin for s in full.spans]
