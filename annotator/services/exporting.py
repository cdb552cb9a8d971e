"""Export annotations to the exchange formats: choose them, stream them out of the store, and
write the file or folder atomically (a failure leaves nothing behind)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from annotator import __version__
from annotator.domain.errors import ExportError, InputError
from annotator.domain.records import AnnotatedRecord, ArticleRecord
from annotator.domain.spans import Origin, Span, Status
from annotator.domain.split import train_dev_split
from annotator.domain.text import visible
from annotator.formats import brat, conll, docbin, doccano, labelstudio, prodigy
from annotator.formats.common import SpanProblems
from annotator.formats.fileio import atomic_output, check_destination, default_mode
from annotator.nlp.tokens import blank, token_offsets
from annotator.services.background import from_subprocess
from annotator.services.reading import (
    ANNOTATED_FORMATS,
    FORMAT_ALIASES,
    SINGLE_FILE_FORMATS,
    ProgressCallback,
)
from annotator.store.annotations import StoredAnnotation, selected_articles, stored_annotations
from annotator.store.engine import Store, open_store
from annotator.store.models import Annotator, Article
from annotator.store.suggestions import suggestions_for

EXPORTS_DIR = Path("exports")
# spaCy exports of more annotations than this are built by two processes (start-up ~1 s).
SUBPROCESS_THRESHOLD = 5000
MANIFEST = ".annotator-export.json"  # marks a folder as ours, so a new export may replace it
# Formats that cannot say who made an annotation, so one article may appear only once.
ONE_ANNOTATION_PER_ARTICLE = frozenset({"spacy", "conll"})


@dataclass
class ExportReport:
    """What an export wrote: where, how many annotations of how many articles by whom, the
    docs of each part (spacy), spans left out (with --skip-invalid), the train command."""

    format: str
    out: Path
    annotations: int = 0
    articles: int = 0
    annotators: list[str] = field(default_factory=list)
    suggestions: int = 0
    parts: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    command: str | None = None


def default_out(fmt: str, now: datetime | None = None) -> Path:
    """``exports/<local time>-<format>/``, plus the file name for single-file formats."""
    stamp = (now or datetime.now()).strftime("%Y-%m-%dT%H-%M-%S")
    folder = EXPORTS_DIR / f"{stamp}-{fmt}"
    if fmt in SINGLE_FILE_FORMATS:
        return folder / ANNOTATED_FORMATS[fmt].OUTPUT
    return folder


def _check_options(
    session: Session, fmt: str, source: str, status: str, split: float, spans_key: str | None
) -> None:
    if fmt not in ANNOTATED_FORMATS:
        raise InputError(f"unknown format {fmt!r} (known: {', '.join(ANNOTATED_FORMATS)})")
    if status != "all" and status not in {s.value for s in Status}:
        raise InputError(
            f"unknown status {status!r} (use all, {', '.join(s.value for s in Status)})"
        )
    if not 0.0 <= split <= 1.0:
        raise InputError(f"--split must be between 0 and 1, got {split}")
    if spans_key is not None and fmt != "spacy":
        raise InputError("--spans-key applies to the spacy format only")
    if spans_key is not None and not spans_key.strip():
        raise InputError("--spans-key must not be empty")
    if source not in ("all", "gold"):
        names = list(session.scalars(select(Annotator.name).order_by(Annotator.name)))
        if source not in names:
            raise InputError(
                f"no annotator {visible(source)!r} (use gold, all or one of: "
                f"{', '.join(names) or 'nobody yet'})"
            )


def _check_one_per_article(
    session: Session, fmt: str, selected: list[tuple[int, str, str]]
) -> None:
    """Training data holds one version of each article (two annotators' versions would be
    conflicting examples), and CoNLL cannot say who made an annotation."""
    previous: tuple[int, str, str] | None = None
    for row in selected:
        if previous is not None and previous[0] == row[0]:
            names = sorted({name for article, _, name in selected if article == row[0]})
            article = session.get(Article, row[0])
            title = f" “{visible(article.title[:60])}”" if article and article.title else ""
            why = (
                "training data would hold conflicting versions of it"
                if fmt == "spacy"
                else f"{fmt} cannot say who made which"
            )
            raise ExportError(
                f"article {row[0]}{title} has annotations by {len(names)} annotators "
                f"({', '.join(names)}); {why}: export --source gold (adjudicated) or "
                "--source NAME"
            )
        previous = row


def _fingerprint(selected: list[tuple[int, str, str]]) -> str:
    return hashlib.sha256(repr(selected).encode("utf-8")).hexdigest()


def docbin_first_half(
    url: str,
    source: str,
    status: str,
    upto: int,
    fingerprint: str,
    lang: str,
    spans_key: str | None,
    train_ids: frozenset[int],
    skip_invalid: bool,
) -> Iterator[tuple[dict[str, bytes], list[str]]]:
    """(In a child process.) Build the DocBins of the selected annotations of articles up
    to id ``upto`` and yield them serialised, with the spans left out. Refuses to go on if
    its read transaction does not see the selection the exporting process saw, so that the
    export stays one consistent state of the database."""
    store = open_store(url)
    try:
        with store.read() as session:
            articles = (None, upto)
            mine = selected_articles(session, source=source, status=status, articles=articles)
            if _fingerprint(mine) != fingerprint:
                raise ExportError("annotations changed as the export started; run it again")
            problems = SpanProblems(skip_invalid)
            records = _records(
                stored_annotations(session, source=source, status=status, articles=articles),
                session,
                with_suggestions=False,
                progress=lambda count: None,
            )
            bins = docbin.build(
                records,
                nlp=blank(lang),
                spans_key=spans_key,
                is_train=lambda record: record.article_id in train_ids,
                problems=problems,
            )
            yield docbin.to_bytes(bins), problems.found
    finally:
        store.dispose()


def _shareable(store: Store) -> bool:
    """False for an in-memory database, which a child process cannot open."""
    url = store.engine.url
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


def _records(
    stored: Iterator[StoredAnnotation],
    session: Session,
    *,
    with_suggestions: bool,
    progress: Callable[[int], None],
) -> Iterator[AnnotatedRecord]:
    """The selected annotations as records, in stable order; pending suggestions inside an
    annotation (origin suggested) are not the annotator's spans and are left out. With
    ``with_suggestions``, each article's machine suggestions follow its annotations."""
    previous: int | None = None
    previous_article: ArticleRecord | None = None
    for count, stored_annotation in enumerate(stored, 1):
        if with_suggestions and previous is not None and stored_annotation.article_id != previous:
            yield from _suggestion_records(session, previous, previous_article)
        article = ArticleRecord(
            text=stored_annotation.text,
            title=stored_annotation.title,
            source=stored_annotation.source,
            meta=stored_annotation.meta,
            external_id=stored_annotation.external_id,
            where=f"article {stored_annotation.article_id}",
        )
        yield AnnotatedRecord(
            article=article,
            spans=[s for s in stored_annotation.spans if s.origin is not Origin.SUGGESTED],
            annotator=stored_annotation.annotator,
            status=stored_annotation.status,
            note=stored_annotation.note,
            article_id=stored_annotation.article_id,
        )
        previous, previous_article = stored_annotation.article_id, article
        progress(count)
    if with_suggestions and previous is not None:
        yield from _suggestion_records(session, previous, previous_article)


def _suggestion_records(
    session: Session, article_id: int, article: ArticleRecord | None
) -> Iterator[AnnotatedRecord]:
    assert article is not None
    by_source: dict[str, list[Span]] = {}
    for suggestion in suggestions_for(session, [article_id])[article_id]:
        by_source.setdefault(suggestion.source, []).append(
            Span(suggestion.start, suggestion.end, suggestion.label, Origin.SUGGESTED)
        )
    for source, spans in by_source.items():
        yield AnnotatedRecord(
            article=article, spans=sorted(set(spans)), suggested_by=source, article_id=article_id
        )


def _dataset_name(store: Store) -> str:
    if store.url.startswith("sqlite:///"):
        return Path(store.url[len("sqlite:///") :]).stem or "annotator"
    return "annotator"


@contextmanager
def _new_parents(path: Path) -> Iterator[None]:
    """Remove the folders above ``path`` that did not exist before, if the block fails, so
    that a failed export leaves no empty dated folder behind."""
    missing = [parent for parent in path.parents if not parent.exists()]
    try:
        yield
    except BaseException:
        for folder in missing:  # deepest first
            try:
                folder.rmdir()
            except OSError:
                break
        raise


@contextmanager
def _folder_in_place(out: Path, manifest: dict[str, Any]) -> Iterator[Path]:
    """A temporary folder next to ``out``, renamed to ``out`` when the block succeeds and
    removed when it fails. An earlier export of ours at ``out`` is replaced; any other
    non-empty folder (or a file) there is refused, so that nothing of the user's is lost."""
    check_destination(out)
    if out.exists():
        if not out.is_dir():
            raise ExportError(f"{out} is a file; this format writes a folder, give --out a folder")
        if any(out.iterdir()) and not (out / MANIFEST).is_file():
            raise ExportError(
                f"{out} exists and is not an earlier annotator export; choose another --out"
            )
    with _new_parents(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        try:
            os.chmod(temporary, default_mode(directory=True))
            yield temporary
            with atomic_output(temporary / MANIFEST) as handle:
                handle.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
            if out.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
                os.replace(out, old / "export")
                try:
                    os.replace(temporary, out)
                except BaseException:
                    os.replace(old / "export", out)
                    raise
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(temporary, out)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise


@contextmanager
def _file_in_place(out: Path) -> Iterator[None]:
    """Checks for a single-file export; folders it had to create are removed on failure
    (the file itself is written by atomic_output)."""
    check_destination(out)
    if out.is_dir():
        raise ExportError(f"{out} is a folder; this format writes one file, give --out a file")
    with _new_parents(out):
        yield


def export_annotations(
    store: Store,
    *,
    fmt: str,
    out: Path | None = None,
    source: str = "all",
    status: str = "done",
    split: float = 0.8,
    seed: int = 0,
    spans_key: str | None = None,
    skip_invalid: bool = False,
    lang: str = "en",
    dataset: str | None = None,
    progress: ProgressCallback | None = None,
) -> ExportReport:
    """Export the annotations ``source`` (gold, all, or an annotator's name) with ``status``
    (done, all, or another status) in format ``fmt`` to ``out`` (default: a dated folder
    under exports/). Spans the format cannot hold stop the export with ExportError unless
    ``skip_invalid``, which leaves them out and lists them in the report.

    Everything is read in one read transaction, so the export is one consistent state of
    the database even while annotators keep working.
    """
    fmt = FORMAT_ALIASES.get(fmt, fmt)
    with store.read() as session:
        _check_options(session, fmt, source, status, split, spans_key)
        selected = selected_articles(session, source=source, status=status)
        if not selected:
            who = {"gold": "the adjudicated gold", "all": "any annotator"}.get(source, source)
            hint = " (--status all includes work in progress)" if status == "done" else ""
            raise ExportError(
                f"nothing to export: no annotations with status {status} from {who}{hint}"
            )
        if fmt in ONE_ANNOTATION_PER_ARTICLE and source != "gold":
            _check_one_per_article(session, fmt, selected)
        job = _Job(
            store=store,
            session=session,
            fmt=fmt,
            source=source,
            status=status,
            selected=selected,
            problems=SpanProblems(skip_invalid),
            report=ExportReport(
                format=fmt,
                out=out if out is not None else default_out(fmt),
                annotations=len(selected),
                articles=len({row[0] for row in selected}),
                annotators=sorted({row[2] for row in selected}),
            ),
            progress=progress,
        )
        if fmt in SINGLE_FILE_FORMATS:
            _write_file(job, lang=lang, dataset=dataset or _dataset_name(store))
        else:
            settings: dict[str, Any] = {"source": source, "status": status}
            if fmt == "spacy":
                settings.update(split=split, seed=seed, lang=lang, spans_key=spans_key)
            _write_folder(job, settings)
    job.report.skipped = job.problems.found
    return job.report


@dataclass
class _Job:
    """One export under way: what it reads, where its problems and counts go."""

    store: Store
    session: Session
    fmt: str
    source: str
    status: str
    selected: list[tuple[int, str, str]]
    problems: SpanProblems
    report: ExportReport
    progress: ProgressCallback | None

    def records(
        self, articles: tuple[int | None, int | None] = (None, None), share: float = 1.0
    ) -> Iterator[AnnotatedRecord]:
        """The selected annotations (of articles in ``articles``) as records; ``share`` is
        the part of the export they are, for the progress bar."""
        total = len(self.selected)

        def tick(count: int) -> None:
            done = min(round(count / share), total)
            if self.progress is not None and (count % 500 == 0 or done == total):
                self.progress(done, total)

        stored = stored_annotations(
            self.session, source=self.source, status=self.status, articles=articles
        )
        return _records(
            stored, self.session, with_suggestions=self.fmt == "label-studio", progress=tick
        )


def _write_file(job: _Job, *, lang: str, dataset: str) -> None:
    out = job.report.out
    with _file_in_place(out):
        if job.fmt == "prodigy":
            prodigy.write(job.records(), out, tokenize=token_offsets(lang), dataset=dataset)
        elif job.fmt == "conll":
            conll.write(job.records(), out, tokenize=token_offsets(lang), problems=job.problems)
        elif job.fmt == "label-studio":
            labelstudio.write(_counting_suggestions(job.records(), job.report), out)
    job.report.files = [out]


def _write_folder(job: _Job, settings: dict[str, Any]) -> None:
    report, out = job.report, job.report.out
    manifest: dict[str, Any] = {
        "annotator": __version__,
        "format": job.fmt,
        **settings,
        "annotations": report.annotations,
        "articles": report.articles,
        "annotators": report.annotators,
    }
    with _folder_in_place(out, manifest) as folder:
        if job.fmt == "spacy":
            report.parts = _write_docbins(job, folder, settings)
            report.files = [out / f"{part}.spacy" for part in docbin.PARTS]
            report.files.append(out / docbin.CONFIG)
            report.command = docbin.train_command(out)
        elif job.fmt == "doccano":
            report.files = [out / p.name for p in doccano.write(job.records(), folder)]
        elif job.fmt == "brat":
            report.files = [out / p.name for p in brat.write(job.records(), folder)]
        # The manifest is written as the block ends, so these counts still reach it.
        if report.parts:
            manifest["parts"] = report.parts
        manifest["skipped_spans"] = len(job.problems.found)


def _write_docbins(job: _Job, folder: Path, settings: dict[str, Any]) -> dict[str, int]:
    """train.spacy, dev.spacy and config.cfg. A large export is built by two processes:
    a child builds the DocBins of the first half of the articles (reading them itself)
    while this process builds the second half; joined, they are the DocBins one process
    would build, doc for doc. spaCy's tokenizer and DocBin hold the GIL, so only a second
    process really uses the second core."""
    selected = job.selected
    train = train_dev_split((row[1] for row in selected), settings["split"], settings["seed"])
    train_ids = {row[0] for row in selected if row[1] in train}
    nlp = blank(settings["lang"])
    docbin.write_config(
        folder / docbin.CONFIG, lang=docbin.pipeline_lang(nlp), spans_key=settings["spans_key"]
    )

    def build(records: Iterator[AnnotatedRecord]) -> dict[str, Any]:
        return docbin.build(
            records,
            nlp=nlp,
            spans_key=settings["spans_key"],
            is_train=lambda record: record.article_id in train_ids,
            problems=job.problems,
        )

    if len(selected) < SUBPROCESS_THRESHOLD or not _shareable(job.store):
        return docbin.save(build(job.records()), folder)
    upto = selected[len(selected) // 2 - 1][0]
    first = [row for row in selected if row[0] <= upto]
    args = (
        job.store.url,
        job.source,
        job.status,
        upto,
        _fingerprint(first),
        settings["lang"],
        settings["spans_key"],
        frozenset(row[0] for row in first if row[0] in train_ids),
        job.problems.skip_invalid,
    )
    with from_subprocess(docbin_first_half, *args) as child:
        try:
            second = build(job.records((upto, None), share=1 - len(first) / len(selected)))
        except ExportError:
            # Report the first problem in article order, as one process would: the child's
            # half comes first, so its problem (raised by next()) wins over this one.
            next(child)
            raise
        first_bytes, first_problems = next(child)
    job.problems.found[:0] = first_problems
    return docbin.save(docbin.joined(first_bytes, second), folder)


def _counting_suggestions(
    records: Iterator[AnnotatedRecord], report: ExportReport
) -> Iterator[AnnotatedRecord]:
    for record in records:
        if record.suggested_by is not None:
            report.suggestions += len(record.spans)
        yield record
