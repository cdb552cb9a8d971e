"""Import articles, or annotated data in the exchange formats: find the files, read them,
store everything in one transaction."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.domain.errors import InputError
from annotator.domain.text import check_name, visible
from annotator.services.annotated_rows import (
    ANNOTATION,
    ARTICLE,
    SUGGESTIONS,
    RecordChecker,
    annotated_rows,
    finish_rows,
    unit_size,
)
from annotator.services.background import from_subprocess
from annotator.services.heap import bulk_collection
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
from annotator.store.articles import insert_articles
from annotator.store.engine import Store
from annotator.store.rows import add_hashes

if TYPE_CHECKING:
    from sqlalchemy import Connection

from annotator.store.staging import (
    StagedRecord,
    Staging,
    discard_staged,
    import_lock,
    publish_import,
    stage_records,
    stage_suggestions,
    staged_leftovers,
)

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
        with bulk_collection():
            _insert_messages(conn, messages, report, progress)
    return report


def _insert_messages(
    conn: Connection,
    messages: Iterable[tuple],
    report: ImportReport,
    progress: ProgressCallback | None,
) -> None:
    """Insert the reader's article rows; count duplicates, empty and invalid records."""
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


# Annotated inputs above this are read and checked in a child process (see annotated_rows).
ANNOTATED_SUBPROCESS_BYTES = 8_000_000
ANNOTATED_BATCH = 500  # records in the first staged chunk
STAGE_SECONDS = 0.25  # write-lock time each later chunk aims at


def resolve_format(fmt: str, paths: list[Path]) -> str:
    """The format name an import or export means: aliases resolved, and for ``auto`` the
    annotated format when every path is a file whose name ending says it unambiguously."""
    fmt = FORMAT_ALIASES.get(fmt, fmt)
    if fmt == "auto" and paths and all(path.is_file() for path in paths):
        found = {AUTO_ANNOTATED.get(path.suffix.lower()) for path in paths}
        if len(found) == 1 and (only := found.pop()) is not None:
            return only
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


class IdSet:
    """A set of article ids (positive ints) kept as a bitmap, one bit per id up to the
    highest: 125 KB for ids up to a million, where a set of ints takes about 60 bytes an
    id. Only adding and counting are needed."""

    def __init__(self) -> None:
        self.bits = bytearray()
        self.count = 0

    def update(self, ids: Iterable[int]) -> None:
        bits = self.bits
        for i in ids:
            byte, bit = divmod(i, 8)
            if byte >= len(bits):
                bits.extend(bytes(byte + 1 - len(bits) + len(bits) // 2))
            mask = 1 << bit
            if not bits[byte] & mask:
                bits[byte] |= mask
                self.count += 1

    def __contains__(self, i: int) -> bool:
        byte, bit = divmod(i, 8)
        return byte < len(self.bits) and bool(self.bits[byte] & (1 << bit))

    def __len__(self) -> int:
        return self.count


class _AnnotatedWriter:
    """Stages checked rows a chunk at a time, each chunk in a short write transaction of its
    own (hidden until the flip; see store.staging), then flips them all visible at once."""

    def __init__(self, store: Store, report: ImportReport):
        self.store = store
        self.report = report
        self.staging = Staging(store.engine.dialect.name)
        self.batch: list[tuple] = []
        self.chunk = ANNOTATED_BATCH
        self.articles = IdSet()
        self.sources: set[str] = set()
        self.annotators: set[str] = set()
        self.statuses: Counter[str] = Counter()
        self.not_imported: Counter[str] = Counter()
        self.committed = False  # a staged chunk of this import was committed

    def add(self, rows: list[tuple]) -> None:
        """Queue rows (see annotated_rows.prepared_rows); a full chunk is staged at once."""
        self.batch.extend(finish_rows(rows))
        if len(self.batch) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        """Stage the queued rows in one short write transaction; the next chunk's size aims
        at STAGE_SECONDS of holding the write lock."""
        if not self.batch:
            return
        staged = [
            StagedRecord(article, name, status, note, spans, payload)
            if kind == ANNOTATION
            else StagedRecord(article)
            for kind, name, article, status, note, spans, payload, _ in self.batch
        ]
        started = time.perf_counter()
        with self.store.write_connection() as conn:
            chunk = stage_records(conn, self.staging, staged)
            stage_suggestions(conn, self._suggestions(chunk.article_ids))
        self.committed = True
        took = time.perf_counter() - started
        self.chunk = max(100, min(20_000, int(len(staged) * STAGE_SECONDS / max(took, 1e-3))))
        report = self.report
        report.imported += chunk.added
        report.repeated += chunk.repeated
        self.articles.update(chunk.article_ids)
        for kind, name, _, status, _, spans, _, ignored in self.batch:
            if kind == ARTICLE:
                continue
            for what in ignored:
                count, _, what_kind = what.partition(" ")
                self.not_imported[what_kind] += int(count) if count.isdigit() else 1
            if kind == SUGGESTIONS:
                self.sources.add(name)
                continue
            self.annotators.add(name)
            self.statuses[status] += 1
            report.annotations += 1
            report.spans += len(spans)
        self.batch = []

    def _suggestions(self, article_ids: list[int]) -> list[tuple]:
        """The queued suggestion records as staged rows (see stage_suggestions)."""
        rows: list[tuple] = []
        for (kind, name, *_, spans, _, _), article_id in zip(self.batch, article_ids, strict=True):
            if kind != SUGGESTIONS:
                continue
            if spans:
                rows.extend((article_id, name, start, end, label) for start, end, label, _ in spans)
            else:
                rows.append((article_id, name, None, None, None))
        return rows

    def finish(self) -> None:
        """Stage what is still queued, then flip everything visible in one transaction
        (with every source's suggestions); fill in the report."""
        self.flush()
        with self.store.write_connection() as conn:
            self.report.suggestions = publish_import(conn, self.staging)
        self.report.articles = len(self.articles)
        self.report.annotators = sorted(self.annotators)
        self.report.sources = sorted(self.sources)
        self.report.statuses = dict(sorted(self.statuses.items()))
        self.report.not_imported = dict(sorted(self.not_imported.items()))

    def abandon(self) -> bool:
        """After a failure: remove what was staged. Returns True when the import had in
        fact been stored (the flip committed before the interruption arrived).

        The database decides: staged rows or the journal left mean the flip did not commit
        (they are removed); none left after a committed chunk means the flip removed them.
        """
        if _leftovers(self.store):
            discard_staged(self.store)
            return False
        return self.committed


class ImportInterrupted(KeyboardInterrupt):
    """Ctrl-C during an import, with what was stored: ``stored`` True when the import had
    been committed in full before the interruption, False when nothing of it remains."""

    def __init__(self, stored: bool, report: ImportReport):
        super().__init__()
        self.stored = stored
        self.report = report

    @property
    def message(self) -> str:
        if self.stored:
            return "interrupted after the import was stored: everything in it was imported"
        return "interrupted: nothing of this import was stored"


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
    checker = RecordChecker(
        annotator=annotator,
        as_suggestions=as_suggestions,
        scheme=find_scheme(scheme) if scheme else None,
    )
    report = ImportReport(format=fmt)
    paths = list(paths)
    units = _units(paths, fmt, report.ignored_files)
    report.files = len(units)
    size = sum(unit_size(unit) for unit in units)
    with import_lock(store):
        if _leftovers(store):
            discard_staged(store)  # a killed import's hidden rows and articles
        writer = _AnnotatedWriter(store, report)
        args = (units, fmt, spans_key, checker, skip_invalid, store.engine.dialect.name)
        messages = (
            from_subprocess(annotated_rows, *args)
            if size > ANNOTATED_SUBPROCESS_BYTES
            else annotated_rows(*args)
        )
        try:
            with bulk_collection():
                _stage_messages(messages, writer, report, progress)
            writer.finish()
        except KeyboardInterrupt:
            raise ImportInterrupted(writer.abandon(), report) from None
        except BaseException:
            writer.abandon()
            raise
        finally:
            close = getattr(messages, "close", None)
            if close is not None:
                close()
    return report


def _stage_messages(
    messages: Iterable[tuple],
    writer: _AnnotatedWriter,
    report: ImportReport,
    progress: ProgressCallback | None,
) -> None:
    """Hand the reader's rows to the writer; count its progress and invalid records."""
    for message in messages:
        kind = message[0]
        if kind == "rows":
            writer.add(message[1])
        elif kind == "progress":
            if progress is not None:
                progress(message[1], message[2])
        elif kind == "invalid":
            report.invalid.append(message[1])


def _leftovers(store: Store) -> bool:
    with store.engine.connect() as conn:
        return staged_leftovers(conn)
