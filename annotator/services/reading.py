"""Reading article files into batches of stored-form rows.

This module imports no database code: for a large import it runs in a child process (see
background.from_subprocess) while the parent process inserts the previous batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType

from annotator.domain.errors import InputError
from annotator.domain.records import ArticleRecord
from annotator.domain.scraped import GroupCleaner
from annotator.formats import brat, conll, docbin, doccano, jsonl, labelstudio, plaintext, prodigy
from annotator.store.rows import article_rows

# Readers of plain articles by format name. Each module has SUFFIXES and read(path).
ARTICLE_READERS: dict[str, ModuleType] = {"txt": plaintext, "jsonl": jsonl}

# Formats that carry annotations, by the name `--format` takes; each module reads
# (read(path) yields AnnotatedRecord | ArticleRecord | InputError) and writes.
ANNOTATED_FORMATS: dict[str, ModuleType] = {
    "spacy": docbin,
    "prodigy": prodigy,
    "doccano": doccano,
    "label-studio": labelstudio,
    "brat": brat,
    "conll": conll,
}
FORMAT_ALIASES = {"docbin": "spacy", "labelstudio": "label-studio"}
# Written as one file (--out names the file); the others fill a folder.
SINGLE_FILE_FORMATS = frozenset({"prodigy", "label-studio", "conll"})
# Unambiguous file name endings that `--format auto` takes for an annotated format.
AUTO_ANNOTATED = {".spacy": "spacy", ".conll": "conll", ".iob": "conll", ".json": "label-studio"}

BATCH_SIZE = 2000
ProgressCallback = Callable[[int, int], None]  # (bytes read so far, total bytes)


def format_for(path: Path, readers: dict[str, ModuleType]) -> str | None:
    """The reader name whose suffixes match ``path``, or None."""
    suffix = path.suffix.lower()
    for name, module in readers.items():
        if suffix in module.SUFFIXES:
            return name
    return None


# File types people bring that no reader takes, named in the error.
UNSUPPORTED = {
    ".docx": "Word",
    ".doc": "Word",
    ".odt": "OpenDocument",
    ".pdf": "PDF",
    ".rtf": "RTF",
    ".html": "HTML",
    ".htm": "HTML",
    ".xml": "XML",
    ".csv": "CSV",
    ".xlsx": "Excel",
    ".md": "Markdown",
    ".epub": "EPUB",
}


def unsupported(path: Path, readers: dict[str, ModuleType]) -> str:
    """Why ``path`` cannot be imported by its name: an unsupported type named, else the
    formats to choose from."""
    known = ", ".join(f"{name} ({' '.join(module.SUFFIXES)})" for name, module in readers.items())
    kind = UNSUPPORTED.get(path.suffix.lower())
    if kind:
        return (
            f"{path.suffix} files ({kind}) are not supported: save the text as .txt, or "
            f"use one of {known}; annotated data: --format "
            f"{', '.join(ANNOTATED_FORMATS)}"
        )
    return (
        f"cannot tell the format from the name {path.name!r}: plain articles are {known}; "
        f"annotated data needs --format ({', '.join(ANNOTATED_FORMATS)})"
    )


def collect_files(
    paths: Iterable[Path], fmt: str, readers: dict[str, ModuleType], ignored: list[str]
) -> list[tuple[Path, str]]:
    """Expand folders (recursively, sorted, hidden files left out) into (file, format)
    pairs; files in folders that no reader takes are added to ``ignored``."""
    found: list[tuple[Path, str]] = []
    for path in paths:
        if not path.exists():
            raise InputError("no such file or folder", path=path)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue
                child_fmt = format_for(child, readers)
                if fmt != "auto" and child_fmt != fmt:
                    child_fmt = None
                if child_fmt is None:
                    ignored.append(str(child))
                else:
                    found.append((child, child_fmt))
            continue
        file_fmt = fmt if fmt != "auto" else format_for(path, readers)
        if file_fmt is None:
            raise InputError(unsupported(path, readers), path=path)
        found.append((path, file_fmt))
    return found


def row_batches(
    files: list[tuple[Path, str]],
    skip_invalid: bool,
    dialect: str,
    keep_boilerplate: bool = False,
) -> Iterator[tuple]:
    """Messages for the importer: ("rows", [row, ...]), ("progress", done, total),
    ("empty",), ("invalid", message) and, when furniture was trimmed, at the end
    ("trimmed", lines, articles). The first
    bad record raises its InputError unless ``skip_invalid``.

    Articles go through domain.scraped.GroupCleaner: one group is the .txt files of the
    import, or one JSONL file; each gets a title when it came without one, and the group's
    furniture is trimmed unless ``keep_boilerplate``."""
    total = sum(path.stat().st_size for path, _ in files)
    cleaner = GroupCleaner(keep=keep_boilerplate)
    batch: list[ArticleRecord] = []
    done = 0
    for path, fmt in files:
        size = path.stat().st_size
        estimate = 0
        group = "txt" if fmt == "txt" else str(path)
        for item in ARTICLE_READERS[fmt].read(path):
            if type(item) is not ArticleRecord:
                if not skip_invalid:
                    raise item
                yield ("invalid", str(item))
                continue
            if not item.text.strip():
                yield ("empty",)
                continue
            batch.extend(cleaner.feed(item, group))
            # Text length approximates the bytes behind a record; corrected per file.
            estimate += len(item.text)
            if len(batch) >= BATCH_SIZE:
                yield ("rows", article_rows(batch, dialect))
                yield ("progress", done + min(size, estimate), total)
                batch = []
        done += size
        yield ("progress", done, total)
    batch.extend(cleaner.flush())
    if batch:
        yield ("rows", article_rows(batch, dialect))
    if cleaner.trimmed_lines:
        yield ("trimmed", cleaner.trimmed_lines, cleaner.trimmed_articles)
