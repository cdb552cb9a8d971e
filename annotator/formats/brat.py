"""brat standoff: ``<doc>.txt`` holds the text, ``<doc>.ann`` its entities as
``T1<TAB>LABEL start end<TAB>span text``, offsets in characters of the ``.txt``.

A project folder whose first-level subfolders hold the documents has one annotator per
subfolder (the layout bratiaa uses for agreement); the same document in two subfolders is
the same article. A folder that holds ``.ann`` files itself is one annotator's. Relations,
events, attributes and notes are not imported (the import reports how many there were);
an entity that crosses a line break is written as brat writes it, in fragments
(``T1<TAB>LOC 0 17;19 29<TAB>text of both``, the fragments' texts joined by a space), and
read back as one span when only whitespace lies between its fragments; any other
discontinuous entity is refused by line, as annotator cannot hold it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from annotator.domain.errors import InputError
from annotator.domain.records import AnnotatedRecord, ArticleRecord
from annotator.domain.spans import check_span
from annotator.domain.text import check_name, first_nonempty_line, normalise_text, visible
from annotator.formats.common import RawSpan, build_record, safe_file_name
from annotator.formats.fileio import atomic_output, iter_lines, read_text, write_whole

SUFFIXES = (".ann",)
_KINDS = {
    "R": "relations",
    "E": "events",
    "A": "attributes",
    "M": "attributes",
    "N": "normalisations",
    "#": "notes",
    "*": "equivalences",
}


def _visible_files(folder: Path, suffix: str) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob(f"*{suffix}")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def annotator_folders(root: Path) -> list[Path]:
    """The first-level subfolders of ``root`` that hold brat documents, by name."""
    return [
        child
        for child in sorted(root.iterdir())
        if child.is_dir() and not child.name.startswith(".") and _visible_files(child, ".txt")
    ]


_LINE_BREAK = re.compile(r"\s*[\r\n]\s*")


def flat_span_text(text: str) -> str:
    """A span's text as the ``.ann`` line carries it: line breaks become spaces."""
    return text.replace("\r", " ").replace("\n", " ")


def fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The pieces brat writes for the span [start, end): split where whitespace holding a
    line break lies inside it (that whitespace belongs to no piece). A line break at the
    very start or end of the span stays in its piece (brat cannot hold it; we read it back
    from the flattened text)."""
    pieces: list[tuple[int, int]] = []
    position = start
    for match in _LINE_BREAK.finditer(text, start, end):
        if match.start() == start or match.end() == end:
            continue
        pieces.append((position, match.start()))
        position = match.end()
    pieces.append((position, end))
    return pieces


def fragment_text(text: str, pieces: list[tuple[int, int]]) -> str:
    """The text field brat expects for ``pieces``: their texts joined by one space."""
    return " ".join(flat_span_text(text[a:b]) for a, b in pieces)


def _offsets(value: str) -> list[tuple[int, int]]:
    """``"0 17;19 29"`` as [(0, 17), (19, 29)]; ValueError when it is not that shape."""
    pieces = []
    for part in value.split(";"):
        start, end = (int(number) for number in part.split())
        pieces.append((start, end))
    return pieces


def read_document(
    txt: Path, ann: Path | None, annotator: str | None, doc_name: str
) -> AnnotatedRecord | ArticleRecord:
    """One document: its text and (when there is an ``.ann`` file) its entities."""
    text = read_text(txt)
    title = first_nonempty_line(normalise_text(text))
    if ann is None:
        return ArticleRecord(
            text=normalise_text(text),
            title=title,
            source=txt.name,
            external_id=doc_name,
            where=str(txt),
        )
    spans: list[RawSpan] = []
    ignored: Counter[str] = Counter()
    for number, line in iter_lines(ann):
        if isinstance(line, InputError):
            raise line
        if not line.strip():
            continue
        if line[0] != "T":
            ignored[_KINDS.get(line[0], "other lines")] += 1
            continue
        parts = line.split("\t", 2)
        if len(parts) < 2:
            raise InputError("expected 'T<n><TAB>LABEL start end<TAB>text'", path=ann, line=number)
        head = parts[1].split(" ", 1)
        if len(head) != 2:
            raise InputError(f"entity {parts[0]} has no offsets", path=ann, line=number)
        label, offsets = head
        try:
            pieces = _offsets(offsets)
        except ValueError:
            raise InputError(
                f"entity {parts[0]}: offsets must be two integers per fragment "
                f"('start end', fragments joined by ';'), got {offsets!r}",
                path=ann,
                line=number,
            ) from None
        start, end = pieces[0][0], pieces[-1][1]
        for (_, left), (right, _) in zip(pieces, pieces[1:], strict=False):
            if not (0 <= left <= right <= len(text)) or text[left:right].strip():
                raise InputError(
                    f"entity {parts[0]} is discontinuous ({offsets}) with text between its "
                    "fragments; annotator holds contiguous spans only",
                    path=ann,
                    line=number,
                )
        what = f"entity {parts[0]} {visible(label)} [{start}, {end})"
        problem = check_span(start, end, len(text)) or check_name(label, "label")
        if problem:
            raise InputError(f"{what}: {problem} of {txt.name}", path=ann, line=number)
        expected = fragment_text(text, pieces)
        if len(parts) == 3 and parts[2] != expected:
            raise InputError(
                f"{what}: text {visible(parts[2])!r} does not match "
                f"{visible(expected)!r} in {txt.name}",
                path=ann,
                line=number,
            )
        spans.append(RawSpan(start, end, label))
    try:
        return build_record(
            text,
            spans,
            path=ann,
            annotator=annotator,
            title=title,
            source=txt.name,
            external_id=doc_name,
            ignored=[f"{count} {kind}" for kind, count in sorted(ignored.items())],
        )
    except InputError as exc:
        raise InputError(exc.reason, path=ann) from None


def _documents(
    folder: Path, annotator: str | None
) -> Iterator[AnnotatedRecord | ArticleRecord | InputError]:
    for txt in _visible_files(folder, ".txt"):
        ann = txt.with_suffix(".ann")
        doc_name = txt.relative_to(folder).with_suffix("").as_posix()
        try:
            yield read_document(txt, ann if ann.exists() else None, annotator, doc_name)
        except InputError as exc:
            yield exc
    for ann in _visible_files(folder, ".ann"):
        if not ann.with_suffix(".txt").exists():
            yield InputError(f"no {ann.with_suffix('.txt').name} beside it", path=ann)


def read(path: Path) -> Iterator[AnnotatedRecord | ArticleRecord | InputError]:
    """Yield the documents of a brat project folder (one annotator per first-level
    subfolder), of a folder of documents, or of one ``.ann``/``.txt`` file (anything that
    is not a folder, a device such as /dev/zero too, is taken as a file)."""
    if not path.is_dir():
        txt, ann = path.with_suffix(".txt"), path.with_suffix(".ann")
        if not txt.exists():
            yield InputError(f"no {txt.name} beside it", path=path)
            return
        try:
            yield read_document(txt, ann if ann.exists() else None, None, txt.stem)
        except InputError as exc:
            yield exc
        return
    if any(path.glob("*.ann")):
        yield from _documents(path, None)
        return
    folders = annotator_folders(path)
    if not folders:
        yield InputError("no brat documents (.txt with .ann) here", path=path)
    for folder in folders:
        yield from _documents(folder, folder.name)


def ann_lines(record: AnnotatedRecord) -> str:
    """The ``.ann`` text of one record."""
    text = record.article.text
    find = text.find
    lines = []
    for i, span in enumerate(record.spans, 1):
        start, end = span.start, span.end
        if find("\n", start, end) < 0 and find("\r", start, end) < 0:
            # No line break inside: one piece, its text as it is (most spans).
            lines.append(f"T{i}\t{span.label} {start} {end}\t{text[start:end]}\n")
            continue
        pieces = fragments(text, start, end)
        offsets = ";".join(f"{a} {b}" for a, b in pieces)
        lines.append(f"T{i}\t{span.label} {offsets}\t{fragment_text(text, pieces)}\n")
    return "".join(lines)


def document_name(record: AnnotatedRecord, taken: dict[str, int]) -> str:
    """A file name for the record's article: its external id or source file name when that
    is free, else ``article-<id>``; ``taken`` maps names already given to article ids."""
    article = record.article
    candidates = [article.external_id, Path(article.source).stem if article.source else None]
    for candidate in candidates:
        if candidate:
            name = safe_file_name(candidate.replace("/", "_"))
            if taken.get(name, record.article_id) == record.article_id:
                return name
    return f"article-{record.article_id}"


ANNOTATION_CONF = """# Entity types of this export, for brat's display.
[entities]
{labels}

[relations]

[events]

[attributes]
"""


def write(records: Iterable[AnnotatedRecord], folder: Path) -> list[Path]:
    """Write ``<annotator>/<doc>.txt`` and ``.ann`` files and an ``annotation.conf`` into
    ``folder``; return the annotator folders written."""
    taken: dict[str, int] = {}
    names: dict[int, str] = {}
    labels: set[str] = set()
    annotators: set[str] = set()
    for record in records:
        _write_document(record, folder, taken, names, annotators)
        labels.update(span.label for span in record.spans)
    with atomic_output(folder / "annotation.conf") as handle:
        handle.write(ANNOTATION_CONF.format(labels="\n".join(sorted(labels))))
    return [folder / person for person in sorted(annotators)]


def _write_document(
    record: AnnotatedRecord,
    folder: Path,
    taken: dict[str, int],
    names: dict[int, str],
    annotators: set[str],
) -> None:
    """Write one record's ``.txt`` and ``.ann`` (its name chosen once per article)."""
    assert record.article_id is not None
    name = names.get(record.article_id)
    if name is None:
        name = document_name(record, taken)
        taken[name] = record.article_id
        names[record.article_id] = name
    person = safe_file_name(record.annotator or "annotations")
    annotators.add(person)
    target = folder / person
    # Bytes: brat's offsets count characters of the file exactly as written, so no
    # line end may be translated on the way.
    write_whole(target / f"{name}.txt", record.article.text.encode("utf-8"))
    write_whole(target / f"{name}.ann", ann_lines(record).encode("utf-8"))
