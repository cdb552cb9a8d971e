"""Prodigy JSONL (``db-out``): one task per line with text, tokens, spans and the answer.

Statuses: ``answer`` accept (or none) is done, ignore is skipped, reject is flagged; work in
progress is written without an answer. Who: ``_annotator_id`` (else ``_session_id``) on
import; on export ``_annotator_id`` is the annotator's name and ``_session_id`` is
``<dataset>-<annotator>``, as Prodigy's named sessions write it.

Hashes (Prodigy only needs them stable): ``_input_hash`` is the first four bytes of the
article's content hash (SHA-256 of its normalised text) read as a signed big-endian 32-bit
integer; ``_task_hash`` is the same reading of SHA-256 over the input hash and the spans as
compact JSON ``[[start, end, label], ...]``. The same text always gets the same input hash,
the same text with the same spans the same task hash, whatever database it comes from.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from annotator.domain.errors import InputError
from annotator.domain.records import AnnotatedRecord
from annotator.domain.spans import Span, Status, cut_tokens
from annotator.domain.text import content_hash
from annotator.formats.common import RawSpan, article_meta, build_record, export_json, split_meta
from annotator.formats.fileio import atomic_output
from annotator.formats.jsonl import read_records

SUFFIXES = (".jsonl", ".ndjson")
OUTPUT = "annotations.jsonl"  # file name inside a default export folder

ANSWER_STATUS = {"accept": Status.DONE, "ignore": Status.SKIPPED, "reject": Status.FLAGGED}
STATUS_ANSWER = {status: answer for answer, status in ANSWER_STATUS.items()}

Tokenize = Callable[[str], list[tuple[int, int]]]


def _signed32(digest: bytes) -> int:
    return int.from_bytes(digest[:4], "big", signed=True)


def input_hash(text: str) -> int:
    """``_input_hash`` of an article's normalised text (see the module docstring)."""
    return _signed32(bytes.fromhex(content_hash(text)[:8]))


def task_hash(input_hash_value: int, spans: Iterable[Span]) -> int:
    """``_task_hash`` of a task: its input hash and its spans."""
    payload = json.dumps([[s.start, s.end, s.label] for s in spans], separators=(",", ":"))
    return _signed32(hashlib.sha256(f"{input_hash_value}:{payload}".encode()).digest())


def _span_from(obj: Any, tokens: Any, path: Path, number: int, index: int) -> RawSpan:
    if not isinstance(obj, dict):
        raise InputError(f"span {index} must be an object", path=path, line=number)
    start, end = obj.get("start"), obj.get("end")
    if start is None or end is None:
        # Offsets are the truth; only a span without them is placed by its tokens.
        try:
            start = tokens[obj["token_start"]]["start"]
            end = tokens[obj["token_end"]]["end"]
        except (KeyError, IndexError, TypeError):
            raise InputError(
                f"span {index} has neither start/end nor token_start/token_end that match "
                "the tokens",
                path=path,
                line=number,
            ) from None
    text = obj.get("text")
    return RawSpan(start, end, obj.get("label"), text if isinstance(text, str) else None)


def record_from_object(obj: dict[str, Any], path: Path, number: int) -> AnnotatedRecord:
    """Check one Prodigy task and build its record (InputError naming the line if bad)."""
    answer = obj.get("answer", "accept")
    if answer not in ANSWER_STATUS:
        raise InputError(
            f"'answer' must be accept, ignore or reject, got {answer!r}", path=path, line=number
        )
    annotator = obj.get("_annotator_id") or obj.get("_session_id")
    if annotator is not None and not isinstance(annotator, str):
        raise InputError("'_annotator_id' must be a string", path=path, line=number)
    meta = obj.get("meta") or {}
    if not isinstance(meta, dict):
        raise InputError("'meta' must be an object", path=path, line=number)
    title, source, external_id, rest = split_meta(meta, path, number)
    raw_spans = obj.get("spans") or []
    if not isinstance(raw_spans, list):
        raise InputError("'spans' must be a list", path=path, line=number)
    spans: list[RawSpan] | list[tuple[Any, Any, Any, Any]]
    try:
        # The common case, one tuple per span: every span an object with both offsets.
        spans = [(s["start"], s["end"], s.get("label"), s.get("text")) for s in raw_spans]
        if any(start is None or end is None for start, end, _, _ in spans):
            raise KeyError("start")
    except (KeyError, TypeError, AttributeError):
        tokens = obj.get("tokens")
        spans = [_span_from(s, tokens, path, number, i) for i, s in enumerate(raw_spans, 1)]
    return build_record(
        obj.get("text"),
        spans,
        path=path,
        line=number,
        annotator=annotator,
        status=ANSWER_STATUS[answer],
        title=title,
        source=source,
        external_id=external_id,
        meta=rest,
    )


def read(path: Path) -> Iterator[AnnotatedRecord | InputError]:
    """Yield one record (or the error of that line) per non-blank line of ``path``."""
    yield from read_records(path, record_from_object)


def task(record: AnnotatedRecord, tokens: list[tuple[int, int]], dataset: str) -> dict[str, Any]:
    """The Prodigy task for one record; ``tokens`` are (start, end) offsets, already cut so
    that every span boundary inside a token is a token boundary."""
    text = record.article.text
    starts = [start for start, _ in tokens]
    ends = [end for _, end in tokens]
    token_list = [
        {
            "text": text[start:end],
            "start": start,
            "end": end,
            "id": i,
            "ws": (starts[i + 1] if i + 1 < len(tokens) else len(text)) > end,
        }
        for i, (start, end) in enumerate(tokens)
    ]
    spans = []
    for span in record.spans:
        # The tokens the span touches; offsets stay the truth even where a span starts or
        # ends in whitespace between tokens.
        first = min(bisect_right(ends, span.start), max(len(tokens) - 1, 0))
        last = bisect_left(starts, span.end) - 1
        spans.append(
            {
                "start": span.start,
                "end": span.end,
                "token_start": first,
                "token_end": max(first, last),
                "label": span.label,
            }
        )
    input_hash_value = input_hash(text)
    result: dict[str, Any] = {
        "text": text,
        "meta": article_meta(record.article),
        "_input_hash": input_hash_value,
        "_task_hash": task_hash(input_hash_value, record.spans),
        "tokens": token_list,
        "spans": spans,
    }
    if record.status in STATUS_ANSWER:
        result["answer"] = STATUS_ANSWER[record.status]
    if record.annotator:
        result["_annotator_id"] = record.annotator
        result["_session_id"] = f"{dataset}-{record.annotator}"
    result["_view_id"] = "ner_manual"
    return result


def write(
    records: Iterable[AnnotatedRecord], out: Path, *, tokenize: Tokenize, dataset: str
) -> int:
    """Write one task per record to ``out`` (atomically); return how many were written."""
    count = 0
    with atomic_output(out) as handle:
        for record in records:
            tokens = cut_tokens(
                tokenize(record.article.text),
                (offset for span in record.spans for offset in (span.start, span.end)),
            )
            handle.write(export_json(task(record, tokens, dataset), record) + "\n")
            count += 1
    return count
