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
from annotator.formats.fileio import atomic_output

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


def read(path: Path, *, spans_key: str | None = None) -> Iterator[AnnotatedRecord | InputError]:
    """Yield one record per doc of a ``.spacy`` file: its text and ``doc.ents`` (or
    ``doc.spans[spans_key]``), with annotator, status and metadata where we wrote them."""
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    try:
        data = path.read_bytes()
    except OSError as exc:
        yield InputError(f"cannot read ({exc.strerror})", path=path)
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
            title, source, external_id, meta = split_meta(dict(info.get("meta") or {}), path, None)
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
