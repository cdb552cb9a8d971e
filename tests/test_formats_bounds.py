"""Bounded reads of untrusted files: every reader refuses, with one line naming file and
line, JSON nested too deep, NaN and Infinity, NUL and lone surrogates, lines or files too
long, devices such as /dev/zero and `.spacy` decompression bombs; exports write standard
JSON only."""

from __future__ import annotations

import json
import re
import struct
import tracemalloc
import zlib
from pathlib import Path

import pytest

from annotator.domain.errors import ExportError, InputError
from annotator.domain.records import AnnotatedRecord, ArticleRecord
from annotator.domain.spans import Span, Status
from annotator.formats import (
    brat,
    conll,
    docbin,
    doccano,
    fileio,
    jsonl,
    labelstudio,
    plaintext,
    prodigy,
)
from annotator.formats.common import export_json

JSON_READERS = {"jsonl": jsonl, "prodigy": prodigy, "doccano": doccano}
ALL_READERS = {
    **JSON_READERS,
    "label-studio": labelstudio,
    "brat": brat,
    "conll": conll,
    "spacy": docbin,
    "txt": plaintext,
}


def _errors(module, path: Path) -> list[InputError]:
    items = list(module.read(path))
    return [item for item in items if isinstance(item, InputError)]


def _first_error(module, path: Path) -> str:
    errors = _errors(module, path)
    assert errors, "no error"
    message = str(errors[0])
    assert "\n" not in message
    return message


def _json_file(tmp_path: Path, reader: str, record_json: str) -> Path:
    """A file of ``reader``'s format whose second record is ``record_json`` (raw JSON text
    of a record with at least 'text')."""
    good = json.dumps({"text": "Fine article."})
    if reader == "label-studio":
        path = tmp_path / "tasks.json"
        path.write_text(f'[{{"data": {good}}},\n{{"data": {record_json}}}\n]\n')
    else:
        path = tmp_path / "ana.jsonl"
        path.write_text(f"{good}\n{record_json}\n")
    return path


READERS_OF_JSON = [*JSON_READERS, "label-studio"]


@pytest.mark.parametrize("reader", READERS_OF_JSON)
def test_formats_json_nested_100000_deep_is_one_line_not_recursion_error(tmp_path, reader):
    deep = "[" * 100_000 + "]" * 100_000
    path = _json_file(tmp_path, reader, '{"text": "x", "meta": {"deep": ' + deep + "}}")
    message = _first_error(ALL_READERS[reader], path)
    assert message == f"{path}:2: JSON nested deeper than 100 levels"


@pytest.mark.parametrize("reader", READERS_OF_JSON)
def test_formats_json_nesting_past_the_limit_but_within_python_is_refused_too(tmp_path, reader):
    deep = "[" * 150 + "]" * 150  # json.loads takes it; storing it would recurse 150 deep
    path = _json_file(tmp_path, reader, '{"text": "x", "meta": {"deep": ' + deep + "}}")
    assert _first_error(ALL_READERS[reader], path).endswith(
        ":2: JSON nested deeper than 100 levels"
    )


@pytest.mark.parametrize("reader", READERS_OF_JSON)
@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_formats_nan_and_infinity_are_refused_at_import(tmp_path, reader, token):
    path = _json_file(tmp_path, reader, '{"text": "x", "meta": {"score": ' + token + "}}")
    message = _first_error(ALL_READERS[reader], path)
    assert message == (
        f"{path}:2: {token} is not a standard JSON number (JSON has no NaN or Infinity); "
        "write null or a finite number"
    )


@pytest.mark.parametrize("reader", READERS_OF_JSON)
@pytest.mark.parametrize(
    ("record", "problem"),
    [
        (r'{"text": "a\u0000b"}', "'text' holds a NUL character (\\u0000), which is not text"),
        (
            r'{"text": "Idlib \ud800"}',
            "'text' holds a lone surrogate (\\ud800), which is not a character",
        ),
        (
            r'{"text": "x", "meta": {"note": "\udfff"}}',
            "'meta.note' holds a lone surrogate (\\udfff), which is not a character",
        ),
        (
            r'{"text": "x", "meta": {"k\u0000": 1}}',
            "a key in 'meta' holds a NUL character (\\u0000), which is not text",
        ),
    ],
)
def test_formats_nul_and_lone_surrogates_are_refused_by_name(tmp_path, reader, record, problem):
    path = _json_file(tmp_path, reader, record)
    message = _first_error(ALL_READERS[reader], path)
    # Label Studio keeps the record's other fields under data, so its paths differ a little.
    if reader == "label-studio":
        problem = problem.replace("'meta.", "'data.meta.").replace("in 'meta'", "in 'data.meta'")
        problem = problem.replace("'text'", "'data.text'")
    assert message == f"{path}:2: {problem}"


@pytest.mark.parametrize("reader", READERS_OF_JSON)
def test_formats_escaped_backslash_and_surrogate_pairs_are_text(tmp_path, reader):
    # "\\ud800" is a backslash and letters; "\ud83d\ude00" is one character (an emoji).
    path = _json_file(tmp_path, reader, r'{"text": "a \\ud800 b \ud83d\ude00 \\u0000"}')
    items = list(ALL_READERS[reader].read(path))
    assert not [i for i in items if isinstance(i, InputError)]
    texts = [(i.article if isinstance(i, AnnotatedRecord) else i).text for i in items]
    assert "a \\ud800 b \U0001f600 \\u0000" in texts


def test_formats_label_studio_garbage_after_the_list_is_refused(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text('[\n{"data": {"text": "a"}}\n]\n\nthis is not JSON\n')
    assert _first_error(labelstudio, path) == (
        f"{path}:5: unexpected text after the closing ']' of the task list"
    )
    path.write_text('[{"data": {"text": "a"}}]\n[{"data": {"text": "b"}}]')
    assert _first_error(labelstudio, path) == (
        f"{path}:2: unexpected text after the closing ']' of the task list"
    )
    path.write_text('[{"data": {"text": "a"}}]\n\n')  # whitespace after it is fine
    assert not _errors(labelstudio, path)


LINE_READERS = {"jsonl": ".jsonl", "prodigy": ".jsonl", "doccano": ".jsonl", "conll": ".conll"}


@pytest.mark.parametrize("reader", list(LINE_READERS))
def test_formats_a_line_past_the_limit_is_one_line_and_ends_the_file(tmp_path, reader):
    path = tmp_path / f"huge{LINE_READERS[reader]}"
    good = '{"text": "fine"}\n' if reader != "conll" else "Idlib B-LOC\n\n"
    with path.open("w") as out:
        out.write(good)
        out.write("a" * (fileio.MAX_LINE_BYTES + 10))  # one line of 32 MiB and more
        out.write("\n" + good)
    tracemalloc.start()
    try:
        errors = _errors(ALL_READERS[reader], path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    line = 1 + good.count("\n")
    assert [str(e) for e in errors] == [
        f"{path}:{line}: line is longer than 32 MiB, the most annotator reads as one line; the rest "
        "of the file is not read"
    ]
    assert peak < 3 * fileio.MAX_LINE_BYTES  # the line was never held whole, nor decoded


def test_formats_brat_ann_line_past_the_limit(tmp_path):
    (tmp_path / "doc.txt").write_text("Assad in Idlib")
    ann = tmp_path / "doc.ann"
    ann.write_bytes(b"T1\tPER 0 5\t" + b"x" * (fileio.MAX_LINE_BYTES + 1))
    assert _first_error(brat, ann) == (
        f"{ann}:1: line is longer than 32 MiB, the most annotator reads as one line; the rest "
        "of the file is not read"
    )


def test_fileio_whole_file_reads_are_bounded(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("x" * 5000)
    with pytest.raises(InputError, match=r"a.txt: file is larger than 4 KiB"):
        fileio.read_text(path, limit=4096)
    assert fileio.read_text(path, limit=5000) == "x" * 5000


def test_fileio_nul_in_a_later_chunk_names_its_line(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"line\n" * 300_000 + b"bad\x00")  # past the first 1 MiB chunk
    with pytest.raises(InputError, match=r"a.txt:300001: binary data \(NUL byte\)"):
        fileio.read_text(path)


DEV_ZERO = Path("/dev/zero")


@pytest.mark.parametrize("reader", list(ALL_READERS))
def test_formats_dev_zero_is_one_line_not_memory_error(reader):
    if not DEV_ZERO.exists():
        pytest.skip("no /dev/zero here")
    tracemalloc.start()
    try:
        message = _first_error(ALL_READERS[reader], DEV_ZERO)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    expected = {
        "spacy": "/dev/zero: not a spaCy DocBin file (not zlib-compressed data)",
        "brat": "/dev/zero: no zero.txt beside it",
        "txt": "/dev/zero:1: binary data (NUL byte), not a text file",
        "label-studio": "/dev/zero:1: binary data (NUL byte), not a text file",
    }.get(
        reader,
        "/dev/zero:1: binary data (NUL byte), not a text file; the rest of the file is not read",
    )
    assert message == expected
    assert peak < 3 * fileio.MAX_LINE_BYTES


# --- .spacy ---------------------------------------------------------------------------

ORTH, SPACY = 65, 78  # spaCy's attribute ids


def _str(text: str) -> bytes:
    return bytes([0xA0 | len(text)]) + text.encode()


def _bin32(size: int) -> bytes:
    return b"\xc6" + struct.pack(">I", size)


def write_zero_token_bomb(path: Path, mib: int) -> None:
    """A DocBin whose one doc claims ``mib`` MiB of zero tokens (the classic bomb: zlib
    packs zeros about 1000 to 1), compressed a MiB at a time."""
    size = mib * 1024 * 1024
    tokens = size // 16
    packer = zlib.compressobj(9)
    zeros = bytes(1024 * 1024)
    with path.open("wb") as out:
        out.write(
            packer.compress(
                b"\x87"
                + _str("cats")
                + b"\x91\x80"
                + _str("flags")
                + b"\x91\x80"
                + _str("attrs")
                + bytes([0x92, ORTH, SPACY])
                + _str("lengths")
                + _bin32(4)
                + struct.pack("<i", tokens)
                + _str("tokens")
                + _bin32(size)
            )
        )
        for _ in range(mib):
            out.write(packer.compress(zeros))
        out.write(packer.compress(_str("spaces") + _bin32(tokens) + bytes(tokens)))
        out.write(packer.compress(_str("strings") + b"\x90"))
        out.write(packer.flush())


def write_empty_docs(path: Path, docs: int) -> None:
    """A valid DocBin of ``docs`` docs without tokens: 4 bytes each in the file once
    decompressed, about 390 bytes each inside spaCy."""
    header = b"\x88" + _str("attrs") + bytes([0x92, ORTH, SPACY])
    header += _str("tokens") + _bin32(0) + _str("spaces") + _bin32(0)
    header += _str("lengths") + _bin32(4 * docs) + bytes(4 * docs)
    header += _str("strings") + b"\x90"
    for field, item in (("cats", b"\x80"), ("flags", b"\x80"), ("span_groups", b"\xc4\x00")):
        header += _str(field) + b"\xdd" + struct.pack(">I", docs) + item * docs
    path.write_bytes(zlib.compress(header, 9))


def test_formats_docbin_zero_token_bomb_is_refused_before_it_expands(tmp_path):
    path = tmp_path / "bomb.spacy"
    write_zero_token_bomb(path, 256)  # 256 MiB of zeros in a file of about 260 KB
    assert path.stat().st_size < 400_000
    tracemalloc.start()
    try:
        message = _first_error(docbin, path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    size = fileio.size_text(path.stat().st_size)
    assert message == (
        f"{path}: would take more than 64 MiB of memory to read (the limit is 64 MiB for a "
        f"file of {size}: 100x its size, at least 64 MiB, at most 2048 MiB); refused as a "
        "possible decompression bomb"
    )
    # The token table's declared size is refused at its header: a MiB or two of work.
    assert peak < 8 * fileio.MiB


def test_formats_docbin_many_empty_docs_are_refused(tmp_path):
    path = tmp_path / "empty.spacy"
    write_empty_docs(path, 200_000)  # 200,000 docs, ~100 MB inside spaCy, from 2 KB
    assert path.stat().st_size < 10_000
    assert "refused as a possible decompression bomb" in _first_error(docbin, path)
    write_empty_docs(path, 1000)  # a few empty docs are a valid file: read, as empty records
    items = list(docbin.read(path))
    assert len(items) == 1000 and all(isinstance(i, AnnotatedRecord) for i in items)


def test_formats_docbin_expansion_limit_follows_the_file_size():
    assert fileio.expansion_limit(10_000) == 64 * fileio.MiB  # the floor
    assert fileio.expansion_limit(10 * fileio.MiB) == 1000 * fileio.MiB  # 100x
    assert fileio.expansion_limit(100 * fileio.MiB) == 2048 * fileio.MiB  # the cap


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        (b"junk", "extra data after the DocBin"),
        (None, "the data ends early"),
    ],
)
def test_formats_docbin_truncated_or_trailing_data_is_refused(tmp_path, tail, message):
    import spacy
    from spacy.tokens import DocBin

    data = DocBin(docs=[spacy.blank("en").make_doc("Assad in Idlib")]).to_bytes()
    path = tmp_path / "d.spacy"
    path.write_bytes(data + tail if tail is not None else data[: len(data) // 2])
    assert _first_error(docbin, path) == f"{path}: not a spaCy DocBin file ({message})"


def test_formats_docbin_nan_meta_and_nul_text_are_refused_by_doc(tmp_path):
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    nan_doc = nlp.make_doc("Assad in Idlib")
    nan_doc.user_data["annotator"] = {"status": "done", "meta": {"score": float("nan")}}
    nul_doc = nlp.make_doc("Assad\x00Idlib")
    path = tmp_path / "d.spacy"
    DocBin(docs=[nan_doc, nul_doc], store_user_data=True).to_disk(path)
    assert [str(e) for e in _errors(docbin, path)] == [
        f"{path}: doc 1: 'meta.score' is nan, which standard JSON cannot hold",
        f"{path}: doc 2: 'text' holds a NUL character (\\u0000), which is not text",
    ]


# --- exports --------------------------------------------------------------------------


def _record(meta) -> AnnotatedRecord:
    return AnnotatedRecord(
        article=ArticleRecord(text="Assad in Idlib", title="T", meta=meta),
        spans=[Span(0, 5, "PERSON")],
        annotator="ana",
        status=Status.DONE,
        article_id=3,
    )


def _strict(text: str):
    def refuse(token):
        raise AssertionError(f"non-standard JSON: {token}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    "write",
    [
        lambda records, tmp: prodigy.write(
            records, tmp / "p.jsonl", tokenize=lambda t: [(0, 5), (6, 8), (9, 14)], dataset="d"
        ),
        lambda records, tmp: doccano.write(records, tmp),
        lambda records, tmp: labelstudio.write(records, tmp / "t.json"),
    ],
    ids=["prodigy", "doccano", "label-studio"],
)
def test_formats_exports_write_standard_json_and_refuse_stored_nan(tmp_path, write):
    write([_record({"score": 0.5})], tmp_path)
    written = [p for p in tmp_path.rglob("*.json*") if p.is_file()]
    assert written
    for path in written:
        text = path.read_text()
        _strict(text) if path.suffix == ".json" else [_strict(x) for x in text.splitlines()]
    for path in written:
        path.unlink()
    with pytest.raises(ExportError) as caught:
        write([_record({"score": float("nan")})], tmp_path)
    assert str(caught.value) == (
        "article 3 “T”: its metadata holds NaN or Infinity, which standard JSON cannot hold; "
        "set those values to null or a number and export again"
    )
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # nothing half-written


def test_formats_export_json_is_standard():
    assert export_json({"a": [1, 2.5, None]}, _record({})) == '{"a": [1, 2.5, null]}'
    with pytest.raises(ExportError, match=re.escape("article 3 “T”: its metadata holds NaN")):
        export_json({"a": float("inf")}, _record({}))


def test_fileio_iter_lines_splits_lines_across_read_blocks(tmp_path):
    # Lines of every length around the 1 MiB blocks iter_lines reads, CRLF ends, a BOM, a
    # blank line and no line end at the end: the same lines as splitting the whole file.
    pieces = (
        ["\ufeffTitle\r"]
        + [("é" * (n % 7) + "x" * n) for n in (0, 1, 2**20 - 3, 5, 2**20, 3 * 2**20 + 7, 0)]
        + ["last"]
    )
    path = tmp_path / "lines.txt"
    path.write_bytes("\n".join(pieces).encode("utf-8"))
    expected = [line.rstrip("\r") for line in path.read_bytes()[3:].decode("utf-8").split("\n")]
    got = list(fileio.iter_lines(path))
    assert [number for number, _ in got] == list(range(1, len(expected) + 1))
    assert [line for _, line in got] == expected
    path.write_bytes(b"one\ntwo\n")  # a final line end adds no empty line
    assert list(fileio.iter_lines(path)) == [(1, "one"), (2, "two")]
