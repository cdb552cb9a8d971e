"""The agreement report as one self-contained HTML file: the tables, and every article with
disagreements drawn by displaCy once per annotator."""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from annotator.audit.disagreements import ArticleDisagreements, worst
from annotator.audit.report import CONVENTIONS, AgreementReport
from annotator.audit.spans import Disagreement
from annotator.domain.scheme import LabelScheme
from annotator.domain.spans import Span
from annotator.domain.text import visible
from annotator.formats.fileio import atomic_output
from annotator.nlp.displacy import render_spans
from annotator.services.agreement import Agreement, review
from annotator.store.engine import Store

# Background colours for labels the scheme does not define, light enough for dark text.
PALETTE = (
    "#a6d8f0", "#f7c59f", "#c5e3a5", "#f2b5d4", "#d7c8f0", "#f9e79f",
    "#b8e0d2", "#f5b7b1", "#d5dbdb", "#fad7a0", "#aed6f1", "#d2b4de",
)  # fmt: skip

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto;
       max-width: 1100px; padding: 0 1rem; color: #222; line-height: 1.4; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.6rem 0 1rem; font-size: 0.92rem; }
th, td { border: 1px solid #d0d0d0; padding: 0.25rem 0.55rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.meta { color: #555; } .small { font-size: 0.85rem; color: #555; }
article.doc { border: 1px solid #ddd; border-radius: 6px; padding: 0.6rem 1rem; margin: 1.2rem 0; }
.layer { margin: 0.5rem 0 0.9rem; } .layer h4 { margin: 0.3rem 0; }
.layer .entities { border-left: 3px solid #ccc; padding-left: 0.7rem; }
"""


def label_colours(labels: Iterable[str], scheme: LabelScheme | None) -> dict[str, str]:
    """A background colour per label: the scheme's, else one from PALETTE (by sorted order)."""
    colours: dict[str, str] = {}
    spare = 0
    for label in sorted(set(labels)):
        known = scheme.label(label) if scheme is not None else None
        if known is not None:
            colours[label] = known.colour
        else:
            colours[label] = PALETTE[spare % len(PALETTE)]
            spare += 1
    return colours


def _e(value: object) -> str:
    # Escaped for HTML, and control characters made visible: the page is also read with
    # `cat` and `less`, and browsers draw controls inconsistently.
    return html.escape(visible(str(value)), quote=True)


def _n(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: int = 0) -> str:
    """An HTML table; every cell escaped; columns from ``numeric`` on are right-aligned."""
    out = ["<table><thead><tr>"]
    out += [f"<th>{_e(h)}</th>" for h in headers]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for i, cell in enumerate(row):
            css = ' class="num"' if numeric and i >= numeric else ""
            out.append(f"<td{css}>{_e(cell)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _summary_rows(report: AgreementReport) -> list[list[object]]:
    rows: list[list[object]] = []
    for name, summary in (
        ("span F1, exact", report.exact.overall),
        ("span F1, relaxed (overlap)", report.relaxed.overall),
        ("token F1", report.token_f1.overall),
        ("Cohen's kappa, tokens", report.kappa),
        ("Scott's pi, tokens", report.pi),
    ):
        rows.append([name, _n(summary.mean), _n(summary.sd), summary.n])
    rows.append(["Krippendorff's alpha, tokens", _n(report.tokens.alpha), "", report.tokens.units])
    return rows


def _pair_rows(report: AgreementReport) -> list[list[object]]:
    relaxed = {(p.a, p.b): p for p in report.relaxed.pairs}
    tokens = {(p.a, p.b): p for p in report.token_f1.pairs}
    kappa = {(k.a, k.b): k for k in report.tokens.kappa}
    rows: list[list[object]] = []
    for p in report.exact.pairs:
        key = (p.a, p.b)
        rows.append(
            [
                p.a,
                p.b,
                p.documents,
                p.a_spans,
                p.b_spans,
                p.shared,
                _n(p.f1),
                _n(relaxed[key].f1 if key in relaxed else None),
                _n(tokens[key].f1 if key in tokens else None),
                _n(kappa[key].kappa if key in kappa else None),
                _n(kappa[key].pi if key in kappa else None),
            ]
        )
    return rows


def _label_rows(report: AgreementReport) -> list[list[object]]:
    return [
        [
            label,
            _n(report.exact.labels[label].mean),
            _n(report.exact.labels[label].sd),
            _n(report.relaxed.labels[label].mean),
            _n(report.token_f1.labels[label].mean),
        ]
        for label in report.labels
    ]


def _confusion(report: AgreementReport) -> str:
    names, cells = report.confusion_matrix()
    shown = ["(none)" if n is None else n for n in names]
    rows = [[shown[i], *(cells.get((x, y), 0) for y in names)] for i, x in enumerate(names)]
    return _table(["", *shown], rows, numeric=1)


def _span_cell(text: str, span: Span | None) -> str:
    if span is None:
        return "—"
    excerpt = text[span.start : span.end]
    if len(excerpt) > 80:
        excerpt = excerpt[:77] + "..."
    return f"{span.label} [{span.start}, {span.end}) “{excerpt}”"


def _disagreement_rows(text: str, found: Sequence[Disagreement]) -> list[list[object]]:
    return [
        [d.kind.description, d.a, _span_cell(text, d.a_span), d.b, _span_cell(text, d.b_span)]
        for d in found
    ]


def _article(item: ArticleDisagreements, figures_line: str, colours: Mapping[str, str]) -> str:
    doc = item.document
    figures = item.figures
    title = doc.title or "(untitled)"
    out = [
        f'<article class="doc" id="article-{_e(figures.doc_id)}">',
        f"<h3>Article {_e(figures.doc_id)}: {_e(title)}</h3>",
        f'<p class="meta">{_e(figures_line)}</p>',
    ]
    for name in doc.annotators:
        # Plain (start, end, label) tuples (a light reading) are drawn as Spans.
        spans = [s if isinstance(s, Span) else Span(*s) for s in doc.spans[name]]
        fragment, left_out = render_spans(doc.text, spans, colours)
        out.append(f'<div class="layer"><h4>{_e(name)}</h4>{fragment}')
        if left_out:
            listing = "; ".join(_span_cell(doc.text, s) for s in left_out)
            out.append(f'<p class="small">Overlapping spans not drawn: {_e(listing)}</p>')
        out.append("</div>")
    out.append(
        _table(
            ["disagreement", "annotator", "span", "annotator", "span"],
            _disagreement_rows(doc.text, item.disagreements),
        )
    )
    out.append("</article>")
    return "".join(out)


def html_parts(
    report: AgreementReport,
    articles: Iterable[ArticleDisagreements],
    *,
    shown: int,
    labels: Iterable[str] = (),
    scheme: LabelScheme | None = None,
    source: str = "",
    omitted: int = 0,
) -> Iterator[str]:
    """The page piece by piece, so that a report on many articles is written as it is
    made rather than held in memory. ``shown``: how many ``articles`` there are;
    ``omitted``: articles with disagreements left out by a limit; ``labels``: labels the
    articles may use besides ``report.labels``."""
    colours = label_colours({*report.labels, *labels}, scheme)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    filters = report.filters or {}
    chosen_annotators = filters.get("annotators")
    chosen_labels = filters.get("labels")
    yield from (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Agreement report{_e(' · ' + source) if source else ''}</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Agreement between annotators</h1>",
        f'<p class="meta">{_e(stamp)}{_e(" · " + source) if source else ""} · '
        f"{report.documents} articles finished by two or more of "
        f"{len(report.annotators)} annotators ({_e(', '.join(report.annotators))})"
        + (f" · annotators: {_e(', '.join(chosen_annotators))}" if chosen_annotators else "")
        + (f" · labels: {_e(', '.join(chosen_labels))}" if chosen_labels else "")
        + "</p>",
        "<h2>Summary</h2>",
        _table(["measure", "mean", "SD", "n"], _summary_rows(report), numeric=1),
        "<h2>Annotator pairs</h2>",
        _table(
            [
                "a",
                "b",
                "articles",
                "spans a",
                "spans b",
                "identical",
                "exact F1",
                "relaxed F1",
                "token F1",
                "kappa",
                "pi",
            ],
            _pair_rows(report),
            numeric=2,
        ),  # fmt: skip
        "<h2>Labels</h2>",
        _table(
            ["label", "exact F1 mean", "exact F1 SD", "relaxed F1 mean", "token F1 mean"],
            _label_rows(report),
            numeric=1,
        ),
        "<h2>Disagreements</h2>",
        _table(
            ["kind", "count"],
            [[k.description, n] for k, n in report.disagreements.items()],
            numeric=1,
        ),
        "<h3>Label confusion (aligned spans; “(none)”: the other annotator has no span)</h3>",
        _confusion(report),
        "<h2>Conventions</h2><ul>",
        *(f"<li><b>{_e(k)}</b>: {_e(v)}</li>" for k, v in CONVENTIONS.items()),
        "</ul>",
        f"<h2>Articles with disagreements, worst first ({shown}"
        + (f" shown, {omitted} more not shown" if omitted else "")
        + ")</h2>",
        '<p class="small">Each article is drawn once per annotator. Label colours: '
        + " ".join(
            f'<span style="background:{colours[label]};padding:0 0.4em;border-radius:0.3em">'
            f"{_e(label)}</span>"
            for label in sorted(colours)
        )
        + "</p>",
    )
    for item in articles:
        f = item.figures
        line = (
            f"annotators: {', '.join(f.annotators)} · exact F1 {_n(f.f1.mean)} "
            f"(SD {_n(f.f1.sd)}) · relaxed F1 {_n(f.relaxed.mean)} · review score "
            f"{f.score:.3f} · " + ", ".join(f"{k.description}: {n}" for k, n in f.counts.items())
        )
        yield _article(item, line, colours)
    yield "</body></html>\n"


def render_html(
    report: AgreementReport,
    articles: Sequence[ArticleDisagreements],
    *,
    scheme: LabelScheme | None = None,
    source: str = "",
    omitted: int = 0,
) -> str:
    """The whole report as one HTML page (no external resources)."""
    labels = {
        _label(s) for item in articles for spans in item.document.spans.values() for s in spans
    }
    return "\n".join(
        html_parts(
            report,
            articles,
            shown=len(articles),
            labels=labels,
            scheme=scheme,
            source=source,
            omitted=omitted,
        )
    )


# Articles read from the store and drawn per round, so memory stays bounded.
ARTICLES_PER_READ = 200


def write_report(
    store: Store,
    path: Path,
    agreement: Agreement,
    *,
    scheme: LabelScheme | None = None,
    limit: int | None = None,
    source: str = "",
) -> int:
    """Write the HTML report of a measured ``agreement`` to ``path`` atomically: its
    tables and its articles with disagreements (worst first, at most ``limit``), read
    again from ``store`` a few at a time. Returns how many articles it draws."""
    report = agreement.report
    ranked, disagreeing = worst(report.articles, limit)
    chosen = [f.doc_id for f in ranked]
    del ranked

    def articles() -> Iterator[ArticleDisagreements]:
        for i in range(0, len(chosen), ARTICLES_PER_READ):
            part = chosen[i : i + ARTICLES_PER_READ]
            found = {
                item.figures.doc_id: item
                for item in review(
                    store,
                    annotators=report.filters.get("annotators"),
                    labels=report.filters.get("labels"),
                    # The store's article ids are ints (DocId is any hashable).
                    article_ids=[d for d in part if isinstance(d, int)],
                )
            }
            yield from (found[doc_id] for doc_id in part if doc_id in found)

    with atomic_output(path) as handle:
        for piece in html_parts(
            report,
            articles(),
            shown=len(chosen),
            scheme=scheme,
            source=source,
            omitted=disagreeing - len(chosen),
        ):
            handle.write(piece)
            handle.write("\n")
    return len(chosen)


def _label(span: Span | tuple[int, int, str]) -> str:
    return span[2] if isinstance(span, tuple) else span.label
