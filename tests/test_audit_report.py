from __future__ import annotations

import json
import math
import re
import warnings
from collections import Counter
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from annotator.audit.documents import DocAnnotations
from annotator.audit.report import (
    CONVENTIONS,
    CSV_HEADER,
    measure_agreement,
    new_tally,
    to_json,
    to_rows,
)
from annotator.audit.spans import DisagreementKind
from annotator.domain.spans import Span
from tests.conftest import FIXTURES, need

BRAT = FIXTURES / "multi-annotator-brat"


def load_brat_project(root: Path) -> dict[str, DocAnnotations]:
    """A bratiaa project (one folder per annotator) imported by the real brat importer
    into a fresh database, read back as the measures' input, keyed by document name."""
    import tempfile

    from sqlalchemy import select

    from annotator.services.agreement import documents
    from annotator.services.importing import import_files
    from annotator.store.engine import open_store
    from annotator.store.models import Article

    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "brat.db")
        import_files(store, [root], fmt="brat")
        with store.read() as session:
            names = {a.id: a.external_id for a in session.scalars(select(Article))}
            docs = {names[doc_id]: doc for doc_id, doc in documents(session)}
        store.dispose()
    return {name: DocAnnotations(doc.text, doc.spans, name) for name, doc in sorted(docs.items())}


@pytest.fixture(scope="module")
def example_project():
    return measure_agreement(load_brat_project(need(BRAT / "example-project")))


# bratiaa's published regression values (fixtures README and bratiaa's test suite).
LABELS = {
    "LOC": (0.8191061, 0.13102913),
    "MISC": (0.84004593, 0.08971284),
    "ORG": (0.9059579, 0.05325575),
    "PER": (0.93782234, 0.03875493),
}
DOCUMENTS = {
    "esp.train-doc-100": (0.79807203, 0.1669697),
    "esp.train-doc-1400": (0.89395898, 0.03874385),
    "esp.train-doc-29": (0.90550807, 0.07164957),
    "esp.train-doc-423": (0.90580505, 0.03713651),
    "esp.train-doc-46": (0.93571596, 0.0232565),
    "esp.train-doc-503": (0.90673964, 0.05167786),
    "esp.train-doc-896": (0.87339767, 0.06287414),
}
TOKEN_LABELS = {
    "LOC": (0.963268, 0.012501),
    "MISC": (0.918178, 0.044941),
    "ORG": (0.972434, 0.015136),
    "PER": (0.982987, 0.006485),
}
TOKEN_DOCUMENTS = {
    "esp.train-doc-100": (0.971772, 0.008875),
    "esp.train-doc-1400": (0.945131, 0.033929),
    "esp.train-doc-29": (0.927706, 0.046871),
    "esp.train-doc-423": (0.942524, 0.035116),
    "esp.train-doc-46": (0.973579, 0.01296),
    "esp.train-doc-503": (0.976562, 0.009569),
    "esp.train-doc-896": (0.951711, 0.019581),
}


def test_report_brat_fixture_overall(example_project):
    assert example_project.annotators == ("Lisa", "Maria", "Max", "Peter")
    assert example_project.documents == 7
    assert example_project.labels == ("LOC", "MISC", "ORG", "PER")
    assert example_project.exact.overall.mean == pytest.approx(0.8903501, abs=1e-7)
    assert example_project.exact.overall.sd == pytest.approx(0.0526314, abs=1e-7)
    assert example_project.exact.overall.n == 6


@pytest.mark.parametrize(("label", "expected"), LABELS.items())
def test_report_brat_fixture_per_label(example_project, label, expected):
    summary = example_project.exact.labels[label]
    assert (summary.mean, summary.sd) == pytest.approx(expected, abs=1e-7)


@pytest.mark.parametrize(("doc_id", "expected"), DOCUMENTS.items())
def test_report_brat_fixture_per_document(example_project, doc_id, expected):
    [article] = [a for a in example_project.articles if a.doc_id == doc_id]
    assert (article.f1.mean, article.f1.sd) == pytest.approx(expected, abs=1e-7)


def test_report_brat_fixture_token_level(example_project):
    assert example_project.token_f1.overall.mean == pytest.approx(0.9639787, abs=1e-7)
    assert example_project.token_f1.overall.sd == pytest.approx(0.01498979, abs=1e-7)
    for label, expected in TOKEN_LABELS.items():
        summary = example_project.token_f1.labels[label]
        assert (summary.mean, summary.sd) == pytest.approx(expected, abs=1e-6)
    for article in example_project.articles:
        expected = TOKEN_DOCUMENTS[article.doc_id]
        assert (article.token_f1.mean, article.token_f1.sd) == pytest.approx(expected, abs=1e-6)


def test_report_brat_fixture_lisa_and_maria(example_project):
    [pair] = [p for p in example_project.exact.pairs if (p.a, p.b) == ("Lisa", "Maria")]
    assert (pair.a_spans, pair.b_spans, pair.shared) == (404, 404, 382)
    assert pair.f1 == pytest.approx(0.9455446, abs=1e-7)


def test_report_brat_fixture_agree_2():
    report = measure_agreement(load_brat_project(need(BRAT / "agree-2")))
    [pair] = report.exact.pairs
    assert pair.f1 == pytest.approx(26 / 33)
    assert report.exact.overall.sd == 0.0


def doc_tokens(doc: DocAnnotations) -> list[tuple[int, int]]:
    """The unit the measures must use for ``doc``: its given tokens, else its \\S+ runs."""
    if doc.tokens is not None:
        return list(doc.tokens)
    return [m.span() for m in re.finditer(r"\S+", doc.text)]


def spacy_tokens(text: str) -> list[tuple[int, int]]:
    """spaCy's English tokens of ``text``, whitespace tokens left out (as stored)."""
    import spacy

    nlp = SPACY.get("en") or SPACY.setdefault("en", spacy.blank("en"))
    return [(t.idx, t.idx + len(t)) for t in nlp.make_doc(text) if not t.is_space]


SPACY: dict = {}


def _token_matrix(docs: dict, people: list[str]) -> tuple[list[list[str | None]], list[str]]:
    """Per token of every document, each annotator's label (None: did not do it), computed
    independently of the audit code: every token against every span."""
    rows: list[list[str | None]] = []
    for doc in docs.values():
        for start, end in doc_tokens(doc):
            row: list[str | None] = []
            for person in people:
                if person not in doc.spans:
                    row.append(None)
                    continue
                covering = [s for s in doc.spans[person] if s.start < end and start < s.end]
                best = min(covering, key=lambda s: (s.start, -s.end, s.label), default=None)
                row.append(best.label if best else "O")
            rows.append(row)
    return rows, people


def test_report_brat_fixture_chance_corrected_against_oracles():
    docs = load_brat_project(need(BRAT / "example-project"))
    report = measure_agreement(docs)
    rows, people = _token_matrix(docs, ["Lisa", "Maria", "Max", "Peter"])
    for k in report.tokens.kappa:
        a = [r[people.index(k.a)] for r in rows]
        b = [r[people.index(k.b)] for r in rows]
        assert k.kappa == pytest.approx(cohen_kappa_score(a, b), abs=1e-9)
    codes = {label: i for i, label in enumerate(sorted({v for r in rows for v in r}))}
    matrix = np.array([[codes[v] for v in r] for r in rows], dtype=float).T
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert report.tokens.alpha == pytest.approx(expected, abs=1e-9)


texts = st.lists(
    st.tuples(
        st.sampled_from(["Idlib", "Assad", "said", "the", "x", "Saraqib.", "al-Bab", "(AFP)"]),
        st.sampled_from([" ", "\n", "  "]),
    ),
    min_size=1,
    max_size=15,
).map(lambda parts: "".join(w + s for w, s in parts))


@st.composite
def documents(draw):
    docs = {}
    for i in range(draw(st.integers(1, 5))):
        text = draw(texts)
        people = draw(st.sets(st.sampled_from(["ana", "ben", "cy", "dee"]), min_size=1, max_size=4))
        spans = {}
        for person in sorted(people):
            found = []
            for _ in range(draw(st.integers(0, 4))):
                start = draw(st.integers(0, len(text) - 1))
                end = draw(st.integers(start + 1, len(text)))
                found.append(Span(start, end, draw(st.sampled_from(["PER", "LOC"]))))
            spans[person] = found
        docs[i] = DocAnnotations(text, spans)
    return docs


@st.composite
def tidy_documents(draw):
    """Like documents(), but each annotator's spans are disjoint, as in real work: the
    measures then take their extent-by-extent path, with boundary disagreements between
    annotators."""
    docs = {}
    for i in range(draw(st.integers(1, 5))):
        text = draw(texts)
        people = draw(st.sets(st.sampled_from(["ana", "ben", "cy"]), min_size=2, max_size=3))
        spans = {}
        for person in sorted(people):
            cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=8)))
            pairs = list(zip(cuts[0::2], cuts[1::2], strict=False))
            spans[person] = [
                Span(start, end, draw(st.sampled_from(["PER", "LOC"])))
                for start, end in pairs
                if start < end
            ]
        docs[i] = DocAnnotations(text, spans)
    return docs


def with_spacy_tokens(docs: dict) -> dict:
    """The same documents with spaCy's tokens given: the default unit of the command."""
    return {
        i: DocAnnotations(d.text, d.spans, d.title, spacy_tokens(d.text), "spacy:en")
        for i, d in docs.items()
    }


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        documents(),
        tidy_documents(),
        documents().map(with_spacy_tokens),
        tidy_documents().map(with_spacy_tokens),
    )
)
def test_report_random_documents_against_oracles(docs):
    """Span F1 from plain set arithmetic; token kappa against scikit-learn, alpha against
    krippendorff, token F1 against a multiset count, all on independently computed data."""
    report = measure_agreement(docs)
    counted = {i: d for i, d in docs.items() if len(d.spans) >= 2}
    assert report.documents == len(counted)
    people = sorted({p for d in counted.values() for p in d.spans})
    assert list(report.annotators) == people
    for pair in report.exact.pairs:
        both = [d for d in counted.values() if pair.a in d.spans and pair.b in d.spans]
        a = [{(i, s.key) for s in d.spans[pair.a]} for i, d in enumerate(both)]
        b = [{(i, s.key) for s in d.spans[pair.b]} for i, d in enumerate(both)]
        shared = sum(len(x & y) for x, y in zip(a, b, strict=True))
        total = sum(len(x) + len(y) for x, y in zip(a, b, strict=True))
        assert pair.f1 == (None if total == 0 else pytest.approx(2 * shared / total))
        assert pair.documents == len(both)
    defined = [p.f1 for p in report.exact.pairs if p.f1 is not None]
    if defined:
        assert report.exact.overall.mean == pytest.approx(float(np.mean(defined)))
        assert report.exact.overall.sd == pytest.approx(float(np.std(defined)), abs=1e-12)
    else:
        assert report.exact.overall.mean is None
    rows, _ = _token_matrix(counted, people)
    for k in report.tokens.kappa:
        a, b = zip(
            *[
                (r[people.index(k.a)], r[people.index(k.b)])
                for r in rows
                if None not in (r[people.index(k.a)], r[people.index(k.b)])
            ],
            strict=True,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = cohen_kappa_score(a, b)
        assert (k.kappa is None) if math.isnan(expected) else k.kappa == pytest.approx(expected)
    values = {v for r in rows for v in r if v is not None}
    pairable = [r for r in rows if sum(v is not None for v in r) >= 2]
    if (
        len(values) >= 2
        and pairable
        and len({v for r in pairable for v in r if v is not None}) >= 2
    ):
        codes = {v: i for i, v in enumerate(sorted(values))}
        matrix = np.array(
            [[np.nan if v is None else codes[v] for v in r] for r in rows], dtype=float
        ).T
        expected = krippendorff.alpha(
            reliability_data=matrix,
            level_of_measurement="nominal",
            value_domain=list(range(len(codes))),
        )
        assert report.tokens.alpha == pytest.approx(expected, abs=1e-9)
    else:
        assert report.tokens.alpha is None
    for pair in report.token_f1.pairs:
        shared = a_total = b_total = 0
        for doc in counted.values():
            if pair.a not in doc.spans or pair.b not in doc.spans:
                continue
            tokens = doc_tokens(doc)
            bags = [
                Counter(
                    (s.label, t)
                    for s in {x.key: x for x in doc.spans[p]}.values()
                    for t in tokens
                    if t[0] < s.end and s.start < t[1]
                )
                for p in (pair.a, pair.b)
            ]
            shared += sum((bags[0] & bags[1]).values())
            a_total += sum(bags[0].values())
            b_total += sum(bags[1].values())
        assert (pair.shared, pair.a_spans, pair.b_spans) == (shared, a_total, b_total)


@settings(max_examples=60, deadline=None)
@given(documents(), st.integers(0, 5))
def test_report_tallies_merge_like_one_pass(docs, cut):
    items = list(docs.items())
    whole = new_tally()
    for doc_id, doc in items:
        whole.add(doc_id, doc)
    first, second = new_tally(), new_tally()
    for doc_id, doc in items[:cut]:
        first.add(doc_id, doc)
    for doc_id, doc in items[cut:]:
        second.add(doc_id, doc)
    first.merge(second)
    assert to_json(first.report()) == to_json(whole.report())


def test_report_undefined_values_are_null_and_left_out():
    docs = {
        1: DocAnnotations("Idlib said", {"ana": [], "ben": []}),  # nobody marked anything
        2: DocAnnotations(
            "Assad in Idlib", {"ana": [Span(0, 5, "PER")], "cy": [Span(0, 5, "PER")]}
        ),
    }
    report = measure_agreement(docs)
    by_pair = {(p.a, p.b): p.f1 for p in report.exact.pairs}
    assert by_pair == {("ana", "ben"): None, ("ana", "cy"): 1.0}
    assert (report.exact.overall.mean, report.exact.overall.sd, report.exact.overall.n) == (
        1.0,
        0.0,
        1,
    )
    kappas = {(k.a, k.b): k.kappa for k in report.tokens.kappa}
    assert kappas[("ana", "ben")] is None  # every token O on both sides
    data = json.loads(json.dumps(to_json(report)))
    assert data["span_f1"]["pairs"][0]["f1"] is None
    assert data["token_kappa"]["pairs"][0]["kappa"] is None
    assert data["token_pi"]["pairs"][0]["pi"] is None
    assert "undefined" in data["conventions"]
    assert data["articles"][0]["span_f1"] == {"mean": None, "sd": None, "n": 0}


def test_report_filters_annotators_and_labels():
    docs = {
        1: DocAnnotations(
            "Assad in Idlib",
            {
                "ana": [Span(0, 5, "PER"), Span(9, 14, "LOC")],
                "ben": [Span(0, 5, "PER"), Span(9, 14, "ORG")],
                "cy": [Span(9, 14, "LOC")],
            },
        ),
        2: DocAnnotations("Hama", {"ana": [Span(0, 4, "LOC")], "cy": [Span(0, 4, "LOC")]}),
    }
    report = measure_agreement(docs, annotators=["ana", "ben"])
    assert report.documents == 1 and report.annotators == ("ana", "ben")
    assert report.exact.overall.mean == pytest.approx(0.5)
    per_label = measure_agreement(docs, labels=["PER"])
    assert per_label.labels == ("PER",)
    by_pair = {(p.a, p.b): p.f1 for p in per_label.exact.pairs}
    assert by_pair == {("ana", "ben"): 1.0, ("ana", "cy"): 0.0, ("ben", "cy"): 0.0}
    assert per_label.filters == {"annotators": None, "labels": ["PER"]}


def test_report_disagreement_counts_and_confusion():
    docs = {
        1: DocAnnotations(
            "Assad in Idlib and Hama",
            {
                "ana": [Span(0, 5, "PER"), Span(9, 14, "LOC"), Span(19, 23, "LOC")],
                "ben": [Span(0, 5, "ORG"), Span(9, 18, "LOC")],
            },
        )
    }
    report = measure_agreement(docs)
    assert report.disagreements == {
        DisagreementKind.SAME_EXTENT_DIFFERENT_LABEL: 1,
        DisagreementKind.OVERLAPPING_DIFFERENT_EXTENT: 1,
        DisagreementKind.ONE_SIDE_ONLY: 1,
    }
    assert report.confusion == {("LOC", "LOC"): 1, ("LOC", None): 1, ("ORG", "PER"): 1}
    names, cells = report.confusion_matrix()
    assert names == ["LOC", "ORG", "PER", None]
    assert cells[("PER", "ORG")] == cells[("ORG", "PER")] == 1


def test_report_json_schema_and_csv_rows(example_project):
    data = to_json(example_project)
    for key in ("annotators", "documents", "span_f1", "token_kappa", "token_alpha", "conventions"):
        assert key in data
    assert set(data["span_f1"]) >= {"mean", "sd", "pairs", "labels"}
    assert set(data["span_f1"]["pairs"][0]) >= {"a", "b", "f1"}
    assert set(data["span_f1"]["labels"]["LOC"]) >= {"mean", "sd"}
    assert set(data["token_kappa"]) >= {"pairs", "mean"}
    assert set(data["token_pi"]) >= {"pairs", "mean", "sd", "n"}
    kappas = {(k["a"], k["b"]): k["kappa"] for k in data["token_kappa"]["pairs"]}
    for pair in data["token_pi"]["pairs"]:
        # Pi's chance agreement pools both annotators' labels: never below kappa's.
        assert pair["pi"] <= kappas[(pair["a"], pair["b"])] + 1e-12
    assert ("token_pi", "all", "mean", "", "", example_project.pi.mean) in list(
        to_rows(example_project)
    )
    assert data["conventions"] == CONVENTIONS
    json.dumps(data, allow_nan=False)  # no NaN can reach a script
    rows = list(to_rows(example_project))
    assert all(len(row) == len(CSV_HEADER) for row in rows)
    assert ("span_f1", "all", "mean", "", "", example_project.exact.overall.mean) in rows
    assert ("span_f1", "label=PER", "sd", "", "", example_project.exact.labels["PER"].sd) in rows


def test_report_streams_documents_it_is_given():
    seen = []

    def stream():
        for i in range(3):
            seen.append(i)
            yield i, DocAnnotations("x y", {"a": [Span(0, 1, "L")], "b": [Span(0, 1, "L")]})

    report = measure_agreement(stream())
    assert seen == [0, 1, 2] and report.documents == 3
    assert all(pair.f1 == 1.0 for pair in report.exact.pairs)


@settings(max_examples=60, deadline=None)
@given(documents())
def test_report_plain_tuples_measure_like_spans(docs):
    as_tuples = {
        i: DocAnnotations(d.text, {n: [s.key for s in spans] for n, spans in d.spans.items()})
        for i, d in docs.items()
    }
    assert to_json(measure_agreement(as_tuples)) == to_json(measure_agreement(docs))
