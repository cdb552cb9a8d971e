"""What the annotated formats share: building checked records, article metadata, span
problems on export, and file names that are safe for annotator and document names."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypedDict

from annotator.domain.errors import ExportError, InputError
from annotator.domain.records import AnnotatedRecord, ArticleRecord
from annotator.domain.spans import Origin, Span, Status, check_span
from annotator.domain.text import (
    check_name,
    is_normalised,
    normalise_text,
    normalise_with_offsets,
    visible,
)
from annotator.formats.fileio import character_problem

# Article fields that travel inside a format's metadata object, next to the article's own
# meta: on export they are added to it, on import taken out of it again.
META_TITLE, META_SOURCE, META_ID = "title", "source", "id"


class RawSpan(NamedTuple):
    """A span as a file gives it, before checks: offsets into the file's own text, and the
    span's text where the format repeats it (None where it does not). A named tuple: an
    import makes one per span, and a plain ``(start, end, label, text)`` tuple does too."""

    start: Any
    end: Any
    label: Any
    text: str | None = None


def article_meta(article: ArticleRecord) -> dict[str, Any]:
    """The article's meta with its title, source and external id added (when set)."""
    meta = dict(article.meta)
    if article.title:
        meta[META_TITLE] = article.title
    if article.source:
        meta[META_SOURCE] = article.source
    if article.external_id is not None:
        meta[META_ID] = article.external_id
    return meta


def split_meta(
    meta: dict[str, Any], path: Path, line: int | None
) -> tuple[str, str | None, str | None, dict[str, Any]]:
    """The inverse of article_meta: (title, source, external id, the rest)."""
    rest = dict(meta)
    title = rest.pop(META_TITLE, "") or ""
    source = rest.pop(META_SOURCE, None)
    external_id = rest.pop(META_ID, None)
    if not isinstance(title, str):
        raise InputError(f"meta '{META_TITLE}' must be a string", path=path, line=line)
    if source is not None and not isinstance(source, str):
        raise InputError(f"meta '{META_SOURCE}' must be a string", path=path, line=line)
    if external_id is not None:
        if isinstance(external_id, bool) or not isinstance(external_id, str | int):
            raise InputError(
                f"meta '{META_ID}' must be a string or an integer", path=path, line=line
            )
        external_id = str(external_id)
    return title, source, external_id, rest


def describe_span(start: Any, end: Any, label: Any) -> str:
    """A span as messages show it: ``[3, 9) LOC``."""
    return f"[{start!r}, {end!r}) {visible(str(label))}"


class Location(TypedDict):
    """Where a record's problems are reported: InputError's ``path`` and ``line``."""

    path: str | Path
    line: int | None


# Labels that passed check_name already: the check is skipped for them (a bounded cache).
_GOOD_LABELS: set[str] = set()


def build_record(
    text: Any,
    spans: Sequence[RawSpan] | Sequence[tuple[Any, Any, Any, Any]],
    *,
    path: Path,
    line: int | None = None,
    where: str | None = None,
    annotator: str | None = None,
    status: Status = Status.DONE,
    note: str = "",
    title: str = "",
    source: str | None = None,
    external_id: str | None = None,
    meta: dict[str, Any] | None = None,
    suggested_by: str | None = None,
    ignored: list[str] | None = None,
) -> AnnotatedRecord:
    """Check a record read from a file and build it, or raise InputError naming the file,
    the line (or ``where``) and the span at fault.

    Offsets are checked against the text exactly as the file has it (inside it, not empty,
    and equal to the span text where the format repeats it), then the text is normalised
    (NFC, ``\\r\\n`` to ``\\n``) and the offsets moved with it. Identical spans given twice
    are stored once.
    """
    location: Location = {"path": where or path, "line": None if where else line}
    if type(text) is not str:
        raise InputError(
            "record has no 'text'" if text is None else "'text' must be a string", **location
        )
    problem = character_problem(text)
    if problem:
        raise InputError(f"'text' {problem}", **location)
    checked: list[tuple[int, int, str]] = []
    length = len(text)
    for index, (start, end, label, span_text) in enumerate(spans, 1):
        # The common case in one test; any doubt goes through every check in order, so
        # that the message names the first problem (built only when there is one).
        if (
            type(start) is int
            and type(end) is int
            and 0 <= start < end <= length
            and type(label) is str
            and label in _GOOD_LABELS
            and (span_text is None or span_text == text[start:end])
        ):
            checked.append((start, end, label))
            continue
        if not isinstance(span_text, str):
            span_text = None  # a span text that is not a string is not compared
        what = f"span {index} {describe_span(start, end, label)}"
        if type(start) is not int or type(end) is not int:
            raise InputError(f"{what}: offsets must be integers", **location)
        problem = check_span(start, end, length)
        if problem:
            raise InputError(f"{what}: {problem}", **location)
        if type(label) is not str:
            raise InputError(f"{what}: label must be a string", **location)
        problem = check_name(label, "label")
        if problem:
            raise InputError(f"{what}: {problem}", **location)
        if span_text is not None and span_text != text[start:end]:
            raise InputError(
                f"{what}: span text {visible(span_text)!r} does not match the text there "
                f"({visible(text[start:end])!r})",
                **location,
            )
        if len(_GOOD_LABELS) < 10_000:
            _GOOD_LABELS.add(label)
        checked.append((start, end, label))
    # Duplicates out and sorted as plain tuples (Span orders by start, end, label too).
    if is_normalised(text):
        normalised, keys = text, sorted(set(checked))
    else:
        try:
            normalised, moved = normalise_with_offsets(
                text, (offset for start, end, _ in checked for offset in (start, end))
            )
        except ValueError as exc:
            raise InputError(f"a span {exc}", **location) from None
        keys = sorted({(moved[s], moved[e], label) for s, e, label in checked})
    manual = Origin.MANUAL
    unique = [Span(start, end, label, manual) for start, end, label in keys]
    article = ArticleRecord(
        text=normalised,
        title=normalise_text(title).strip() if title else "",
        source=source if source is not None else path.name,
        meta=meta or {},
        external_id=external_id,
        where=str(where or (f"{path}:{line}" if line is not None else path)),
    )
    return AnnotatedRecord(
        article=article,
        spans=unique,
        annotator=annotator,
        status=status,
        note=note,
        suggested_by=suggested_by,
        ignored=ignored or [],
    )


def export_where(record: AnnotatedRecord) -> str:
    """How export messages name the article of a record: ``article 12 “Title”``."""
    title = record.article.title
    name = f"article {record.article_id}" if record.article_id is not None else "article"
    return f"{name} “{title[:60]}”" if title else name


def export_json(value: Any, record: AnnotatedRecord, **options: Any) -> str:
    """``value`` as standard JSON text (``json.dumps`` with ``allow_nan=False``); a NaN or
    infinite number, which only data stored before imports refused them can hold, is an
    ExportError naming the record's article instead of a non-standard ``NaN`` in the file."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, **options)
    except ValueError:
        raise ExportError(
            f"{export_where(record)}: its metadata holds NaN or Infinity, which standard JSON "
            "cannot hold; set those values to null or a number and export again"
        ) from None


@dataclass
class SpanProblems:
    """Spans a format cannot hold, found while exporting. Without ``skip_invalid`` the first
    one stops the export (ExportError); with it, the span is left out and listed here."""

    skip_invalid: bool
    found: list[str] = field(default_factory=list)

    def report(self, record: AnnotatedRecord, span: Span, reason: str) -> None:
        """Record (or raise) the problem of one span of one record."""
        text = record.article.text[span.start : span.end]
        message = (
            f"{export_where(record)}: span [{span.start}, {span.end}) {span.label} "
            f"{text[:60]!r}: {reason}"
        )
        if record.annotator:
            message += f" (annotator {record.annotator})"
        if not self.skip_invalid:
            raise ExportError(message + "; --skip-invalid leaves such spans out and lists them")
        self.found.append(message)


_UNSAFE = re.compile(r"[^\w.\-@+]")


def safe_file_name(name: str) -> str:
    """``name`` itself when it can be a file name on every platform; otherwise a cleaned
    form with a short hash of the name, so that two different names never collide."""
    cleaned = _UNSAFE.sub("_", name).lstrip(".")[:80]
    if cleaned == name and name.upper() not in _RESERVED_WINDOWS_NAMES:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned or 'unnamed'}-{digest}"


_RESERVED_WINDOWS_NAMES = {"CON", "PRN", "AUX", "NUL"} | {
    f"{base}{n}" for base in ("COM", "LPT") for n in range(1, 10)
}


def group_by_article(records: Iterable[AnnotatedRecord]) -> Iterable[list[AnnotatedRecord]]:
    """Consecutive records of the same article, as lists (exports arrive ordered by article)."""
    group: list[AnnotatedRecord] = []
    for record in records:
        if group and record.article_id != group[0].article_id:
            yield group
            group = []
        group.append(record)
    if group:
        yield group
