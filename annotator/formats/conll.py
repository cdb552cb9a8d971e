"""CoNLL-2003 style IOB2: one token per line (token first, tag last), a blank line between
sentences, ``-DOCSTART- -X- O O`` before each document; what ``spacy convert -c ner`` reads.

Import: a file with ``-DOCSTART-`` lines holds documents (their sentences joined by line
breaks, tokens by spaces); a file without them holds one record per sentence, as doccano
reads it (``JAPAN B-LOC`` / ``GET O`` gives ``JAPAN GET`` with ``[0, 5, LOC]``). An ``I-X``
that does not continue a ``B-X`` or ``I-X`` is refused, naming the line.

Export: tokens are spaCy's, further cut at whitespace and at span boundaries so that no
span is lost or moved; a line break in the text ends a sentence (unless a span crosses it).
The text's exact spacing is not carried (CoNLL has no place for it): a round trip keeps
every non-space character, each span over the same characters, and the labels. Overlapping
spans cannot be written as tags: they are export problems, like spans of only whitespace.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from annotator.domain.errors import InputError
from annotator.domain.records import AnnotatedRecord
from annotator.domain.spans import Span, cut_tokens, without_overlaps
from annotator.formats.common import RawSpan, SpanProblems, build_record
from annotator.formats.fileio import atomic_output, iter_lines

SUFFIXES = (".conll", ".conll03", ".iob", ".iob2", ".bio")
OUTPUT = "annotations.conll"
DOCSTART = "-DOCSTART-"
DOC_LINE = "-DOCSTART- -X- O O"  # spaCy's converter splits documents on exactly this line
# Document lines read as such: spaCy's, and the original CoNLL-2003 files'. A token
# "-DOCSTART-" in an article ("-DOCSTART- O") is a token like any other.
DOC_LINES = frozenset({DOC_LINE, "-DOCSTART- -X- -X- O"})


def is_doc_line(line: str) -> bool:
    """Whether ``line`` is a document line (its columns exactly one of DOC_LINES)."""
    return " ".join(line.split()) in DOC_LINES


Tokenize = Callable[[str], list[tuple[int, int]]]


class _Builder:
    """Collects the tokens and tags of one record and turns them into text and spans."""

    def __init__(self, path: Path, first_line: int):
        self.path = path
        self.first_line = first_line
        self.parts: list[str] = []
        self.length = 0
        self.spans: list[RawSpan] = []
        self.open: tuple[int, str] | None = None  # start and label of the entity being read
        self._end = 0  # where the entity being read ends so far
        self.tokens = 0

    def sentence_break(self) -> None:
        self._close()
        if self.parts and self.parts[-1] != "\n":
            self.parts.append("\n")
            self.length += 1

    def token(self, word: str, tag: str, number: int) -> None:
        if self.parts and self.parts[-1] != "\n":
            self.parts.append(" ")
            self.length += 1
        start = self.length
        self.parts.append(word)
        self.length += len(word)
        self.tokens += 1
        if tag == "O":
            self._close()
            return
        prefix, _, label = tag.partition("-")
        if prefix not in ("B", "I") or not label:
            raise InputError(
                f"{tag!r} is not an IOB2 tag (O, B-LABEL or I-LABEL)", path=self.path, line=number
            )
        if prefix == "I":
            if self.open is None or self.open[1] != label:
                before = f"I-{self.open[1]}" if self.open else "O"
                raise InputError(
                    f"invalid IOB2 sequence: {tag} after {before} (an entity starts with B-)",
                    path=self.path,
                    line=number,
                )
            self._end = self.length
            return
        self._close()
        self.open = (start, label)
        self._end = self.length

    def _close(self) -> None:
        if self.open is not None:
            self.spans.append(RawSpan(self.open[0], self._end, self.open[1]))
            self.open = None

    def record(self) -> AnnotatedRecord:
        self._close()
        text = "".join(self.parts).rstrip("\n")
        return build_record(text, self.spans, path=self.path, line=self.first_line)


def read(path: Path) -> Iterator[AnnotatedRecord | InputError]:
    """Yield the documents (or, without ``-DOCSTART-`` lines, the sentences) of ``path``."""
    has_docstart = any(isinstance(line, str) and is_doc_line(line) for _, line in iter_lines(path))
    builder: _Builder | None = None
    failed = False  # after an error, skip to the next record
    for number, line in iter_lines(path):
        if isinstance(line, InputError):
            yield line
            failed, builder = True, None
            continue
        columns = line.split()
        if columns and columns[0] == DOCSTART and is_doc_line(line):
            if builder is not None and not failed:
                yield _finish(builder)
            builder, failed = _Builder(path, number + 1), False
            continue
        if not columns:
            if has_docstart:
                if builder is not None:
                    builder.sentence_break()
                continue
            if builder is not None and not failed and builder.tokens:
                yield _finish(builder)
            builder, failed = None, False
            continue
        if failed:
            continue
        if builder is None:
            builder = _Builder(path, number)
        if len(columns) < 2:
            yield InputError(
                "expected a token and its tag separated by whitespace", path=path, line=number
            )
            failed = True
            continue
        try:
            builder.token(columns[0], columns[-1], number)
        except InputError as exc:
            yield exc
            failed = True
    if builder is not None and not failed and (has_docstart or builder.tokens):
        yield _finish(builder)


def _finish(builder: _Builder) -> AnnotatedRecord | InputError:
    try:
        return builder.record()
    except InputError as exc:
        return exc


def conll_tokens(
    text: str, tokens: list[tuple[int, int]], spans: list[Span]
) -> list[tuple[int, int]]:
    """Tokens for CoNLL: the given ones cut at whitespace inside them (CoNLL separates
    columns by whitespace) and at span boundaries, whitespace-only pieces left out."""
    pieces: list[tuple[int, int]] = []
    for start, end in tokens:
        position = start
        while position < end:
            while position < end and text[position].isspace():
                position += 1
            stop = position
            while stop < end and not text[stop].isspace():
                stop += 1
            if stop > position:
                pieces.append((position, stop))
            position = stop
    return cut_tokens(pieces, (o for span in spans for o in (span.start, span.end)))


def document_lines(
    record: AnnotatedRecord, tokens: list[tuple[int, int]], problems: SpanProblems
) -> list[str]:
    """The token lines (and blank sentence breaks) of one record."""
    text = record.article.text
    spans, overlapping = without_overlaps(record.spans)
    for span, other in overlapping:
        problems.report(
            record,
            span,
            f"overlaps [{other.start}, {other.end}) {other.label}; IOB tags hold one layer",
        )
    kept = []
    for span in spans:
        if text[span.start : span.end].isspace():
            problems.report(record, span, "holds only whitespace, which CoNLL has no token for")
        else:
            kept.append(span)
    pieces = conll_tokens(text, tokens, kept)
    tags = ["O"] * len(pieces)
    inside = [False] * len(pieces)
    starts = [start for start, _ in pieces]
    for span in kept:
        first = bisect_left(starts, span.start)
        i = first
        while i < len(pieces) and pieces[i][1] <= span.end:
            tags[i] = ("B-" if i == first else "I-") + span.label
            if i > first:
                inside[i] = True
            i += 1
    lines: list[str] = []
    previous_end = None
    for i, (start, end) in enumerate(pieces):
        if previous_end is not None and "\n" in text[previous_end:start] and not inside[i]:
            lines.append("")
        lines.append(f"{text[start:end]} {tags[i]}")
        previous_end = end
    return lines


def write(
    records: Iterable[AnnotatedRecord], out: Path, *, tokenize: Tokenize, problems: SpanProblems
) -> int:
    """Write every record as one ``-DOCSTART-`` document to ``out`` (atomically)."""
    count = 0
    with atomic_output(out) as handle:
        for record in records:
            lines = document_lines(record, tokenize(record.article.text), problems)
            handle.write(DOC_LINE + "\n\n")
            if lines:
                handle.write("\n".join(lines) + "\n\n")
            count += 1
    return count
