"""All agreement measures in one pass over the articles, and their JSON and CSV forms."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from annotator.audit.disagreements import ArticleFigures, article_figures, compare_article
from annotator.audit.documents import (
    WHITESPACE,
    DocAnnotations,
    DocId,
    Documents,
    iter_documents,
    restrict,
)
from annotator.audit.figures import (
    UNDEFINED,
    F1Figures,
    F1Tally,
    PairF1,
    Summary,
    add_counts,
    summarise,
)
from annotator.audit.spans import DisagreementKind, label_counts, unique_spans
from annotator.audit.tokens import TokenFigures, TokenTally

SCHEMA = "annotator.agreement/1"

CONVENTIONS = {
    "undefined": UNDEFINED,
    "articles": "Articles finished (status done) by at least two of the annotators counted; "
    "each pair is compared over the articles both finished.",
    "span_f1": "2|A∩B| / (|A|+|B|) per annotator pair; a span is (article, label, start, "
    "end) and must match exactly; mean and population SD over pairs.",
    "relaxed_f1": "As span_f1, but spans with the same label that overlap match, one to one "
    "(a largest matching).",
    "tokens": "Tokens are the article's spaCy tokens (the ones spans snap to when "
    "annotating: stored by `annotator suggest`, else made by spacy.blank(lang)), whitespace "
    "tokens left out; with --tokens whitespace, \\S+ runs (as bratiaa counts); token_unit "
    "says which, per article. A span covers every token it overlaps; tokens outside spans "
    "are O. Token F1 counts (label, token) as bratiaa does; kappa and alpha give each token "
    "one label (overlapping spans of one annotator: the one starting first, then the "
    "longer, then the label first by name).",
    "disagreements": "Counted per annotator pair: identical spans agree; left-over spans "
    "with the same extent pair up (different label), then overlapping ones (different "
    "extent; same label and larger overlap first); a span still alone is one side only.",
    "score": "Review score of an article: 1 - mean exact F1 over its pairs (a pair in "
    "which neither marked anything counts as agreeing).",
}


def describe_token_unit(unit: dict[str, int]) -> str:
    """``{tokenizer: articles}`` in words, for tables and reports."""
    if not unit:
        return "tokens: none counted"
    if list(unit) == [WHITESPACE]:
        return "tokens: runs of non-space characters (\\S+, as bratiaa counts)"
    parts = [
        f"{name} for {count:,} article{'s' if count != 1 else ''}" for name, count in unit.items()
    ]
    return "tokens: spaCy's, whitespace left out (" + "; ".join(parts) + ")"


def _order(value: str | None) -> tuple[bool, str]:
    return value is None, value or ""


def _symmetric(
    counts: Counter[tuple[str | None, str | None]],
) -> dict[tuple[str | None, str | None], int]:
    """Label pairs in a fixed order (no span last): who was "a" in a pair is arbitrary."""
    merged: Counter = Counter()
    for (x, y), count in counts.items():
        merged[(x, y) if _order(x) <= _order(y) else (y, x)] += count
    return dict(sorted(merged.items(), key=lambda item: (_order(item[0][0]), _order(item[0][1]))))


@dataclass(frozen=True)
class AgreementReport:
    """Every agreement figure over a set of articles."""

    annotators: tuple[str, ...]
    labels: tuple[str, ...]
    documents: int
    exact: F1Figures
    relaxed: F1Figures
    token_f1: F1Figures
    tokens: TokenFigures
    kappa: Summary
    pi: Summary
    confusion: dict[tuple[str | None, str | None], int]
    disagreements: dict[DisagreementKind, int]
    articles: Collection[ArticleFigures]  # in article order; may be read more than once
    filters: dict[str, list[str] | None] = field(default_factory=dict)
    token_unit: dict[str, int] = field(default_factory=dict)  # tokenizer -> articles

    def token_unit_text(self) -> str:
        """What the token-level measures counted, in words."""
        return describe_token_unit(self.token_unit)

    def confusion_matrix(self) -> tuple[list[str | None], dict[tuple[str | None, str | None], int]]:
        """(row/column labels with None last, symmetric cell counts)."""
        names = sorted(
            {v for pair in self.confusion for v in pair}, key=lambda v: (v is None, v or "")
        )
        cells: dict[tuple[str | None, str | None], int] = {}
        for (x, y), count in self.confusion.items():
            cells[(x, y)] = count
            cells[(y, x)] = count
        return names, cells


@dataclass
class AgreementTally:
    """Every count the measures need, added one article at a time and mergeable, so
    that parts of a corpus can be counted apart (in other processes) and joined."""

    annotators: list[str] | None = None
    labels: list[str] | None = None
    exact: F1Tally = field(default_factory=F1Tally)
    relaxed: F1Tally = field(default_factory=F1Tally)
    tokens: TokenTally = field(default_factory=TokenTally)
    confusion: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=lambda: Counter(dict.fromkeys(DisagreementKind, 0)))
    seen_people: set[str] = field(default_factory=set)
    seen_labels: set[str] = field(default_factory=set)
    # Per-article figures in article order: a list, or any object with append, extend,
    # len and iteration (the service spools them to a file, so memory stays flat).
    articles: Any = field(default_factory=list)
    token_unit: dict[str, int] = field(default_factory=dict)  # tokenizer -> articles

    def add(self, doc_id: DocId, doc: DocAnnotations) -> None:
        """Count one article (after the annotator and label filters; an article left with
        fewer than two annotators does not count)."""
        if self.annotators is not None or self.labels is not None:
            doc = restrict(doc, annotators=self.annotators, labels=self.labels)
        if len(doc.spans) < 2:
            return
        keyed = {name: unique_spans(spans) for name, spans in doc.spans.items()}
        counts = {name: label_counts(keys) for name, keys in keyed.items()}
        comparisons = compare_article(doc, keyed, counts)
        confusion = self.confusion
        kinds = self.kinds
        # Span totals are the same for exact and relaxed F1: counted once, in `exact`.
        self.exact.add_group(counts)
        for pair, comparison in comparisons.items():
            self.exact.add_shared(pair, comparison.exact)
            self.relaxed.add_shared(pair, comparison.relaxed)
            # Identical spans are the confusion table's diagonal, taken from `exact` at
            # the end; only disagreements are counted here.
            for kind, x, y in comparison.found:
                kinds[kind] += 1
                key = (None if x is None else x[2], None if y is None else y[2])
                confusion[key] = confusion.get(key, 0) + 1
        token_counts = self.tokens.add(doc.text, keyed, list(comparisons), doc.tokens)
        self.token_unit[doc.tokenizer] = self.token_unit.get(doc.tokenizer, 0) + 1
        self.articles.append(article_figures(doc_id, doc, comparisons, token_counts))
        self.seen_people.update(keyed)
        for label_count in counts.values():
            self.seen_labels.update(label_count)

    def merge(self, other: AgreementTally) -> None:
        """Add the counts of ``other`` (articles after this tally's, in order)."""
        self.exact.merge(other.exact)
        self.relaxed.merge(other.relaxed)
        self.tokens.merge(other.tokens)
        self.confusion.update(other.confusion)
        self.kinds.update(other.kinds)
        self.seen_people |= other.seen_people
        self.seen_labels |= other.seen_labels
        self.articles.extend(other.articles)
        add_counts(self.token_unit, other.token_unit)

    def report(self) -> AgreementReport:
        """The figures of everything counted so far."""
        label_list = tuple(self.labels if self.labels is not None else sorted(self.seen_labels))
        token_figures = self.tokens.figures()
        relaxed = F1Tally(
            shared=self.relaxed.shared,
            groups=self.exact.groups,
            group_documents=self.exact.group_documents,
        )
        confusion = Counter(self.confusion)
        for shared in self.exact.shared.values():
            for label, count in shared.items():
                confusion[(label, label)] += count
        return AgreementReport(
            annotators=tuple(sorted(self.seen_people)),
            labels=label_list,
            documents=len(self.articles),
            exact=self.exact.figures(label_list),
            relaxed=relaxed.figures(label_list),
            token_f1=self.tokens.f1_tally().figures(label_list),
            tokens=token_figures,
            kappa=summarise(k.kappa for k in token_figures.kappa),
            pi=summarise(k.pi for k in token_figures.kappa),
            confusion=_symmetric(confusion),
            disagreements=dict(self.kinds),
            articles=self.articles,
            filters={"annotators": self.annotators, "labels": self.labels},
            token_unit=dict(sorted(self.token_unit.items())),
        )


def new_tally(
    annotators: Iterable[str] | None = None,
    labels: Iterable[str] | None = None,
    articles: Any = None,
) -> AgreementTally:
    """An empty tally that keeps only ``annotators`` and ``labels`` (None: everyone, all);
    ``articles``: where per-article figures go (default: a list)."""
    return AgreementTally(
        annotators=None if annotators is None else sorted(set(annotators)),
        labels=None if labels is None else sorted(set(labels)),
        articles=[] if articles is None else articles,
    )


def measure_agreement(
    docs: Documents,
    *,
    annotators: Iterable[str] | None = None,
    labels: Iterable[str] | None = None,
) -> AgreementReport:
    """Measure agreement over ``docs`` (a mapping or a stream of (id, DocAnnotations)).

    With ``annotators``, only their spans count and only articles two or more of them
    annotated; with ``labels``, only spans of those labels. Articles are read once and not
    kept, so memory follows the number of articles' figures, not their text.
    """
    tally = new_tally(annotators, labels)
    for doc_id, doc in iter_documents(docs):
        tally.add(doc_id, doc)
    return tally.report()


def _summary(summary: Summary | None) -> dict[str, Any] | None:
    return None if summary is None else _figures_of(summary)


def _figures_of(summary: Summary) -> dict[str, Any]:
    return {"mean": summary.mean, "sd": summary.sd, "n": summary.n}


def _pair(pair: PairF1) -> dict[str, Any]:
    return {
        "a": pair.a,
        "b": pair.b,
        "f1": pair.f1,
        "shared": pair.shared,
        "a_spans": pair.a_spans,
        "b_spans": pair.b_spans,
        "documents": pair.documents,
    }


def _f1(figures: F1Figures) -> dict[str, Any]:
    return {
        **_figures_of(figures.overall),
        "pairs": [_pair(p) for p in figures.pairs],
        "labels": {
            label: {**_figures_of(summary), "pairs": [_pair(p) for p in figures.label_pairs[label]]}
            for label, summary in figures.labels.items()
        },
    }


def article_json(a: ArticleFigures) -> dict[str, Any]:
    """One article's figures as JSON values (an item of the report's ``articles``)."""
    return {
        "id": a.doc_id,
        "title": a.title,
        "annotators": list(a.annotators),
        "span_f1": _summary(a.f1),
        "relaxed_f1": _summary(a.relaxed),
        "token_f1": _summary(a.token_f1),
        "disagreements": {kind.value: n for kind, n in a.counts.items()},
        "score": a.score,
    }


def article_line(a: ArticleFigures) -> str:
    """One article's item of the report's ``articles``, as the JSON text json_chunks
    writes on its line."""
    import json

    return json.dumps(article_json(a), ensure_ascii=False)


def json_chunks(report: AgreementReport, *, indent: int = 2) -> Iterator[str]:
    """The JSON of to_json() as pieces of text, articles one line each, so that a report on
    any number of articles is written as it is read (json's C encoder per value: the
    pure-Python indenting encoder took longer than all the measures)."""
    import json

    whole = to_json(report, articles=False)
    pad = " " * indent
    yield "{"
    first = True
    for key, value in whole.items():
        yield ("\n" if first else ",\n") + pad + json.dumps(key) + ": "
        first = False
        if key == "articles":
            yield "["
            separator = "\n"
            # A spool of articles keeps each one's line, encoded when it was counted (by
            # this process or the helper): the lines are then copied, not encoded here.
            encoded = getattr(report.articles, "json_lines", None)
            lines = encoded() if encoded is not None else map(article_line, report.articles)
            for line in lines:
                yield separator + pad * 2 + line
                separator = ",\n"
            yield ("\n" + pad if separator == ",\n" else "") + "]"
        else:
            text = json.dumps(value, indent=indent, ensure_ascii=False)
            yield text.replace("\n", "\n" + pad)
    yield "\n}\n"


def to_json(report: AgreementReport, *, articles: bool = True) -> dict[str, Any]:
    """The report as plain JSON values (the schema the README documents); without
    ``articles``, the per-article list is left empty (json_chunks streams it)."""
    return {
        "schema": SCHEMA,
        "annotators": list(report.annotators),
        "documents": report.documents,
        "labels": list(report.labels),
        "filters": report.filters,
        "span_f1": _f1(report.exact),
        "relaxed_f1": _f1(report.relaxed),
        "token_f1": _f1(report.token_f1),
        "token_kappa": {
            **_figures_of(report.kappa),
            "pairs": [
                {
                    "a": k.a,
                    "b": k.b,
                    "kappa": k.kappa,
                    "observed": k.observed,
                    "expected": k.expected,
                    "tokens": k.tokens,
                }
                for k in report.tokens.kappa
            ],
        },
        "token_pi": {
            **_figures_of(report.pi),
            "pairs": [{"a": k.a, "b": k.b, "pi": k.pi} for k in report.tokens.kappa],
        },
        "token_alpha": report.tokens.alpha,
        "token_units": report.tokens.units,
        "token_unit": report.token_unit,
        "disagreements": {kind.value: count for kind, count in report.disagreements.items()},
        "confusion": [
            {"a": x, "b": y, "count": count}
            for (x, y), count in sorted(
                report.confusion.items(),
                key=lambda item: (
                    (item[0][0] is None, item[0][0] or ""),
                    (item[0][1] is None, item[0][1] or ""),
                ),
            )
        ],
        "articles": [article_json(a) for a in report.articles] if articles else [],
        "conventions": CONVENTIONS,
    }


CSV_HEADER = ("measure", "scope", "statistic", "a", "b", "value")


def to_rows(report: AgreementReport) -> Iterator[tuple[Any, ...]]:
    """The report as long-format rows (CSV_HEADER): one figure per row; undefined is ""."""

    def value(v: float | int | None) -> Any:
        return "" if v is None else v

    def f1_rows(measure: str, figures: F1Figures) -> Iterator[tuple[Any, ...]]:
        for scope, summary, pairs in [("all", figures.overall, figures.pairs)] + [
            (f"label={label}", figures.labels[label], figures.label_pairs[label])
            for label in figures.labels
        ]:
            for p in pairs:
                yield measure, scope, "pair", p.a, p.b, value(p.f1)
            yield measure, scope, "mean", "", "", value(summary.mean)
            yield measure, scope, "sd", "", "", value(summary.sd)

    yield "documents", "all", "count", "", "", report.documents
    yield from f1_rows("span_f1", report.exact)
    yield from f1_rows("relaxed_f1", report.relaxed)
    yield from f1_rows("token_f1", report.token_f1)
    for k in report.tokens.kappa:
        yield "token_kappa", "all", "pair", k.a, k.b, value(k.kappa)
    yield "token_kappa", "all", "mean", "", "", value(report.kappa.mean)
    yield "token_kappa", "all", "sd", "", "", value(report.kappa.sd)
    for k in report.tokens.kappa:
        yield "token_pi", "all", "pair", k.a, k.b, value(k.pi)
    yield "token_pi", "all", "mean", "", "", value(report.pi.mean)
    yield "token_pi", "all", "sd", "", "", value(report.pi.sd)
    yield "token_alpha", "all", "value", "", "", value(report.tokens.alpha)
    for tokenizer, count in report.token_unit.items():
        yield "token_unit", "all", "articles", tokenizer, "", count
    for kind, count in report.disagreements.items():
        yield "disagreements", "all", kind.value, "", "", count
    for (x, y), count in sorted(
        report.confusion.items(), key=lambda item: [(v is None, v or "") for v in item[0]]
    ):
        yield "confusion", "all", "count", x or "", y or "", count
    for a in report.articles:
        scope = f"article={a.doc_id}"
        yield "span_f1", scope, "mean", "", "", value(a.f1.mean)
        yield "span_f1", scope, "sd", "", "", value(a.f1.sd)
        yield "review_score", scope, "value", "", "", a.score
