"""`annotator agreement`: how far annotators agree, as tables, JSON, CSV or an HTML report."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from annotator.cli.common import DEFAULT_DB, DbOption, app, open_db, reports_errors
from annotator.cli.output import cell, console, echo, shown, warn, write_chunks
from annotator.domain.errors import InputError

if TYPE_CHECKING:
    from annotator.audit.report import AgreementReport

FORMATS = ("table", "json", "csv")
WORST_SHOWN = 10

# --fail-under measure names (the JSON fields), and the short names also taken.
GATES = ("span_f1", "relaxed_f1", "token_f1", "token_kappa", "token_pi", "token_alpha")
GATE_ALIASES = {"kappa": "token_kappa", "pi": "token_pi", "alpha": "token_alpha"}


def gate_values(report: AgreementReport) -> dict[str, float | None]:
    """The overall value of each measure a gate can name."""
    values: dict[str, float | None] = {
        "span_f1": report.exact.overall.mean,
        "relaxed_f1": report.relaxed.overall.mean,
        "token_f1": report.token_f1.overall.mean,
        "token_kappa": report.kappa.mean,
        "token_pi": report.pi.mean,
        "token_alpha": report.tokens.alpha,
    }
    values.update({short: values[name] for short, name in GATE_ALIASES.items()})
    return values


def _n(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def tables(report: AgreementReport) -> list[Table | Text]:
    """The report as Rich renderables (every cell a Text: names and labels are data)."""
    from annotator.audit.disagreements import worst

    out: list[Table | Text] = []
    filters = report.filters or {}
    header = (
        f"{report.documents} articles finished by two or more of {len(report.annotators)} "
        f"annotators ({', '.join(report.annotators)}); labels: {', '.join(report.labels) or '-'}"
    )
    if filters.get("annotators") or filters.get("labels"):
        header += " (filtered)"
    out.append(cell(header))
    out.append(cell(report.token_unit_text()))

    summary = Table(title="Agreement")
    for column in ("measure", "mean", "SD", "n"):
        summary.add_column(column, justify="left" if column == "measure" else "right")
    for name, figure in (
        ("span F1, exact", report.exact.overall),
        ("span F1, relaxed", report.relaxed.overall),
        ("token F1", report.token_f1.overall),
        ("token kappa (Cohen)", report.kappa),
        ("token pi (Scott)", report.pi),
    ):
        summary.add_row(cell(name), _n(figure.mean), _n(figure.sd), str(figure.n))
    summary.add_row(
        cell("token alpha (Krippendorff)"), _n(report.tokens.alpha), "", str(report.tokens.units)
    )
    out.append(summary)

    pairs = Table(title="Annotator pairs (F1: exact, relaxed, token)")
    for column in ("a", "b", "articles", "spans", "same"):
        pairs.add_column(column, justify="left" if column in "ab" else "right")
    for column in ("exact", "relaxed", "token", "kappa"):
        pairs.add_column(column, justify="right")
    relaxed = {(p.a, p.b): p.f1 for p in report.relaxed.pairs}
    token = {(p.a, p.b): p.f1 for p in report.token_f1.pairs}
    kappa = {(k.a, k.b): k.kappa for k in report.tokens.kappa}
    for p in report.exact.pairs:
        key = (p.a, p.b)
        pairs.add_row(
            cell(p.a),
            cell(p.b),
            str(p.documents),
            f"{p.a_spans}/{p.b_spans}",
            str(p.shared),
            _n(p.f1),
            _n(relaxed.get(key)),
            _n(token.get(key)),
            _n(kappa.get(key)),
        )
    out.append(pairs)

    labels = Table(title="Labels (mean and SD over pairs)")
    for column in ("label", "exact F1", "SD", "relaxed F1", "token F1"):
        labels.add_column(column, justify="left" if column == "label" else "right")
    for label in report.labels:
        exact = report.exact.labels[label]
        labels.add_row(
            cell(label),
            _n(exact.mean),
            _n(exact.sd),
            _n(report.relaxed.labels[label].mean),
            _n(report.token_f1.labels[label].mean),
        )
    out.append(labels)

    kinds = Table(title="Disagreements (per annotator pair)")
    kinds.add_column("kind")
    kinds.add_column("count", justify="right")
    for kind, count in report.disagreements.items():
        kinds.add_row(cell(kind.description), str(count))
    out.append(kinds)

    names, cells = report.confusion_matrix()
    shown = ["(none)" if n is None else n for n in names]
    confusion = Table(title="Label confusion (aligned spans)")
    confusion.add_column("")
    for name in shown:
        confusion.add_column(cell(name), justify="right")
    for i, x in enumerate(names):
        confusion.add_row(cell(shown[i]), *(str(cells.get((x, y), 0) or "") for y in names))
    out.append(confusion)

    ranked, disagreeing = worst(report.articles, WORST_SHOWN)
    table = Table(
        title=f"Articles with disagreements, worst first ({len(ranked)} of {disagreeing})",
        caption="disagreements: same extent but another label, overlapping but another "
        "extent, one side only",
    )
    for column in ("article", "title", "F1", "label", "extent", "alone", "score"):
        table.add_column(column, justify="left" if column == "title" else "right")
    for figures in ranked:
        counts = list(figures.counts.values())
        table.add_row(
            cell(str(figures.doc_id)),
            cell(figures.title[:60]),
            _n(figures.f1.mean),
            *(str(c) for c in counts),
            f"{figures.score:.3f}",
        )
    out.append(table)
    out.append(
        cell(
            "- : undefined (no spans to compare, or a single label throughout); "
            "see the conventions in --format json."
        )
    )
    return out


def _source(store) -> str:
    """The database, named for the report: a file's name, or a URL without its password."""
    url = store.engine.url
    if url.drivername.startswith("sqlite") and url.database:
        return Path(url.database).name
    return url.render_as_string(hide_password=True)


def _csv_chunks(report: AgreementReport) -> Iterator[str]:
    """The CSV text, a few thousand rows at a time."""
    from annotator.audit.report import CSV_HEADER, to_rows

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for i, row in enumerate(to_rows(report)):
        writer.writerow(row)
        if i % 5000 == 4999:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _write(path: Path, report: AgreementReport, fmt: str) -> None:
    """The report in ``fmt`` written to ``path`` atomically, piece by piece."""
    from annotator.audit.report import json_chunks
    from annotator.formats.fileio import atomic_output

    try:
        with atomic_output(path) as handle:
            if fmt == "table":
                printer = console(file=handle, width=120, color_system=None, force_terminal=False)
                for renderable in tables(report):
                    printer.print(renderable)
            else:
                chunks = json_chunks(report) if fmt == "json" else _csv_chunks(report)
                for chunk in chunks:
                    handle.write(chunk)
    except OSError as exc:
        raise InputError(f"cannot write ({exc.strerror or exc})", path=path) from None


@app.command("agreement")
@reports_errors
def agreement_command(
    db: DbOption = "",
    fmt: Annotated[
        str, typer.Option("--format", "-f", metavar="FORMAT", help="table, json or csv.")
    ] = "table",
    labels: Annotated[
        list[str] | None,
        typer.Option(
            "--label", "-l", metavar="LABEL", help="Only spans of this label (repeat for more)."
        ),
    ] = None,
    annotators: Annotated[
        list[str] | None,
        typer.Option(
            "--annotator",
            "-a",
            metavar="NAME",
            help="Only this annotator (repeat for more; articles need two of them).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", metavar="FILE", help="Write the output to FILE instead of stdout."
        ),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="PATH",
            help="Also write a self-contained HTML report: the tables and every article "
            "with disagreements, drawn per annotator with displaCy.",
        ),
    ] = None,
    html_articles: Annotated[
        int | None,
        typer.Option(
            "--html-articles",
            metavar="N",
            help="Draw at most N articles in the HTML report, worst first (default: all).",
        ),
    ] = None,
    scheme: Annotated[
        str | None,
        typer.Option(
            "--scheme",
            metavar="NAME_OR_FILE",
            help="Label scheme whose colours the HTML report uses (default: conflict).",
        ),
    ] = None,
    tokens: Annotated[
        str,
        typer.Option(
            "--tokens",
            metavar="UNIT",
            help="Unit of the token-level measures: spacy (each article's stored spaCy "
            "tokens, else spaCy's tokenizer) or whitespace (\\S+ runs, as bratiaa).",
        ),
    ] = "spacy",
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="LANG",
            help="Language of spaCy's tokenizer for articles without stored tokens "
            "(default: the project's, else en).",
        ),
    ] = None,
    fail_under: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-under",
            metavar="MEASURE=VALUE",
            help="Exit 1 when a measure's overall value is below VALUE (repeatable): "
            "span_f1, relaxed_f1, token_f1, token_kappa, token_pi, token_alpha.",
        ),
    ] = None,
) -> None:
    """Measure agreement over the articles finished (status done) by two or more
    annotators: pairwise span F1 (exact and relaxed) per pair, label and article, with
    mean and SD over pairs; token-level Cohen's kappa per pair and Krippendorff's alpha;
    a label confusion table and the three kinds of disagreement. JSON and CSV are for
    scripts (schema in the README); --fail-under makes the command a CI gate."""
    from annotator.domain.gates import check_gates, parse_fail_under

    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (choose table, json or csv)")
    if tokens not in ("spacy", "whitespace"):
        raise InputError(f"unknown --tokens {tokens!r} (choose spacy or whitespace)")
    gates = parse_fail_under(fail_under or [], known=[*GATES, *GATE_ALIASES])
    if html_articles is not None and html_articles < 1:
        raise InputError("--html-articles must be at least 1")
    for target in (out, html):
        if target is not None and target.is_dir():
            raise InputError("is a folder; name a file to write", path=target)
    from annotator.audit.report import json_chunks
    from annotator.services.agreement import measure

    colours = None
    if html is not None:
        from annotator.services.schemes import find_scheme

        colours = find_scheme(scheme)  # a bad scheme fails before any work is done
    # A SQLite file is measured through the stdlib alone: the store (SQLAlchemy) is
    # opened only for the HTML report, or for other databases.
    database = db or os.environ.get("ANNOTATOR_DB") or DEFAULT_DB
    from annotator.cli.launch import require_database

    require_database(database)  # a missing file is said, not created
    agreement = measure(
        database, annotators=annotators or None, labels=labels or None, tokens=tokens, lang=lang
    )
    for warning in agreement.warnings:
        warn(warning)
    report = agreement.report
    if out is not None:
        _write(out, report, fmt)
        echo(f"wrote {fmt} to {shown(out)}", err=True)
    elif fmt == "table":
        printer = console()
        for renderable in tables(report):
            printer.print(renderable)
    else:
        write_chunks(
            json_chunks(report) if fmt == "json" else _csv_chunks(report), json=fmt == "json"
        )
    if html is not None:
        from annotator.services.report import write_report

        store = open_db(db)
        try:
            drawn = write_report(
                store, html, agreement, scheme=colours, limit=html_articles, source=_source(store)
            )
        except OSError as exc:
            raise InputError(f"cannot write ({exc.strerror or exc})", path=html) from None
        echo(
            f"wrote HTML report to {shown(html)} ({drawn} article{'s' if drawn != 1 else ''} "
            "with disagreements)",
            err=True,
        )
    if gates:
        # After the output is written: a CI job keeps the figures of a failed gate.
        reason = check_gates(gate_values(report), gates)
        if reason is not None:
            raise InputError(f"agreement gate failed: {reason}")
