"""Reading annotated files into checked rows ready to stage, without any database code.

For a large import this runs in a child process (see background.from_subprocess) while the
importing process stages the previous rows: parsing and checking spans is about half the
work of an annotated import, and a process (unlike a thread) really runs on the other core.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from annotator.domain.errors import InputError
from annotator.domain.records import AnnotatedRecord, ArticleRecord
from annotator.domain.scheme import LabelScheme
from annotator.domain.spans import Origin
from annotator.domain.text import check_name, visible
from annotator.services.reading import ANNOTATED_FORMATS
from annotator.store.rows import add_hashes, article_rows

ROWS_BATCH = 500

# What a row says it is: an article alone, one annotator's annotation, or a source's
# suggestions for the article.
ARTICLE, ANNOTATION, SUGGESTIONS = "article", "annotation", "suggestions"


class RecordChecker:
    """Decides who each record is by, and refuses names and labels that cannot be used."""

    def __init__(
        self, *, annotator: str | None, as_suggestions: str | None, scheme: LabelScheme | None
    ):
        self.annotator = annotator
        self.as_suggestions = as_suggestions
        self.scheme = scheme
        self.names: set[str] = set(scheme.names) if scheme is not None else set()
        # Names already checked: file-name fallbacks, and (name, what) pairs.
        self.good: set[str | tuple[str, str]] = set()

    def check(self, item: AnnotatedRecord | ArticleRecord, fallback: str) -> tuple[str, str]:
        """(what the record holds, whose): ARTICLE with "", ANNOTATION with the annotator,
        SUGGESTIONS with the source; InputError when the name cannot be used or a label
        is outside the fixed scheme."""
        if isinstance(item, ArticleRecord):
            return ARTICLE, ""
        where = item.article.where
        if self.scheme is not None:
            for span in item.spans:
                if span.label not in self.names:
                    raise InputError(
                        f"label {visible(span.label)!r} is not in scheme {self.scheme.name} "
                        f"({', '.join(self.scheme.names)})",
                        path=where,
                    )
        kind = ANNOTATION
        if item.suggested_by is not None:
            name, what, kind = item.suggested_by, "suggestion source", SUGGESTIONS
        elif self.as_suggestions is not None:
            name, what, kind = self.as_suggestions, "suggestion source", SUGGESTIONS
        elif self.annotator is not None:
            name, what = self.annotator, "annotator name"
        elif item.annotator is not None:
            name, what = item.annotator, "annotator name"
        else:
            if fallback not in self.good:
                if check_name(fallback):
                    raise InputError(
                        f"the data does not say who annotated it, and the file name "
                        f"{fallback!r} cannot be an annotator name; pass --annotator NAME",
                        path=where,
                    )
                self.good.add(fallback)
            return kind, fallback
        if (name, what) not in self.good:
            problem = check_name(name, what)
            if problem:
                raise InputError(problem, path=where)
            if len(self.good) < 10_000:
                self.good.add((name, what))
        return kind, name


def prepared_rows(
    batch: list[tuple[AnnotatedRecord | ArticleRecord, str, str]], dialect: str
) -> list[tuple]:
    """Rows for checked (record, kind, name) triples: (kind, name, article row without
    its content hash, status, note, spans as (start, end, label, origin) tuples, the
    import event's payload (JSON text; "" but for an annotation), what the record held
    that is not imported). The importing process adds the hash (see finish_rows). In a
    large import this runs in a child process; where each share runs was measured at
    10,000 x 3: the payloads made in the importing process instead were no faster."""
    articles = article_rows(
        [item if isinstance(item, ArticleRecord) else item.article for item, _, _ in batch],
        dialect,
    )
    rows: list[tuple] = []
    origin_value = {origin: origin.value for origin in Origin}
    for (item, kind, name), article in zip(batch, articles, strict=True):
        if kind == ARTICLE:
            rows.append((kind, name, article, "", "", [], "", []))
            continue
        assert isinstance(item, AnnotatedRecord)
        spans = [(s.start, s.end, s.label, origin_value[s.origin]) for s in item.spans]
        status = item.status.value
        payload = event_payload(status, spans) if kind == ANNOTATION else ""
        rows.append((kind, name, article, status, item.note, spans, payload, item.ignored))
    return rows


def finish_rows(rows: list[tuple]) -> list[tuple]:
    """prepared_rows' rows completed: the article row with its content hash first."""
    hashed = add_hashes([row[2] for row in rows])
    return [(*row[:2], article, *row[3:]) for row, article in zip(rows, hashed, strict=True)]


# JSON strings of labels, origins and statuses already written (a bounded cache).
_QUOTED: dict[str, str] = {}


def _quoted(value: str) -> str:
    found = _QUOTED.get(value)
    if found is None:
        found = json.dumps(value)
        if len(_QUOTED) < 10_000:
            _QUOTED[value] = found
    return found


def event_payload(status: str, spans: list[tuple[int, int, str, str]]) -> str:
    """``json.dumps({"status": status, "spans": spans})``, the same text, made with a
    format per span and each label's JSON string written once: json.dumps took about a
    microsecond a span, a second of a 10,000 x 3 import. Offsets that are not plain ints
    (never, from the readers) go through json.dumps itself."""
    quoted = _quoted
    try:
        body = ", ".join(
            f"[{start}, {end}, {quoted(label)}, {quoted(origin)}]"
            if type(start) is int and type(end) is int
            else _not_plain()
            for start, end, label, origin in spans
        )
    except _NotPlain:
        return json.dumps({"status": status, "spans": spans})
    return f'{{"status": {quoted(status)}, "spans": [{body}]}}'


class _NotPlain(Exception):
    pass


def _not_plain() -> str:
    raise _NotPlain


def annotated_rows(
    units: list[Path],
    fmt: str,
    spans_key: str | None,
    checker: RecordChecker,
    skip_invalid: bool,
    dialect: str,
) -> Iterator[tuple]:
    """Messages for the importer: ("rows", [row, ...]) (see prepared_rows), ("invalid",
    message) and ("progress", bytes done, bytes in all). The first bad record raises its
    InputError unless ``skip_invalid``."""
    module = ANNOTATED_FORMATS[fmt]
    sizes = [unit_size(unit) for unit in units]
    total, done = sum(sizes), 0
    batch: list[tuple] = []
    for unit, size in zip(units, sizes, strict=True):
        fallback = unit.name if unit.is_dir() else unit.stem
        items = module.read(unit, spans_key=spans_key) if fmt == "spacy" else module.read(unit)
        for item in items:
            try:
                if isinstance(item, InputError):
                    raise item
                kind, name = checker.check(item, fallback)
            except InputError as exc:
                if not skip_invalid:
                    raise
                yield ("invalid", str(exc))
                continue
            batch.append((item, kind, name))
            if len(batch) >= ROWS_BATCH:
                yield ("rows", prepared_rows(batch, dialect))
                batch = []
        if batch:
            yield ("rows", prepared_rows(batch, dialect))
            batch = []
        done += size
        yield ("progress", done, total)


def unit_size(path: Path) -> int:
    """Bytes behind one unit of input (a file, or every file of a brat folder)."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size
