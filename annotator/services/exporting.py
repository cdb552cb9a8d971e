"""Export annotations to the exchange formats: choose them, stream them out of the store, and
write the file or folder atomically (a failure leaves nothing behind)."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator import __version__
from annotator.domain.errors import ExportError, InputError
from annotator.domain.records import AnnotatedRecord
from annotator.domain.spans import Origin, Span, Status
from annotator.domain.split import train_dev_split
from annotator.domain.text import visible
from annotator.formats import brat, conll, docbin, doccano, labelstudio, prodigy
from annotator.formats.common import SpanProblems
from annotator.formats.fileio import (
    atomic_output,
    check_destination,
    default_mode,
    remove_stale_temporaries,
    temporary_prefix,
    unsynced_folder,
)
from annotator.nlp.tokens import blank, token_offsets
from annotator.services.background import from_subprocess
from annotator.services.heap import bulk_collection
from annotator.services.reading import (
    ANNOTATED_FORMATS,
    FORMAT_ALIASES,
    SINGLE_FILE_FORMATS,
    ProgressCallback,
)
from annotator.store.engine import Store, open_store
from annotator.store.exports import (
    annotator_names,
    article_title,
    export_records,
    selected_articles,
    selection_summary,
    suggestions_by_article,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection

EXPORTS_DIR = Path("exports")
# spaCy exports of more annotations than this are built by two processes (start-up ~1 s).
SUBPROCESS_THRESHOLD = 5000
# spaCy exports of more annotations than this are written as folders of DocBin shards of
# this many docs (spaCy trains on a folder of .spacy files), so that memory stays flat:
# a DocBin holds about 33 KB per document until it is written.
SHARD_DOCS = 2000
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
    conn: Connection, fmt: str, source: str, status: str, split: float, spans_key: str | None
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
        names = annotator_names(conn)
        if source not in names:
            raise InputError(
                f"no annotator {visible(source)!r} (use gold, all or one of: "
                f"{', '.join(names) or 'nobody yet'})"
            )


def _refuse_two_versions(
    conn: Connection, fmt: str, source: str, status: str, article: int
) -> None:
    """Training data holds one version of each article (two annotators' versions would be
    conflicting examples), and CoNLL cannot say who made an annotation: ``article`` (the
    first with more than one selected annotation) stops the export."""
    rows = selected_articles(conn, source=source, status=status, articles=(article - 1, article))
    names = sorted({name for _, _, name in rows})
    found = article_title(conn, article)
    title = f" “{visible(found[:60])}”" if found else ""
    why = (
        "training data would hold conflicting versions of it"
        if fmt == "spacy"
        else f"{fmt} cannot say who made which"
    )
    raise ExportError(
        f"article {article}{title} has annotations by {len(names)} annotators "
        f"({', '.join(names)}); {why}: export --source gold (adjudicated) or "
        "--source NAME"
    )


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
    shards: str | None = None,
) -> Iterator[tuple[Any, list[str]]]:
    """(In a child process.) Build the DocBins of the selected annotations of articles up
    to id ``upto`` and yield them serialised, with the spans left out; with ``shards`` (a
    folder) write them there as shards instead and yield the docs of each part. Refuses to
    go on if its read transaction does not see the selection the exporting process saw,
    so that the export stays one consistent state of the database."""
    store = open_store(url)
    try:
        with store.read_connection() as conn:
            articles = (None, upto)
            mine = selected_articles(conn, source=source, status=status, articles=articles)
            if _fingerprint(mine) != fingerprint:
                raise ExportError("annotations changed as the export started; run it again")
            problems = SpanProblems(skip_invalid)
            records = _records(
                export_records(conn, source=source, status=status, articles=articles),
                conn,
                with_suggestions=False,
                progress=lambda count: None,
            )
            nlp = blank(lang)

            def build(chunk: Iterator[AnnotatedRecord]) -> dict[str, Any]:
                return docbin.build(
                    chunk,
                    nlp=nlp,
                    spans_key=spans_key,
                    is_train=lambda record: record.article_id in train_ids,
                    problems=problems,
                )

            if shards is not None:
                yield _write_shards(build, records, Path(shards), "0-"), problems.found
            else:
                yield docbin.to_bytes(build(records)), problems.found
    finally:
        store.dispose()


def _shareable(store: Store) -> bool:
    """False for an in-memory database, which a child process cannot open."""
    url = store.engine.url
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


def _records(
    records: Iterator[AnnotatedRecord],
    conn: Connection,
    *,
    with_suggestions: bool,
    progress: Callable[[int], None],
) -> Iterator[AnnotatedRecord]:
    """The selected annotations as records, in stable order (pending suggestions inside an
    annotation are already left out by the reading). With ``with_suggestions``, each
    article's machine suggestions follow its annotations."""
    if not with_suggestions:
        for count, record in enumerate(records, 1):
            yield record
            progress(count)
        return
    # Records are held a window of articles at a time, so that one query reads the
    # suggestions of the whole window (a query per article was half a Label Studio export).
    window: list[AnnotatedRecord] = []
    articles: set[int | None] = set()
    count = 0
    for record in records:
        if record.article_id not in articles and len(articles) >= SUGGESTION_WINDOW:
            yield from _with_suggestions(conn, window)
            window, articles = [], set()
        window.append(record)
        articles.add(record.article_id)
        count += 1
        progress(count)
    yield from _with_suggestions(conn, window)


# Articles whose suggestions a Label Studio export reads in one query.
SUGGESTION_WINDOW = 500


def _with_suggestions(conn: Connection, window: list[AnnotatedRecord]) -> Iterator[AnnotatedRecord]:
    """The records of a window of articles, each article's machine suggestions (one
    record per source, as suggestions) after its annotations."""
    if not window:
        return
    # Records read from the store carry their article id.
    ids = list(dict.fromkeys(r.article_id for r in window if r.article_id is not None))
    found = suggestions_by_article(conn, ids)
    for index, record in enumerate(window):
        yield record
        last = index + 1 == len(window) or window[index + 1].article_id != record.article_id
        if not last:
            continue
        assert record.article_id is not None
        by_source: dict[str, set[Span]] = {}
        for source, start, end, label in found[record.article_id]:
            by_source.setdefault(source, set()).add(Span(start, end, label, Origin.SUGGESTED))
        for source, spans in by_source.items():
            yield AnnotatedRecord(
                article=record.article,
                spans=sorted(spans),
                suggested_by=source,
                article_id=record.article_id,
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
        remove_stale_temporaries(out.parent)
        temporary = Path(
            tempfile.mkdtemp(prefix=temporary_prefix(out.name), suffix=".tmp", dir=out.parent)
        )
        try:
            os.chmod(temporary, default_mode(directory=True))
            with unsynced_folder(temporary):
                yield temporary
            with atomic_output(temporary / MANIFEST) as handle:
                handle.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
            if out.exists():
                old = Path(
                    tempfile.mkdtemp(
                        prefix=temporary_prefix(out.name), suffix=".old", dir=out.parent
                    )
                )
                os.replace(out, old / "export")
                try:
                    os.replace(temporary, out)
                except BaseException:
                    os.replace(old / "export", out)
                    raise
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(temporary, out)
        except OSError as exc:
            shutil.rmtree(temporary, ignore_errors=True)
            inside = os.path.join(temporary, "")
            if isinstance(exc.filename, str) and exc.filename.startswith(inside):
                # Named as the user knows it: the file's place in --out, not in the
                # temporary folder that was just removed.
                named = os.path.join(out, exc.filename[len(inside) :])
                raise OSError(exc.errno, exc.strerror, named) from None
            raise
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
        remove_stale_temporaries(out.parent)
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
    with store.read_connection() as conn:
        _check_options(conn, fmt, source, status, split, spans_key)
        summary = selection_summary(conn, source=source, status=status)
        if not summary.annotations:
            who = {"gold": "the adjudicated gold", "all": "any annotator"}.get(source, source)
            hint = " (--status all includes work in progress)" if status == "done" else ""
            raise ExportError(
                f"nothing to export: no annotations with status {status} from {who}{hint}"
            )
        if fmt in ONE_ANNOTATION_PER_ARTICLE and source != "gold" and summary.twice is not None:
            _refuse_two_versions(conn, fmt, source, status, summary.twice)
        # Only the spaCy export lists the selection (see selected_articles).
        selected = selected_articles(conn, source=source, status=status) if fmt == "spacy" else []
        job = _Job(
            store=store,
            conn=conn,
            fmt=fmt,
            source=source,
            status=status,
            selected=selected,
            problems=SpanProblems(skip_invalid),
            report=ExportReport(
                format=fmt,
                out=out if out is not None else default_out(fmt),
                annotations=summary.annotations,
                articles=summary.articles,
                annotators=summary.annotators,
            ),
            progress=progress,
        )
        with bulk_collection():
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
    conn: Connection
    fmt: str
    source: str
    status: str
    selected: list[tuple[int, str, str]]  # the spaCy export's only (else empty)
    problems: SpanProblems
    report: ExportReport
    progress: ProgressCallback | None

    def records(
        self, articles: tuple[int | None, int | None] = (None, None), share: float = 1.0
    ) -> Iterator[AnnotatedRecord]:
        """The selected annotations (of articles in ``articles``) as records; ``share`` is
        the part of the export they are, for the progress bar."""
        total = self.report.annotations

        def tick(count: int) -> None:
            done = min(round(count / share), total)
            if self.progress is not None and (count % 500 == 0 or done == total):
                self.progress(done, total)

        stored = export_records(
            self.conn, source=self.source, status=self.status, articles=articles
        )
        return _records(
            stored, self.conn, with_suggestions=self.fmt == "label-studio", progress=tick
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
            names = {part: _part_name(part, report.annotations) for part in docbin.PARTS}
            report.files = [out / name for name in names.values()]
            report.files.append(out / docbin.CONFIG)
            report.command = docbin.train_command(out, train=names["train"], dev=names["dev"])
        elif job.fmt == "doccano":
            report.files = [out / p.name for p in doccano.write(job.records(), folder)]
        elif job.fmt == "brat":
            report.files = [out / p.name for p in brat.write(job.records(), folder)]
        # The manifest is written as the block ends, so these counts still reach it.
        if report.parts:
            manifest["parts"] = report.parts
        manifest["skipped_spans"] = len(job.problems.found)


def _part_name(part: str, annotations: int) -> str:
    """``train.spacy`` (one DocBin file), or ``train`` (a folder of shards) past SHARD_DOCS."""
    return part if annotations > SHARD_DOCS else f"{part}.spacy"


def _write_shards(
    build: Callable[[Iterator[AnnotatedRecord]], dict[str, Any]],
    records: Iterator[AnnotatedRecord],
    folder: Path,
    prefix: str,
) -> dict[str, int]:
    """Build and write the DocBins SHARD_DOCS records at a time, as ``<part>/<prefix>
    <n>.spacy`` in ``folder``, so that only one shard is ever held; returns the docs of
    each part. spaCy reads a folder's shards in name order: article order here."""
    counts = {part: 0 for part in docbin.PARTS}
    for part in docbin.PARTS:
        (folder / part).mkdir(exist_ok=True)
    records = iter(records)
    for index in itertools.count():
        chunk = list(itertools.islice(records, SHARD_DOCS))
        if not chunk:
            break
        bins = build(iter(chunk))
        for part in docbin.PARTS:
            if len(bins[part]):
                with atomic_output(folder / part / f"{prefix}{index:05d}.spacy", "wb") as handle:
                    handle.write(bins[part].to_bytes())
                counts[part] += len(bins[part])
    return counts


def _write_docbins(job: _Job, folder: Path, settings: dict[str, Any]) -> dict[str, int]:
    """train and dev DocBins and config.cfg: ``train.spacy`` and ``dev.spacy`` or, past
    SHARD_DOCS annotations, ``train/`` and ``dev/`` folders of shards. A large export is
    built by two processes: a child builds the DocBins of the first half of the articles
    (reading them itself) while this process builds the second half; joined, they are the
    DocBins one process would build, doc for doc. spaCy's tokenizer and DocBin hold the
    GIL, so only a second process really uses the second core."""
    selected = job.selected
    sharded = len(selected) > SHARD_DOCS
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
        if sharded:
            return _write_shards(build, job.records(), folder, "")
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
        str(folder) if sharded else None,
    )
    with from_subprocess(docbin_first_half, *args) as child:
        share = 1 - len(first) / len(selected)
        try:
            if sharded:
                second = _write_shards(build, job.records((upto, None), share=share), folder, "1-")
            else:
                halves = build(job.records((upto, None), share=share))
        except ExportError:
            # Report the first problem in article order, as one process would: the child's
            # half comes first, so its problem (raised by next()) wins over this one.
            next(child)
            raise
        first_half, first_problems = next(child)
    job.problems.found[:0] = first_problems
    if sharded:
        return {part: first_half[part] + second[part] for part in docbin.PARTS}
    return docbin.save(docbin.joined(first_half, halves), folder)


def _counting_suggestions(
    records: Iterator[AnnotatedRecord], report: ExportReport
) -> Iterator[AnnotatedRecord]:
    for record in records:
        if record.suggested_by is not None:
            report.suggestions += len(record.spans)
        yield record
