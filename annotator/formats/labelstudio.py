"""Label Studio JSON: a list of tasks, each with ``data.text``, ``annotations`` (one per
annotator, its ``result`` regions with ``value.start``, ``value.end``, ``value.text`` and
``value.labels``) and ``predictions`` (machine suggestions, by ``model_version``).

Who: Label Studio's server refuses a ``completed_by`` that is not one of its users (it
matches ``{"email": ...}`` against its accounts), and gives an annotation without one to
the user who imports. So the export leaves ``completed_by`` out and keeps the annotator
names in the task's free data, ``data.annotated_by``: one name per annotation, in order.
Reading, a name comes from ``data.annotated_by`` (what we wrote, surviving a trip through
Label Studio), else ``completed_by.email``, else ``created_username`` (Label Studio's own
exports, whose ``completed_by`` is a user number: ``"ana@x.org, 3"`` gives ``ana@x.org``),
else ``user-<number>``. ``was_cancelled`` marks a skipped task; every other annotation is
done. Region types other than ``labels`` (choices, relations, text areas) are not
imported, and the import says how many there were. A task without annotations or
predictions brings its article only.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from annotator.domain.errors import InputError
from annotator.domain.records import AnnotatedRecord, ArticleRecord
from annotator.domain.spans import Span, Status
from annotator.formats.common import (
    RawSpan,
    article_meta,
    build_record,
    export_json,
    group_by_article,
    split_meta,
)
from annotator.formats.fileio import atomic_output, decode_json, read_text

SUFFIXES = (".json",)
OUTPUT = "tasks.json"
FROM_NAME, TO_NAME = "label", "text"  # names in the labelling config <Labels>/<Text>
DEFAULT_SOURCE = "label-studio"
ANNOTATED_BY = "annotated_by"  # data field: the annotator of each annotation, in order

_WHITESPACE = " \t\r\n"


def _json_values(path: Path) -> Iterator[tuple[int, Any] | InputError]:
    """(line, value) for each task of a JSON list, a single task, or tasks one after another;
    the line of each task is where it starts, for messages. Each task is decoded within
    fileio's bounds (nesting, NaN, NUL, lone surrogates); text after the list's closing
    ``]`` is refused."""
    text = read_text(path)
    position, line = 0, 1

    def skip(pos: int) -> int:
        while pos < len(text) and text[pos] in _WHITESPACE:
            pos += 1
        return pos

    def line_at(pos: int) -> int:
        nonlocal position, line
        line += text.count("\n", position, pos)
        position = pos
        return line

    index = skip(0)
    in_list = index < len(text) and text[index] == "["
    if in_list:
        index = skip(index + 1)
    while index < len(text):
        if in_list and text[index] == "]":
            after = skip(index + 1)
            if after < len(text):
                yield InputError(
                    "unexpected text after the closing ']' of the task list",
                    path=path,
                    line=line_at(after),
                )
            return
        try:
            value, end = decode_json(text, path, line=line_at(index), start=index)
        except InputError as exc:
            yield exc
            return
        yield line_at(index), value
        index = skip(end)
        if in_list:
            if index < len(text) and text[index] == ",":
                index = skip(index + 1)
            elif index >= len(text) or text[index] != "]":
                yield InputError("expected ',' or ']' after a task", path=path, line=line_at(index))
                return
    if in_list:
        yield InputError("the list of tasks is not closed with ']'", path=path, line=line_at(index))


def _annotator(annotation: dict[str, Any], named: str | None = None) -> str | None:
    """Who made ``annotation``: ``named`` (from data.annotated_by) when given, else what
    Label Studio's fields say (see the module's docstring)."""
    if named:
        return named
    completed_by = annotation.get("completed_by")
    if isinstance(completed_by, dict):
        if isinstance(completed_by.get("email"), str):
            return completed_by["email"]
        completed_by = completed_by.get("id")
    username = annotation.get("created_username")
    if isinstance(username, str) and username.split(",")[0].strip():
        return username.split(",")[0].strip()
    if isinstance(completed_by, int) and not isinstance(completed_by, bool):
        return f"user-{completed_by}"
    return None


def _regions(results: Any, where: str) -> tuple[list[RawSpan], Counter[str]]:
    if not isinstance(results, list):
        raise InputError("'result' must be a list", path=where)
    spans: list[RawSpan] = []
    ignored: Counter[str] = Counter()
    for index, item in enumerate(results, 1):
        if not isinstance(item, dict):
            raise InputError(f"result {index} must be an object", path=where)
        if item.get("type") != "labels":
            ignored[f"{item.get('type') or 'untyped'} results"] += 1
            continue
        value = item.get("value")
        if not isinstance(value, dict):
            value = {}
        labels = value.get("labels")
        if not isinstance(labels, list) or not labels:
            raise InputError(f"result {index} has no value.labels list", path=where)
        text = value.get("text")
        for label in labels:
            spans.append(
                RawSpan(
                    value.get("start"),
                    value.get("end"),
                    label,
                    text if isinstance(text, str) else None,
                )
            )
    return spans, ignored


def _source(prediction: dict[str, Any]) -> str:
    version = prediction.get("model_version")
    if isinstance(version, str | int) and str(version).strip():
        return "-".join(str(version).split())
    return DEFAULT_SOURCE


def records_of_task(task: Any, path: Path, line: int) -> Iterator[AnnotatedRecord | ArticleRecord]:
    """The records of one task: one per annotation and one per prediction."""
    if not isinstance(task, dict):
        raise InputError(
            f"a task must be an object, got {type(task).__name__}", path=path, line=line
        )
    data = task.get("data", task)
    if not isinstance(data, dict):
        raise InputError("'data' must be an object", path=path, line=line)
    fields = {k: v for k, v in data.items() if k not in ("text", ANNOTATED_BY)}
    inner = fields.pop("meta", None)
    if isinstance(inner, dict):
        fields.update(inner)
    title, source, external_id, meta = split_meta(fields, path, line)
    common: dict[str, Any] = {
        "path": path,
        "title": title,
        "source": source,
        "external_id": external_id,
        "meta": meta,
    }
    text = data.get("text")
    annotations = task.get("annotations") or task.get("completions") or []
    predictions = task.get("predictions") or []
    if not isinstance(annotations, list) or not isinstance(predictions, list):
        raise InputError("'annotations' and 'predictions' must be lists", path=path, line=line)
    names = data.get(ANNOTATED_BY)
    if not (
        isinstance(names, list)
        and len(names) == len(annotations)
        and all(isinstance(name, str) for name in names)
    ):
        names = [None] * len(annotations)
    if not annotations and not predictions:
        record = build_record(text, [], line=line, **common)
        yield record.article
        return
    for kind, items in (("annotation", annotations), ("prediction", predictions)):
        for index, item in enumerate(items, 1):
            where = f"{path}:{line}: {kind} {index}"
            if not isinstance(item, dict):
                raise InputError("must be an object", path=where)
            spans, ignored = _regions(item.get("result", []), where)
            yield build_record(
                text,
                spans,
                where=where,
                annotator=_annotator(item, names[index - 1]) if kind == "annotation" else None,
                status=Status.SKIPPED if item.get("was_cancelled") else Status.DONE,
                suggested_by=_source(item) if kind == "prediction" else None,
                ignored=[f"{count} {what}" for what, count in sorted(ignored.items())],
                **common,
            )


def read(path: Path) -> Iterator[AnnotatedRecord | ArticleRecord | InputError]:
    """Yield the records of every task in ``path`` (or the error of a bad task)."""
    try:
        values = list(_json_values(path))
    except InputError as exc:
        yield exc
        return
    for value in values:
        if isinstance(value, InputError):
            yield value
            continue
        line, task = value
        try:
            yield from records_of_task(task, path, line)
        except InputError as exc:
            yield exc


def region_id(span: Span) -> str:
    """A stable id for a region, from its offsets and label."""
    return _region_id(span.start, span.end, span.label)


# Remembered: the annotators of an article mostly mark the same spans, and a hash is most of
# the cost of a region.
@lru_cache(maxsize=1 << 16)
def _region_id(start: int, end: int, label: str) -> str:
    return hashlib.sha256(f"{start}:{end}:{label}".encode()).hexdigest()[:10]


def regions(record: AnnotatedRecord) -> list[dict[str, Any]]:
    """The ``result`` list of one record."""
    text = record.article.text
    return [
        {
            "id": region_id(span),
            "from_name": FROM_NAME,
            "to_name": TO_NAME,
            "type": "labels",
            "value": {
                "start": span.start,
                "end": span.end,
                "text": text[span.start : span.end],
                "labels": [span.label],
            },
        }
        for span in record.spans
    ]


def task_of(group: list[AnnotatedRecord]) -> dict[str, Any]:
    """The task of one article from its records (annotations, then suggestions)."""
    article = group[0].article
    data: dict[str, Any] = {"text": article.text}
    meta = article_meta(article)
    if meta:
        data["meta"] = meta
    people = [record for record in group if record.suggested_by is None]
    # No completed_by: the server would refuse names that are not its users' emails.
    annotations = [
        {"was_cancelled": record.status is Status.SKIPPED, "result": regions(record)}
        for record in people
    ]
    if people:
        data[ANNOTATED_BY] = [record.annotator for record in people]
    predictions = [
        {"model_version": record.suggested_by, "result": regions(record)}
        for record in group
        if record.suggested_by is not None
    ]
    task: dict[str, Any] = {"id": group[0].article_id, "data": data, "annotations": annotations}
    if predictions:
        task["predictions"] = predictions
    return task


def write(records: Iterable[AnnotatedRecord], out: Path) -> int:
    """Write one task per article to ``out`` (atomically) as a JSON list; return how many."""
    count = 0
    with atomic_output(out) as handle:
        handle.write("[")
        for group in group_by_article(records):
            handle.write(",\n" if count else "\n")
            handle.write(export_json(task_of(group), group[0], indent=2))
            count += 1
        handle.write("\n]\n")
    return count
