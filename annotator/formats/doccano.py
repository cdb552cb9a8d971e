"""doccano sequence-labelling JSONL: ``text`` and ``label: [[start, end, label], ...]``.

doccano exports one file per user, named after the user, so the file name (without
``.jsonl``) is the annotator on import and each annotator gets a file on export. Newer
doccano writes ``entities: [{start_offset, end_offset, label}]``, which is read too. Other
fields of a record (doccano puts the columns it does not know there) become the article's
meta; ``title``, ``source`` and ``id`` in it are the article's own fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from annotator.domain.errors import InputError
from annotator.domain.records import AnnotatedRecord
from annotator.formats.common import (
    RawSpan,
    article_meta,
    build_record,
    export_json,
    safe_file_name,
    split_meta,
)
from annotator.formats.fileio import atomic_output
from annotator.formats.jsonl import read_records

SUFFIXES = (".jsonl", ".ndjson")
_NOT_META = {"text", "label", "labels", "entities", "relations", "meta"}


def _spans(obj: dict[str, Any], path: Path, number: int) -> list[RawSpan]:
    spans: list[RawSpan] = []
    if "entities" in obj:
        entities = obj["entities"]
        if not isinstance(entities, list):
            raise InputError("'entities' must be a list", path=path, line=number)
        for index, entity in enumerate(entities, 1):
            if not isinstance(entity, dict):
                raise InputError(f"entity {index} must be an object", path=path, line=number)
            spans.append(
                RawSpan(entity.get("start_offset"), entity.get("end_offset"), entity.get("label"))
            )
    labels = obj.get("label", obj.get("labels", []))
    if not isinstance(labels, list):
        raise InputError("'label' must be a list of [start, end, label]", path=path, line=number)
    for index, item in enumerate(labels, 1):
        if not isinstance(item, list) or len(item) != 3:
            raise InputError(
                f"label {index} must be [start, end, label], got {json.dumps(item)[:40]}",
                path=path,
                line=number,
            )
        spans.append(RawSpan(*item))
    return spans


def record_from_object(obj: dict[str, Any], path: Path, number: int) -> AnnotatedRecord:
    """Check one doccano record and build it (InputError naming the line if bad)."""
    fields = {k: v for k, v in obj.items() if k not in _NOT_META}
    meta = obj.get("meta") or {}
    if not isinstance(meta, dict):
        raise InputError("'meta' must be an object", path=path, line=number)
    fields.update(meta)
    title, source, external_id, rest = split_meta(fields, path, number)
    ignored = []
    if obj.get("relations"):
        ignored.append(f"{len(obj['relations'])} relations")
    return build_record(
        obj.get("text"),
        _spans(obj, path, number),
        path=path,
        line=number,
        title=title,
        source=source,
        external_id=external_id,
        meta=rest,
        ignored=ignored,
    )


def read(path: Path) -> Iterator[AnnotatedRecord | InputError]:
    """Yield one record (or the error of that line) per non-blank line of ``path``; the
    annotator is left open (the importer takes the file name)."""
    yield from read_records(path, record_from_object)


def line_of(record: AnnotatedRecord) -> dict[str, Any]:
    """The doccano record of one annotation."""
    result: dict[str, Any] = {
        "text": record.article.text,
        "label": [[s.start, s.end, s.label] for s in record.spans],
    }
    meta = article_meta(record.article)
    if meta:
        result["meta"] = meta
    return result


def write(records: Iterable[AnnotatedRecord], folder: Path) -> list[Path]:
    """Write ``<annotator>.jsonl`` files into ``folder``; return the files written."""
    files: dict[str, IO[str]] = {}
    with ExitStack() as stack:
        for record in records:
            name = safe_file_name(record.annotator or "annotations")
            handle = files.get(name)
            if handle is None:
                handle = stack.enter_context(atomic_output(folder / f"{name}.jsonl"))
                files[name] = handle
            handle.write(export_json(line_of(record), record) + "\n")
    return [folder / f"{name}.jsonl" for name in sorted(files)]
