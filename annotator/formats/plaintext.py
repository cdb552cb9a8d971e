"""Plain text articles: one ``.txt`` file per article, read without a title: the importer
finds the headline (domain.scraped.detect_title), knowing the furniture of the import."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from annotator.domain.errors import InputError
from annotator.domain.records import ArticleRecord
from annotator.domain.text import normalise_text
from annotator.formats.fileio import read_text

SUFFIXES = (".txt",)


def read(path: Path) -> Iterator[ArticleRecord | InputError]:
    """Yield the article in ``path`` (its text empty for a blank file), or the error."""
    try:
        text = normalise_text(read_text(path))
    except InputError as exc:
        yield exc
        return
    yield ArticleRecord(text=text, title="", source=path.name, where=str(path))
