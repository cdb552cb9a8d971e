"""Import articles, or annotated data in the exchange formats: find the files, read them,
store everything in one transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session

from annotator.domain.errors import InputError
from annotator.domain.records import AnnotatedRecord, ArticleRecord
from annotator.domain.scheme import LabelScheme
from annotator.domain.spans import Span
from annotator.domain.spans import Suggestion as SuggestionValue
from annotator.domain.text import check_name, visible
from annotator.services.background import from_subprocess
from annotator.services.reading import (
    ANNOTATED_FORMATS,
    ARTICLE_READERS,
    AUTO_ANNOTATED,
    FORMAT_ALIASES,
    ProgressCallback,
    collect_files,
    row_batches,
)
from annotator.services.schemes import find_scheme
from annotator.store.annotations import save_annotation
from annotator.store.articles import ensure_articles, insert_articles
from annotator.store.engine import Store
from annotator.store.rows import add_hashes
from annotator.store.suggestions import replace_suggestions

# Inputs larger than this are parsed in a child process while this one inserts; below
# it, starting a process would cost more than it saves.
SUBPROCESS_THRESHOLD_BYTES = 16_000_000


@dataclass
class ImportReport:
    """What an import did: counts, and the bad records it skipped (with --skip-invalid).

    For annotated formats also: the annotations (by status) and suggestions stored, the
    articles they are on (``imported`` of them new), who annotated, records that repeated
    an (article, annotator) pair of the same import (the later one is kept), and what the
    records held that is not imported (``not_imported``: relations, other result types...).
    """

    files: int = 0
    imported: int = 0
    duplicates: int = 0
    empty: int = 0
    invalid: list[str] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    format: str = ""
    articles: int = 0
    annotations: int = 0
    spans: int = 0
    suggestions: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    annotators: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    repeated: int = 0
    not_imported: dict[str, int] = field(default_factory=dict)
    trimmed_lines: int = 0
    trimmed_articles: int = 0


def import_articles(
    store: Store,
    paths: Iterable[Path],
    *,
    fmt: str = "auto",
    skip_invalid: bool = False,
    progress: ProgressCallback | None = None,
    keep_boilerplate: bool = False,
) -> ImportReport:
    """Import every article in ``paths`` atomically.

    Site furniture repeated across the articles (see domain.scraped) is trimmed from the
    stored text, what was trimmed kept in each article's ``meta["trimmed"]``, unless
    ``keep_boilerplate``; articles without a title get the detected headline.

    The first bad record raises InputError and nothing of the import is stored, unless
    ``skip_invalid``, which stores the good records and lists the bad ones in the report.
    Articles whose normalised text is already stored are counted as duplicates, not added.
    """
    if fmt != "auto" and fmt not in ARTICLE_READERS:
        raise InputError(
            f"unknown format {visible(fmt)!r} (known: auto, {', '.join(ARTICLE_READERS)}, "
            f"{', '.join(ANNOTATED_FORMATS)})"
        )
    report = ImportReport()
    files = collect_files(list(paths), fmt, ARTICLE_READERS, report.ignored_files)
    report.files = len(files)
    size = sum(path.stat().st_size for path, _ in files)
    with store.write_connection() as conn:
        args = (files, skip_invalid, conn.dialect.name, keep_boilerplate)
        messages = (
            from_subprocess(row_batches, *args)
            if size > SUBPROCESS_THRESHOLD_BYTES
            else row_batches(*args)
        )
        for message in messages:
            kind = message[0]
            if kind == "rows":
                rows = message[1]
                added = insert_articles(conn, add_hashes(rows))
                report.imported += added
                report.duplicates += len(rows) - added
            elif kind == "progress":
                if progress is not None:
                    progress(message[1], message[2])
            elif kind == "empty":
                report.empty += 1
            elif kind == "invalid":
                report.invalid.append(message[1])
            elif kind == "trimmed":
                report.trimmed_lines, report.trimmed_articles = message[1], message[2]
    return report


ANNOTATED_BATCH = 500


def resolve_format(fmt: str, paths: list[Path]) -> str:
    """The format name an import or export means: aliases resolved, and for ``auto`` the
    annotated format when every path is a file whose name ending says it unambiguously."""
    fmt = FORMAT_ALIASES.get(fmt, fmt)
    if fmt == "auto" and paths and all(path.is_file() for path in paths):
        found = {AUTO_ANNOTATED.get(path.suffix.lower()) for path in paths}
        if len(found) == 1 and None not in found:
            return found.pop()  # type: ignore[return-value]
    return fmt


def import_files(
    store: Store,
    paths: Iterable[Path],
    *,
    fmt: str = "auto",
    annotator: str | None = None,
    as_suggestions: str | None = None,
    scheme: str | None = None,
    spans_key: str | None = None,
    skip_invalid: bool = False,
    progress: ProgressCallback | None = None,
    keep_boilerplate: bool = False,
) -> ImportReport:
    """Import plain articles (txt, jsonl) or annotated data (every format of
    ANNOTATED_FORMATS), whichever ``fmt`` names; see import_articles and import_annotations."""
    paths = list(paths)
    fmt = resolve_format(fmt, paths)
    if fmt in ANNOTATED_FORMATS:
        if keep_boilerplate:
            raise InputError("--keep-boilerplate applies to plain articles (txt, jsonl) only")
        return import_annotations(
            store,
            paths,
            fmt=fmt,
            annotator=annotator,
            as_suggestions=as_suggestions,
            scheme=scheme,
            spans_key=spans_key,
            skip_invalid=skip_invalid,
            progress=progress,
        )
    given = [
        name
        for name, value in (
            ("--annotator", annotator),
            ("--as-suggestions", as_suggestions),
            ("--scheme", scheme),
            ("--spans-key", spans_key),
        )
        if value
    ]
    if given:
        raise InputError(
            f"{', '.join(given)} only apply to annotated formats "
            f"({', '.join(ANNOTATED_FORMATS)}); pass --format"
        )
    return import_articles(
        store,
        paths,
        fmt=fmt,
        skip_invalid=skip_invalid,
        progress=progress,
        keep_boilerplate=keep_boilerplate,
    )


def _units(paths: list[Path], fmt: str, ignored: list[str]) -> list[Path]:
    """What the format's reader is given: brat reads whole folders (its annotators are the
    subfolders); the others read files, found in folders by their name endings."""
    if fmt == "brat":
        for path in paths:
            if not path.exists():
                raise InputError("no such file or folder", path=path)
        return paths
    return [path for path, _ in collect_files(paths, fmt, {fmt: ANNOTATED_FORMATS[fmt]}, ignored)]


class _AnnotatedWriter:
    """Stores checked records a batch at a time inside the import's one transaction."""

    def __init__(
        self,
        session: Session,
        report: ImportReport,
        *,
        annotator: str | None,
        as_suggestions: str | None,
        labels: LabelScheme | None,
    ):
        self.session = session
        self.report = report
        self.annotator = annotator
        self.as_suggestions = as_suggestions
        self.scheme = labels
        self.batch: list[tuple[AnnotatedRecord | ArticleRecord, str]] = []
        self.articles: set[int] = set()
        self.owners: set[tuple[int, str]] = set()
        self.suggested: dict[tuple[int, str], set[Span]] = {}
        self.annotators: set[str] = set()
        self.statuses: Counter[str] = Counter()
        self.not_imported: Counter[str] = Counter()

    def check(self, item: AnnotatedRecord | ArticleRecord, fallback: str) -> str:
        """Who the record is by (or which source suggested it); InputError when the name
        cannot be used or a label is outside the fixed scheme."""
        if isinstance(item, ArticleRecord):
            return ""
        where = item.article.where
        if self.scheme is not None:
            names = self.scheme.names
            for span in item.spans:
                if span.label not in names:
                    raise InputError(
                        f"label {visible(span.label)!r} is not in scheme {self.scheme.name} "
                        f"({', '.join(names)})",
                        path=where,
                    )
        if item.suggested_by is not None:
            name, what = item.suggested_by, "suggestion source"
        elif self.as_suggestions is not None:
            name, what = self.as_suggestions, "suggestion source"
        elif self.annotator is not None:
            name, what = self.annotator, "annotator name"
        elif item.annotator is not None:
            name, what = item.annotator, "annotator name"
        else:
            problem = check_name(fallback)
            if problem:
                raise InputError(
                    f"the data does not say who annotated it, and the file name {fallback!r} "
                    "cannot be an annotator name; pass --annotator NAME",
                    path=where,
                )
            return fallback
        problem = check_name(name, what)
        if problem:
            raise InputError(problem, path=where)
        return name

    def add(self, item: AnnotatedRecord | ArticleRecord, name: str) -> None:
        """Queue a checked record; a full batch is stored at once."""
        self.batch.append((item, name))
        if len(self.batch) >= ANNOTATED_BATCH:
            self.flush()

    def flush(self) -> None:
        """Store the queued records: new articles in one executemany, then annotations."""
        if not self.batch:
            return
        articles = [
            item if isinstance(item, ArticleRecord) else item.article for item, _ in self.batch
        ]
        ids, added = ensure_articles(self.session.connection(), articles)
        self.report.imported += added
        for (item, name), article_id in zip(self.batch, ids, strict=True):
            self.articles.add(article_id)
            if isinstance(item, ArticleRecord):
                continue
            for what in item.ignored:
                count, _, kind = what.partition(" ")
                self.not_imported[kind] += int(count) if count.isdigit() else 1
            if item.suggested_by is not None or self.as_suggestions is not None:
                self.suggested.setdefault((article_id, name), set()).update(item.spans)
                continue
            if (article_id, name) in self.owners:
                self.report.repeated += 1
            self.owners.add((article_id, name))
            save_annotation(
                self.session,
                article_id=article_id,
                annotator=name,
                spans=item.spans,
                status=item.status,
                note=item.note,
            )
            self.annotators.add(name)
            self.statuses[item.status.value] += 1
            self.report.annotations += 1
            self.report.spans += len(item.spans)
        self.batch = []

    def finish(self) -> None:
        """Store what is still queued and every source's suggestions; fill in the report."""
        self.flush()
        sources: set[str] = set()
        for (article_id, source), spans in sorted(self.suggested.items()):
            self.report.suggestions += replace_suggestions(
                self.session,
                article_id=article_id,
                source=source,
                suggestions=[
                    SuggestionValue(s.start, s.end, s.label, source) for s in sorted(spans)
                ],
            )
            sources.add(source)
        self.report.articles = len(self.articles)
        self.report.annotators = sorted(self.annotators)
        self.report.sources = sorted(sources)
        self.report.statuses = dict(sorted(self.statuses.items()))
        self.report.not_imported = dict(sorted(self.not_imported.items()))


def import_annotations(
    store: Store,
    paths: Iterable[Path],
    *,
    fmt: str,
    annotator: str | None = None,
    as_suggestions: str | None = None,
    scheme: str | None = None,
    spans_key: str | None = None,
    skip_invalid: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import annotated data in format ``fmt`` atomically: one transaction, and the first
    bad record stops it with nothing stored unless ``skip_invalid``.

    Each record's annotator comes from the data (or, where the data does not say, from the
    name of the file, or for brat of the annotator's folder); ``annotator`` overrides it.
    ``as_suggestions`` stores the spans as that source's suggestions instead. With
    ``scheme``, every label must be one of that scheme's. Records of the same normalised
    text join the same article.
    """
    fmt = FORMAT_ALIASES.get(fmt, fmt)
    if fmt not in ANNOTATED_FORMATS:
        raise InputError(f"unknown format {fmt!r} (known: {', '.join(ANNOTATED_FORMATS)})")
    for value, what in ((annotator, "annotator name"), (as_suggestions, "suggestion source")):
        problem = check_name(value, what) if value is not None else None
        if problem:
            raise InputError(problem)
    if spans_key is not None and fmt != "spacy":
        raise InputError("--spans-key applies to the spacy format only")
    fixed = find_scheme(scheme) if scheme else None
    module = ANNOTATED_FORMATS[fmt]
    report = ImportReport(format=fmt)
    paths = list(paths)
    units = _units(paths, fmt, report.ignored_files)
    report.files = len(units)
    sizes = [_size(unit) for unit in units]
    total, done = sum(sizes), 0
    with store.write() as session:
        writer = _AnnotatedWriter(
            session, report, annotator=annotator, as_suggestions=as_suggestions, labels=fixed
        )
        for unit, size in zip(units, sizes, strict=True):
            fallback = unit.name if unit.is_dir() else unit.stem
            items = module.read(unit, spans_key=spans_key) if fmt == "spacy" else module.read(unit)
            for item in items:
                try:
                    if isinstance(item, InputError):
                        raise item
                    name = writer.check(item, fallback)
                except InputError as exc:
                    if not skip_invalid:
                        raise
                    report.invalid.append(str(exc))
                    continue
                writer.add(item, name)
            done += size
            if progress is not None:
                progress(done, total)
        writer.finish()
    return report


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size
