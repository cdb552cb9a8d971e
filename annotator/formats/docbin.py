"""spaCy DocBin (``.spacy``): training data for ``spacy train``, and a format to import.

The only format module that imports spaCy, and only inside its functions, so that the
others (and the CLI start-up) stay light. Export writes ``train.spacy`` and ``dev.spacy``
and a matching ``config.cfg`` made by spaCy's own ``init config``; spans become
``doc.ents`` (NER), or ``doc.spans[KEY]`` with a spans key (spancat, overlaps allowed).
Each span is placed with ``Doc.char_span(..., alignment_mode="strict")``: a span that does
not fall on token boundaries, overlaps another (NER) or starts or ends with whitespace
(which spaCy's NER cannot learn) is an export problem, never dropped silently.

Each doc's ``user_data["annotator"]`` holds who made the annotation, its status and the
article's metadata, so that importing the DocBin again restores them; ``spacy train``
ignores it.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.domain.errors import ExportError, InputError
from annotator.domain.records import AnnotatedRecord
from annotator.domain.spans import Status, without_overlaps
from annotator.formats.common import (
    RawSpan,
    SpanProblems,
    article_meta,
    build_record,
    split_meta,
)
from annotator.formats.fileio import (
    BoundedInflater,
    ExpansionError,
    MiB,
    atomic_output,
    expansion_limit,
    expansion_rule,
    size_text,
    value_problem,
)

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import DocBin

SUFFIXES = (".spacy",)
USER_DATA_KEY = "annotator"
PARTS = ("train", "dev")
CONFIG = "config.cfg"
# Token attributes kept besides the text (ORTH and SPACY, always kept): the entity tags.
# spaCy's default list adds tags, lemmas, morphology, dependencies... which a blank
# tokenizer leaves empty; holding them as uint64 columns tripled the DocBin in memory.
ATTRS = ("ENT_IOB", "ENT_TYPE")


# What spaCy holds in memory per doc, per string and per category beyond the bytes of the
# file: measured 390 bytes per doc of a DocBin of empty docs (2,000,000 docs from 16 KB).
ITEM_BYTES = 512
# Tokens of one doc: spaCy's own default nlp.max_length is 1,000,000 characters.
MAX_DOC_TOKENS = 1_000_000
# The serialised span groups or user data of one doc (each decoded on its own, per doc).
MAX_DOC_PART_BYTES = 16 * MiB
_MAX_MAP = 10_000  # entries of one doc's cats or flags
_FIELDS = {"version", "attrs", "tokens", "spaces", "lengths", "strings", "cats", "flags"}
_PER_DOC = ("cats", "flags", "span_groups", "user_data")


class _NotDocBin(Exception):
    """The decompressed data is not laid out as spaCy's DocBin writes it."""


_FIXED = {
    0xC4: ("bin", 1),
    0xC5: ("bin", 2),
    0xC6: ("bin", 4),
    0xD9: ("str", 1),
    0xDA: ("str", 2),
    0xDB: ("str", 4),
    0xDC: ("array", 2),
    0xDD: ("array", 4),
    0xDE: ("map", 2),
    0xDF: ("map", 4),
}


def _header(stream: BoundedInflater) -> tuple[str, int]:
    """The kind of the next msgpack value and its length (str, bin, array, map) or value
    (int, bool); floats are passed over (their value is not needed)."""
    byte = stream.take(1)[0]
    if byte <= 0x7F:
        return "int", byte
    if byte >= 0xE0:
        return "int", byte - 0x100
    if byte <= 0x8F:
        return "map", byte & 0x0F
    if byte <= 0x9F:
        return "array", byte & 0x0F
    if byte <= 0xBF:
        return "str", byte & 0x1F
    if byte == 0xC0:
        return "nil", 0
    if byte in (0xC2, 0xC3):
        return "bool", byte - 0xC2
    if byte in _FIXED:
        kind, width = _FIXED[byte]
        return kind, int.from_bytes(stream.take(width), "big")
    if byte in (0xCA, 0xCB):
        stream.skip(4 if byte == 0xCA else 8)
        return "float", 0
    if 0xCC <= byte <= 0xD3:
        width = 1 << ((byte - 0xCC) % 4)
        return "int", int.from_bytes(stream.take(width), "big", signed=byte >= 0xD0)
    raise _NotDocBin(f"unexpected msgpack type 0x{byte:02x}")


class _Budget:
    """The memory spaCy would take for what has been seen so far: the decompressed bytes
    plus ITEM_BYTES per doc, string and category; past ``limit`` reading stops."""

    def __init__(self, stream: BoundedInflater):
        self.stream = stream
        self.items = 0

    def check(self, more_bytes: int = 0, more_items: int = 0) -> None:
        self.items += more_items
        if self.stream.consumed + more_bytes + ITEM_BYTES * self.items > self.stream.limit:
            raise ExpansionError(self.stream.limit)


def _expect(stream: BoundedInflater, kinds: tuple[str, ...], what: str) -> tuple[str, int]:
    kind, size = _header(stream)
    if kind not in kinds:
        raise _NotDocBin(f"{what} is a msgpack {kind}, not {' or '.join(kinds)}")
    return kind, size


def _check_layout(stream: BoundedInflater) -> None:
    """Walk the msgpack map inside the zlib stream the way spaCy's DocBin lays it out,
    decompressing a piece at a time and holding no value bigger than the docs' lengths, so
    that a file which would take more memory than the stream's limit is refused before
    spaCy expands it. Raises ExpansionError, _NotDocBin, zlib.error or EOFError."""
    budget = _Budget(stream)
    _, fields = _expect(stream, ("map",), "the DocBin")
    if fields > 16:
        raise _NotDocBin(f"its map has {fields} fields")
    counts: dict[str, int] = {}
    lengths = b""
    bins: dict[str, int] = {}
    attrs = 0
    for _ in range(fields):
        _, size = _expect(stream, ("str",), "a field name")
        if size > 32:
            raise _NotDocBin("a field name is too long")
        key = stream.take(size).decode("utf-8", "replace")
        if key not in _FIELDS and key not in _PER_DOC:
            raise _NotDocBin(f"unknown field {key[:32]!r}")
        if key in ("tokens", "spaces", "lengths"):
            _, size = _expect(stream, ("bin",), key)
            budget.check(size)
            bins[key] = size
            if key == "lengths":
                lengths = stream.take(size)
            else:
                stream.skip(size)
        elif key == "version":
            kind, size = _expect(stream, ("str", "int"), key)
            if kind == "str":
                stream.skip(size)
        elif key == "attrs":
            _, attrs = _expect(stream, ("array",), key)
            if attrs > 1000:
                raise _NotDocBin(f"{attrs} token attributes")
            for _ in range(attrs):
                _expect(stream, ("int",), "a token attribute")
        else:  # strings, or one value per doc
            _, count = _expect(stream, ("array",), key)
            budget.check(more_items=count)
            counts[key] = count
            for _ in range(count):
                _check_item(stream, budget, key)
    if len(lengths) % 4 or "lengths" not in bins:
        raise _NotDocBin("no valid 'lengths'")
    docs = len(lengths) // 4
    budget.check(more_items=docs)
    for key in ("cats", "flags", "span_groups"):
        if counts.get(key, docs) != docs:
            raise _NotDocBin(f"{counts[key]} {key} for {docs} docs")
    doc_lengths = memoryview(lengths).cast("i")
    if docs and (min(doc_lengths) < 0 or max(doc_lengths) > MAX_DOC_TOKENS):
        raise _NotDocBin(f"a doc has more than {MAX_DOC_TOKENS:,} tokens, or fewer than none")
    if bins.get("tokens") != sum(doc_lengths) * attrs * 8:
        raise _NotDocBin("its token table does not match the doc lengths")


def _check_item(stream: BoundedInflater, budget: _Budget, key: str) -> None:
    if key == "strings":
        _, size = _expect(stream, ("str",), "a string")
        budget.check(size)
        stream.skip(size)
    elif key in ("span_groups", "user_data"):
        kind, size = _expect(stream, ("bin", "nil"), f"a doc's {key}")
        if kind == "bin":
            if size > MAX_DOC_PART_BYTES:
                raise ExpansionError(stream.limit)
            budget.check(size)
            stream.skip(size)
    else:  # cats or flags: a small map of scalars per doc
        _, entries = _expect(stream, ("map",), f"a doc's {key}")
        if entries > _MAX_MAP:
            raise _NotDocBin(f"a doc has {entries} {key}")
        budget.check(more_items=entries)
        for _ in range(entries):
            for what in ("name", "value"):
                kind, size = _expect(
                    stream, ("str", "int", "float", "bool", "nil"), f"a {key} {what}"
                )
                if kind == "str":
                    budget.check(size)
                    stream.skip(size)


def checked_bytes(path: Path) -> bytes:
    """The bytes of the ``.spacy`` file ``path``, once checked: InputError for a file that is
    not a DocBin, or whose reading would take more memory than fileio.expansion_limit allows
    for its size (a decompression bomb), found before spaCy decompresses anything."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size  # 0 for a device: the floor applies
            stream = BoundedInflater(handle, expansion_limit(size))
            _check_layout(stream)
            if not stream.at_end():
                raise _NotDocBin("extra data after the DocBin")
            return stream.compressed()
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror or type(exc).__name__})", path=path) from None
    except ExpansionError:
        raise InputError(
            f"would take more than {size_text(expansion_limit(size))} of memory to read "
            f"(the limit is {expansion_rule(size)}); refused as a possible decompression bomb",
            path=path,
        ) from None
    except zlib.error:
        raise InputError("not a spaCy DocBin file (not zlib-compressed data)", path=path) from None
    except EOFError:
        raise InputError("not a spaCy DocBin file (the data ends early)", path=path) from None
    except _NotDocBin as exc:
        raise InputError(f"not a spaCy DocBin file ({exc})", path=path) from None


def read(path: Path, *, spans_key: str | None = None) -> Iterator[AnnotatedRecord | InputError]:
    """Yield one record per doc of a ``.spacy`` file: its text and ``doc.ents`` (or
    ``doc.spans[spans_key]``), with annotator, status and metadata where we wrote them.

    The file is checked first (check_docbin): spaCy only sees data whose decompressed size
    and number of docs, strings and categories stay within fileio.expansion_limit."""
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    try:
        data = checked_bytes(path)
    except InputError as exc:
        yield exc
        return
    try:
        docs = DocBin(store_user_data=True).from_bytes(data).get_docs(Vocab())
    except Exception as exc:  # noqa: BLE001 - msgpack, zlib or spaCy errors: not a DocBin
        yield InputError(f"not a spaCy DocBin file ({type(exc).__name__})", path=path)
        return
    index = 0
    while True:
        try:
            doc = next(docs)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - a damaged doc inside the file
            yield InputError(f"doc {index + 1} cannot be read ({type(exc).__name__})", path=path)
            return
        index += 1
        where = f"{path}: doc {index}"
        info = doc.user_data.get(USER_DATA_KEY)
        info = info if isinstance(info, dict) else {}
        key = spans_key or info.get("spans_key")
        if key is not None and key not in doc.spans:
            yield InputError(f"has no spans under key {key!r}", path=where)
            continue
        found = doc.spans[key] if key is not None else doc.ents
        try:
            status = Status(info.get("status", Status.DONE.value))
            raw_meta = info.get("meta") or {}
            if not isinstance(raw_meta, dict):
                raise InputError("its annotator metadata is not a map", path=where)
            problem = value_problem(raw_meta, "meta")
            if problem:
                raise InputError(problem, path=where)
            title, source, external_id, meta = split_meta(dict(raw_meta), path, None)
            yield build_record(
                doc.text,
                [RawSpan(s.start_char, s.end_char, s.label_) for s in found],
                path=path,
                where=where,
                annotator=info.get("name"),
                status=status,
                title=title,
                source=source,
                external_id=external_id,
                meta=meta,
            )
        except ValueError:
            yield InputError(f"unknown status {info.get('status')!r}", path=where)
        except InputError as exc:
            yield exc


def build(
    records: Iterable[AnnotatedRecord],
    *,
    nlp: Language,
    spans_key: str | None,
    is_train: Callable[[AnnotatedRecord], bool],
    problems: SpanProblems,
) -> dict[str, DocBin]:
    """The train and dev DocBins of ``records``, tokenized by ``nlp`` (a blank pipeline of
    the export's language)."""
    from spacy.tokens import DocBin

    make_doc = nlp.make_doc
    bins = {part: DocBin(attrs=list(ATTRS), store_user_data=True) for part in PARTS}
    for record in records:
        text = record.article.text
        spans = record.spans
        if spans_key is None:
            spans, overlapping = without_overlaps(spans)
            for span, other in overlapping:
                problems.report(
                    record,
                    span,
                    f"overlaps [{other.start}, {other.end}) {other.label}, and NER holds one "
                    "entity per token (--spans-key KEY writes overlapping spans for spancat)",
                )
        doc = make_doc(text)
        placed = []
        for span in spans:
            if spans_key is None and (text[span.start].isspace() or text[span.end - 1].isspace()):
                problems.report(
                    record, span, "starts or ends with whitespace, which spaCy's NER cannot learn"
                )
                continue
            placed_span = doc.char_span(span.start, span.end, span.label, alignment_mode="strict")
            if placed_span is None:
                around = doc.char_span(span.start, span.end, alignment_mode="expand")
                tokens = [t.text for t in around] if around is not None else []
                problems.report(
                    record,
                    span,
                    f"does not align with token boundaries (the tokens there: {tokens!r})",
                )
                continue
            placed.append(placed_span)
        if spans_key is None:
            doc.ents = placed
        else:
            doc.spans[spans_key] = placed
        info: dict[str, Any] = {"status": record.status.value, "meta": article_meta(record.article)}
        if record.annotator:
            info["name"] = record.annotator
        if spans_key is not None:
            info["spans_key"] = spans_key
        doc.user_data[USER_DATA_KEY] = info
        bins["train" if is_train(record) else "dev"].add(doc)
    return bins


def to_bytes(bins: dict[str, DocBin]) -> dict[str, bytes]:
    """Each part's DocBin serialised (to send it to another process)."""
    return {part: doc_bin.to_bytes() for part, doc_bin in bins.items()}


def joined(first: dict[str, bytes], then: dict[str, DocBin]) -> dict[str, DocBin]:
    """For each part, the docs of ``first`` followed by those of ``then``: two halves of an
    export built in two processes become the DocBins one process would have built."""
    from spacy.tokens import DocBin

    result = {}
    for part in PARTS:
        doc_bin = DocBin(attrs=list(ATTRS), store_user_data=True).from_bytes(first[part])
        doc_bin.merge(then[part])
        result[part] = doc_bin
    return result


def save(bins: dict[str, DocBin], folder: Path) -> dict[str, int]:
    """Write ``<part>.spacy`` for each part into ``folder``; return how many docs each holds."""
    for part in PARTS:
        with atomic_output(folder / f"{part}.spacy", mode="wb") as handle:
            handle.write(bins[part].to_bytes())
    return {part: len(bins[part]) for part in PARTS}


def write(
    records: Iterable[AnnotatedRecord],
    folder: Path,
    *,
    nlp: Language,
    spans_key: str | None,
    is_train: Callable[[AnnotatedRecord], bool],
    problems: SpanProblems,
) -> dict[str, int]:
    """Write ``train.spacy``, ``dev.spacy`` and ``config.cfg`` into ``folder``, tokenizing
    with ``nlp``; return how many docs each part holds."""
    write_config(folder / CONFIG, lang=pipeline_lang(nlp), spans_key=spans_key)
    return save(
        build(records, nlp=nlp, spans_key=spans_key, is_train=is_train, problems=problems), folder
    )


def pipeline_lang(nlp: Any) -> str:
    """The language code of ``nlp`` (spaCy types it optional); ExportError without one."""
    if not nlp.lang:
        raise ExportError("the tokenizer pipeline has no language code for config.cfg")
    return str(nlp.lang)


def write_config(path: Path, *, lang: str, spans_key: str | None) -> None:
    """A CPU training config for NER (or spancat under ``spans_key``) from spaCy's own
    ``init config`` template, which needs no download."""
    from spacy.cli.init_config import init_config

    component = "ner" if spans_key is None else "spancat"
    config = init_config(lang=lang, pipeline=[component], optimize="efficiency", gpu=False)
    if spans_key is not None:
        config["components"]["spancat"]["spans_key"] = spans_key
    with atomic_output(path) as handle:
        handle.write(config.to_str())


def train_command(
    folder: Path,
    python: str | None = None,
    *,
    train: str = "train.spacy",
    dev: str = "dev.spacy",
) -> str:
    """The exact ``spacy train`` command for an export in ``folder`` (whose training and
    dev data are ``train`` and ``dev`` in it: files, or folders of shards), run by
    ``python`` (default: the interpreter running annotator, whose environment has spaCy,
    so the command works as printed where only the venv's ``annotator`` is on the path)."""
    import shlex
    import sys

    python = shlex.quote(python or sys.executable or "python")

    def q(path: Path) -> str:
        return shlex.quote(str(path))

    return (
        f"{python} -m spacy train {q(folder / CONFIG)} --paths.train {q(folder / train)} "
        f"--paths.dev {q(folder / dev)} --output {q(folder / 'model')}"
    )
