"""Import articles from files: find them, read them, store them in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from annotator.domain.errors import InputError
from annotator.services.background import from_subprocess
from annotator.services.reading import (
    ARTICLE_READERS,
    ProgressCallback,
    collect_files,
    row_batches,
)
from annotator.store.articles import insert_articles
from annotator.store.engine import Store
from annotator.store.rows import add_hashes

# Inputs larger than this are parsed in a child process while this one inserts; below
# it, starting a process would cost more than it saves.
SUBPROCESS_THRESHOLD_BYTES = 16_000_000


@dataclass
class ImportReport:
    """What an import did: counts, and the bad records it skipped (with --skip-invalid)."""

    files: int = 0
    imported: int = 0
    duplicates: int = 0
    empty: int = 0
    invalid: list[str] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)


def import_articles(
    store: Store,
    paths: Iterable[Path],
    *,
    fmt: str = "auto",
    skip_invalid: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import every article in ``paths`` atomically.

    The first bad record raises InputError and nothing of the import is stored, unless
    ``skip_invalid``, which stores the good records and lists the bad ones in the report.
    Articles whose normalised text is already stored are counted as duplicates, not added.
    """
    if fmt != "auto" and fmt not in ARTICLE_READERS:
        raise InputError(f"unknown format {fmt!r} (known: auto, {', '.join(ARTICLE_READERS)})")
    report = ImportReport()
    files = collect_files(list(paths), fmt, ARTICLE_READERS, report.ignored_files)
    report.files = len(files)
    size = sum(path.stat().st_size for path, _ in files)
    with store.write_connection() as conn:
        args = (files, skip_invalid, conn.dialect.name)
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
    return report
