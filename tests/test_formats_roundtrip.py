"""Round trips through the real database: import(export(db)) holds what db held, for what
each format can carry, over random texts (Unicode beyond ASCII, odd whitespace, empty
articles) and random spans (at the edges of the text too)."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from annotator.domain.spans import Span, Status
from annotator.domain.text import normalise_text
from annotator.nlp.tokens import token_offsets
from annotator.services.exporting import export_annotations
from annotator.services.importing import import_files
from tests.exchange import Annotation, Article, annotations_of, new_store, populate, suggestions_of

WORDS = [
    "Assad",
    "Idlib",
    "Ḥamā",
    "Алеппо",
    "الرقة",
    "東京",
    "naïve",
    "Cafe\u0301",
    "😀",
    "x",
    "-",
    ".",
    "'s",
    "«",
    "»",
    "U.N.",
    "2024-05-01",
    "[b]",
    "{",
    "\\",
    '"',
]
SEPARATORS = [" ", " ", " ", "  ", "\n", "\n\n", "\t", "\u00a0", "", " \u2028 "]
ANNOTATORS = ["ana", "bob", "zoé", "li.wei", "x@y.org"]
LABELS = ["PERSON", "LOC", "ORG_X", "LIEU_É"]
ODD = st.characters(exclude_categories=("Cs",), exclude_characters="\x00\r")

texts = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(WORDS), st.text(ODD, min_size=1, max_size=3)),
        st.sampled_from(SEPARATORS),
    ),
    max_size=10,
).map(lambda parts: normalise_text("".join(word + sep for word, sep in parts)))
titles = st.text(ODD, max_size=12).map(lambda t: normalise_text(t).strip())
metas = st.dictionaries(
    st.sampled_from(["n", "url", "tags"]),
    st.one_of(
        st.integers(-5, 5),
        st.text(ODD, max_size=5),
        # NUL and lone surrogates are refused at import, by name (tests/test_formats_bounds.py)
        st.lists(
            st.text(
                st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=3
            ),
            max_size=2,
        ),
    ),
    max_size=2,
)
ARTICLE_FIELDS = ("title", "source", "external_id", "meta")
TOKENIZE = token_offsets("en")  # loaded here: spaCy's start-up must not run inside a strategy
slow = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def any_spans(text: str) -> st.SearchStrategy[list[Span]]:
    """Any non-empty ranges, overlapping or not, at the edges too."""
    if not text:
        return st.just([])
    edges = st.sampled_from([0, len(text)]) | st.integers(0, len(text))
    pair = st.tuples(edges, edges, st.sampled_from(LABELS)).filter(lambda t: t[0] != t[1])
    return st.lists(pair, max_size=4).map(
        lambda items: sorted({Span(min(a, b), max(a, b), label) for a, b, label in items})
    )


def layered_spans(text: str, ranges: list[tuple[int, int]]) -> st.SearchStrategy[list[Span]]:
    """Non-overlapping spans over consecutive runs of ``ranges`` (token or character ranges)
    that neither start nor end in whitespace."""
    usable = [i for i, (s, e) in enumerate(ranges) if not text[s:e].isspace()]
    if not usable:
        return st.just([])

    @st.composite
    def build(draw):
        cuts = sorted(draw(st.lists(st.sampled_from(usable), max_size=6, unique=True)))
        spans = []
        for first, last in zip(cuts[0::2], cuts[1::2], strict=False):
            start, end = ranges[first][0], ranges[last][1]
            if text[start].isspace() or text[end - 1].isspace():
                continue
            spans.append(Span(start, end, draw(st.sampled_from(LABELS))))
        if len(cuts) % 2:
            single = ranges[cuts[-1]]
            if not spans or single[0] >= spans[-1].end:
                if not (text[single[0]].isspace() or text[single[1] - 1].isspace()):
                    spans.append(Span(single[0], single[1], draw(st.sampled_from(LABELS))))
        return spans

    return build()


@st.composite
def corpora(draw, *, statuses, spans="any", one_annotator_per_article=False):
    """(articles, annotations) with unique texts; ``spans``: any, tokens (spaCy-aligned,
    one layer) or chars (one layer, any character boundaries)."""
    unique = list(dict.fromkeys(draw(st.lists(texts, min_size=1, max_size=4))))
    articles = [
        Article(
            text=text,
            title=draw(titles),
            source=f"src-{i}.txt",
            meta=draw(metas),
            external_id=draw(st.none() | st.just(f"id-{i}")),
        )
        for i, text in enumerate(unique)
    ]
    annotations = []
    for index, article in enumerate(articles):
        size = 1 if one_annotator_per_article else 3
        for name in draw(
            st.lists(st.sampled_from(ANNOTATORS), min_size=1, max_size=size, unique=True)
        ):
            if spans == "tokens":
                strategy = layered_spans(article.text, TOKENIZE(article.text))
            elif spans == "chars":
                strategy = layered_spans(
                    article.text, [(i, i + 1) for i in range(len(article.text))]
                )
            else:
                strategy = any_spans(article.text)
            annotations.append(
                Annotation(index, name, draw(strategy), draw(st.sampled_from(statuses)))
            )
    return articles, annotations


@contextmanager
def _round_trip(fmt, articles, annotations, export=None, imports=None, suggestions=None):
    """Export ``fmt`` from a database holding the corpus and import it into a fresh one;
    yield both stores."""
    with tempfile.TemporaryDirectory(prefix="roundtrip-") as tmp:
        folder = Path(tmp)
        first = new_store(folder, "first.db")
        second = new_store(folder, "second.db")
        try:
            populate(first, articles, annotations, suggestions)
            report = export_annotations(first, fmt=fmt, out=folder / f"out-{fmt}", **(export or {}))
            import_files(second, [report.out], fmt=fmt, **(imports or {}))
            yield first, second
        finally:
            first.dispose()
            second.dispose()


FINISHED = [Status.DONE, Status.SKIPPED, Status.FLAGGED]
EVERY = [*FINISHED, Status.IN_PROGRESS]


@slow
@given(corpora(statuses=FINISHED))
def test_formats_prodigy_round_trip(corpus):
    with _round_trip("prodigy", *corpus, export={"status": "all"}) as (first, second):
        view = {"article_fields": ARTICLE_FIELDS}
        assert annotations_of(second, **view) == annotations_of(first, **view)


@slow
@given(corpora(statuses=EVERY))
def test_formats_doccano_round_trip_of_done_annotations(corpus):
    assume(any(a.status is Status.DONE for a in corpus[1]))
    with _round_trip("doccano", *corpus) as (first, second):
        view = {"article_fields": ARTICLE_FIELDS}
        assert annotations_of(second, **view) == annotations_of(
            first, statuses={Status.DONE}, **view
        )


@slow
@given(corpora(statuses=[Status.DONE, Status.SKIPPED]), st.data())
def test_formats_label_studio_round_trip_with_predictions(corpus, data):
    articles, annotations = corpus
    annotated = sorted({a.article for a in annotations})
    suggestions = {
        (index, source): data.draw(any_spans(articles[index].text))
        for index in annotated
        for source in data.draw(st.lists(st.sampled_from(["model-a", "patterns"]), unique=True))
    }
    with _round_trip(
        "label-studio", articles, annotations, export={"status": "all"}, suggestions=suggestions
    ) as (first, second):
        view = {"article_fields": ARTICLE_FIELDS}
        assert annotations_of(second, **view) == annotations_of(first, **view)
        assert suggestions_of(second) == suggestions_of(first)


@slow
@given(corpora(statuses=EVERY))
def test_formats_brat_round_trip_of_done_annotations(corpus):
    assume(any(a.status is Status.DONE for a in corpus[1]))
    with _round_trip("brat", *corpus) as (first, second):
        assert annotations_of(second) == annotations_of(first, statuses={Status.DONE})


@slow
@given(corpora(statuses=EVERY, spans="tokens", one_annotator_per_article=True))
def test_formats_spacy_round_trip(corpus):
    with _round_trip("spacy", *corpus, export={"status": "all", "split": 0.5}) as (first, second):
        view = {"article_fields": ARTICLE_FIELDS}
        assert annotations_of(second, **view) == annotations_of(first, **view)


@slow
@given(corpora(statuses=[Status.DONE], one_annotator_per_article=True), st.data())
def test_formats_spacy_spans_key_round_trip_keeps_overlaps(corpus, data):
    articles, annotations = corpus
    for annotation in annotations:
        text = articles[annotation.article].text
        tokens = TOKENIZE(text)
        pairs = st.tuples(
            st.integers(0, max(len(tokens) - 1, 0)), st.integers(0, max(len(tokens) - 1, 0))
        )
        chosen = data.draw(st.lists(pairs, max_size=4)) if tokens else []
        annotation.spans = sorted(
            {
                Span(tokens[min(a, b)][0], tokens[max(a, b)][1], data.draw(st.sampled_from(LABELS)))
                for a, b in chosen
            }
        )
    with _round_trip("spacy", articles, annotations, export={"spans_key": "sc"}) as (first, second):
        assert annotations_of(second) == annotations_of(first)


def _projection(store) -> set[tuple]:
    """What CoNLL carries of each annotation: the text's non-space characters, and each span
    as (non-space characters before it, non-space characters in it, label)."""
    result = set()
    for text, _, status, spans in annotations_of(store):

        def count(s: str) -> int:
            return sum(not c.isspace() for c in s)

        result.add(
            (
                "".join(text.split()),
                status,
                tuple(sorted((count(text[:a]), count(text[a:b]), label) for a, b, label in spans)),
            )
        )
    return result


def _distinct_projections(corpus) -> bool:
    articles, _ = corpus
    return len({"".join(a.text.split()) for a in articles}) == len(articles)


@slow
@given(
    corpora(statuses=[Status.DONE], spans="chars", one_annotator_per_article=True).filter(
        _distinct_projections
    )
)
def test_formats_conll_round_trip_keeps_characters_spans_and_labels(corpus):
    with _round_trip("conll", *corpus, imports={"annotator": "conll"}) as (first, second):
        assert _projection(second) == _projection(first)


@pytest.mark.parametrize("fmt", ["prodigy", "doccano", "label-studio", "brat", "conll", "spacy"])
def test_formats_round_trip_of_empty_article_and_spans_at_both_edges(fmt):
    text = "Idlib is shelled by Assad"
    articles = [Article(text, title="T", source="s.txt"), Article("", source="e.txt")]
    annotations = [
        Annotation(0, "ana", [Span(0, 5, "LOC"), Span(20, 25, "PERSON")]),
        Annotation(1, "ana", []),
    ]
    with _round_trip(
        fmt, articles, annotations, imports={"annotator": "ana"} if fmt == "conll" else None
    ) as (first, second):
        assert annotations_of(second) == annotations_of(first)
        assert ("", "ana", Status.DONE, ()) in annotations_of(second)
