"""Plain JSONL articles: one object per line with ``text`` and optional ``title``, ``meta``, ``id``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from annotator.domain.errors import InputError
from annotator.domain.records import ArticleRecord
from annotator.domain.text import normalise_text
from annotator.formats.fileio import iter_json_lines, parse_json

SUFFIXES = (".jsonl", ".ndjson")

T = TypeVar("T")


def parse_json_line(line: str, path: Path, number: int) -> dict[str, Any] | None:
    """The JSON object on one line, None for a blank line, InputError for anything else
    (fileio.parse_json says what it refuses: NaN, deep nesting, NUL, lone surrogates...)."""
    try:
        value = parse_json(line, path, number)
    except InputError:
        if not line.strip():
            return None
        raise
    if type(value) is not dict:
        raise InputError(
            f"expected a JSON object, got {type(value).__name__}", path=path, line=number
        )
    return value


def read_records(
    path: Path, build: Callable[[dict[str, Any], Path, int], T]
) -> Iterator[T | InputError]:
    """Yield ``build(object, path, line number)`` (or the InputError of that line) for each
    non-blank line of a JSONL file: the reading loop of every JSONL exchange format, within
    fileio's bounds (line length, nesting, NaN, NUL, lone surrogates)."""
    for number, value in iter_json_lines(path):
        if type(value) is dict:
            try:
                yield build(value, path, number)
            except InputError as exc:
                yield exc
        elif isinstance(value, InputError):
            yield value
        else:
            yield InputError(
                f"expected a JSON object, got {type(value).__name__}", path=path, line=number
            )


def article_from_object(obj: dict[str, Any], path: Path, number: int) -> ArticleRecord:
    """Check the article fields of one JSON object and build its record."""
    text = obj.get("text")
    if type(text) is not str:
        if "text" not in obj:
            raise InputError("record has no 'text'", path=path, line=number)
        raise InputError(
            f"'text' must be a string, got {type(text).__name__}", path=path, line=number
        )
    title = obj.get("title") or ""
    if type(title) is not str:
        raise InputError(
            f"'title' must be a string, got {type(title).__name__}", path=path, line=number
        )
    meta = obj.get("meta") or {}
    if type(meta) is not dict:
        raise InputError(
            f"'meta' must be an object, got {type(meta).__name__}", path=path, line=number
        )
    external_id = obj.get("id")
    if external_id is not None:
        if not isinstance(external_id, str | int) or isinstance(external_id, bool):
            raise InputError("'id' must be a string or an integer", path=path, line=number)
        external_id = str(external_id)
    return ArticleRecord(
        text=normalise_text(text),
        title=normalise_text(title).strip() if title else "",
        source=path.name,
        meta=meta,
        external_id=external_id,
        where=f"{path}:{number}",
    )


def read(path: Path) -> Iterator[ArticleRecord | InputError]:
    """Yield one article (or the error that line has) per non-blank line of ``path``."""
    yield from read_records(path, article_from_object)
