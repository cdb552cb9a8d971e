"""Agreement between annotators over the store: read finished annotations into the pure
audit measures, and find the articles a reviewer should look at first."""

from __future__ import annotations

import marshal
import os
import shutil
import tempfile
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

from annotator.audit.disagreements import ArticleDisagreements, ArticleFigures, review_queue
from annotator.audit.documents import WHITESPACE, DocAnnotations, restrict
from annotator.audit.figures import Summary
from annotator.audit.report import AgreementReport, AgreementTally, article_line, new_tally
from annotator.audit.spans import DisagreementKind
from annotator.audit.tokens import OffsetTokens
from annotator.domain.errors import InputError
from annotator.domain.text import first_words, visible
from annotator.services.background import from_subprocess
from annotator.services.heap import bulk_collection
from annotator.store.agreement import AgreementReader, ArticleAnnotations, FinishedArticles

if TYPE_CHECKING:
    from sqlmodel import Session

    from annotator.store.engine import Store

# The token units of the token-level measures: spaCy's tokens (the default), or \S+ runs.
TOKEN_UNITS = ("spacy", "whitespace")
SUGGEST_SETTING = "suggest"  # the project's suggestion setup (tokenizer, language)

# Below this many articles a helper process costs more (starting, importing) than it saves.
PARALLEL_MIN_ARTICLES = 2000


class ArticleSpool:
    """Per-article figures written to a temporary file as they are counted and read back
    in order, so that measuring holds a few hundred bytes per batch, not per article
    (held in memory they took about 8 KB an article, 457 MB at 50,000). A spool sent to
    another process (pickled) travels as its file's name; extend() takes such a spool's
    rows over and removes its file."""

    BATCH = 1000

    def __init__(self, path: str | None = None, count: int = 0):
        if path is None:
            fd, path = tempfile.mkstemp(prefix="annotator-agreement-", suffix=".spool")
            os.close(fd)
        self.path = path
        self._count = count
        self._pending: list[tuple] = []
        self._sent = False  # pickled for another process, which now owns the file
        self._file = open(path, "ab")  # noqa: SIM115 - closed in close()

    def append(self, figures: ArticleFigures) -> None:
        """Add one article's figures (after those already added)."""
        self._pending.append(_row(figures))
        self._count += 1
        if len(self._pending) >= self.BATCH:
            self._flush()

    def extend(self, other: ArticleSpool | Iterable[ArticleFigures]) -> None:
        """Add another spool's rows (that spool's file is removed) or figures, in order."""
        if not isinstance(other, ArticleSpool):
            for figures in other:
                self.append(figures)
            return
        self._flush()
        other.close(remove=False)
        with open(other.path, "rb") as source:
            shutil.copyfileobj(source, self._file)
        os.unlink(other.path)
        self._count += other._count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[ArticleFigures]:
        for row in self._rows():
            yield _figures(row)

    def json_lines(self) -> Iterator[str]:
        """Each article's line of the JSON report (report.article_line), in order, as
        encoded when the article was added."""
        for row in self._rows():
            yield row[-1]

    def _rows(self) -> Iterator[tuple]:
        self._flush()
        self._file.flush()
        with open(self.path, "rb") as source:
            while True:
                try:
                    batch = marshal.load(source)
                except EOFError:
                    return
                yield from batch

    def _flush(self) -> None:
        if self._pending:
            marshal.dump(self._pending, self._file)
            self._pending = []

    def close(self, remove: bool = True) -> None:
        """Close the file (and delete it, with ``remove``)."""
        if not self._file.closed:
            self._flush()
            self._file.close()
        if remove and os.path.exists(self.path):
            os.unlink(self.path)

    def __reduce__(self):
        self._flush()
        self._file.flush()
        self._sent = True
        return (ArticleSpool, (self.path, self._count))

    def __del__(self) -> None:
        if hasattr(self, "_file"):
            self.close(remove=not self._sent)


def _summary_row(summary: Summary | None) -> tuple | None:
    return None if summary is None else (summary.mean, summary.sd, summary.n)


def _row(f: ArticleFigures) -> tuple:
    # The JSON line last: the report's articles are written from it (json_lines).
    return (
        f.doc_id,
        f.title,
        f.annotators,
        _summary_row(f.f1),
        _summary_row(f.relaxed),
        _summary_row(f.token_f1),
        tuple(f.counts[kind] for kind in KINDS),
        f.score,
        article_line(f),
    )


def _figures(row: tuple) -> ArticleFigures:
    doc_id, title, annotators, f1, relaxed, token_f1, counts, score, _line = row
    return ArticleFigures(
        doc_id=doc_id,
        title=title,
        annotators=annotators,
        f1=Summary(*f1),
        relaxed=Summary(*relaxed),
        token_f1=None if token_f1 is None else Summary(*token_f1),
        counts=dict(zip(KINDS, counts, strict=True)),
        score=score,
    )


KINDS = tuple(DisagreementKind)


@dataclass
class Agreement:
    """An agreement report and what the caller should tell the user about the request."""

    report: AgreementReport
    warnings: list[str] = field(default_factory=list)


def documents(
    session: Session,
    *,
    annotators: Collection[str] | None = None,
    article_ids: Collection[int] | None = None,
    light: bool = False,
    tokens: TokenSource | None = None,
) -> Iterator[tuple[int, DocAnnotations]]:
    """Articles finished (status done) by two or more annotators (of ``annotators``), one
    at a time, in article id order, as audit inputs. Spans are domain Spans, or with
    ``light`` plain (start, end, label) tuples, which is all the measures need and much
    cheaper to read for a whole corpus. With ``tokens`` (light reading only), each
    article carries the tokens the token-level measures count. An article without a
    title is named by its first words."""
    if light:
        reader = AgreementReader.of_session(session)
        yield from read_documents(reader, _groups(reader, annotators, article_ids), tokens)
        return
    from annotator.store.annotations import stored_annotations

    current: int | None = None
    text = title = ""
    spans: dict[str, Sequence] = {}
    for stored in stored_annotations(
        session, source="all", status="done", annotators=annotators, article_ids=article_ids
    ):
        if stored.article_id != current:
            if len(spans) >= 2 and current is not None:
                yield current, DocAnnotations(text, spans, title)
            current, text, spans = stored.article_id, stored.text, {}
            title = stored.title or first_words(text)
        spans[stored.annotator] = stored.spans
    if len(spans) >= 2 and current is not None:
        yield current, DocAnnotations(text, spans, title)


# Articles read per round trip: few queries, little held at once.
ARTICLES_PER_READ = 400


def _groups(
    reader: AgreementReader,
    annotators: Collection[str] | None,
    article_ids: Collection[int] | None = None,
) -> FinishedArticles:
    groups = reader.finished_articles(annotators)
    if article_ids is not None:
        groups = groups.only(set(article_ids))
    return groups


def read_documents(
    reader: AgreementReader,
    groups: Sequence[ArticleAnnotations],
    tokens: TokenSource | None = None,
) -> Iterator[tuple[int, DocAnnotations]]:
    """The articles of ``groups`` as audit inputs with (start, end, label) spans, read a
    few hundred at a time; with ``tokens``, each with the tokens the measures count."""
    for i in range(0, len(groups), ARTICLES_PER_READ):
        part = groups[i : i + ARTICLES_PER_READ]
        ids = [g.article_id for g in part]
        texts = reader.article_texts(ids)
        spans = reader.span_keys([a for g in part for _, a in g.annotations])
        stored = {} if tokens is None else reader.stored_tokens(ids, tokens.prefer)
        for group in part:
            title, text = texts[group.article_id]
            doc_spans = {name: spans[annotation] for name, annotation in group.annotations}
            unit, tokenizer = None, WHITESPACE
            if tokens is not None:
                found = stored.get(group.article_id)
                if found is not None:
                    tokenizer, unit = found[0], OffsetTokens.from_packed(found[1])
                else:
                    tokenizer, unit = tokens.tokenize(text)
            yield (
                group.article_id,
                DocAnnotations(text, doc_spans, title or first_words(text), unit, tokenizer),
            )


class TokenSource:
    """Where the token-level measures get an article's tokens: the stored spaCy tokens
    (of tokenizer ``prefer`` where there are several), else spaCy's tokenizer for ``lang``,
    loaded on first need only (most projects have tokens stored by `annotator suggest`)."""

    def __init__(self, lang: str = "en", prefer: str | None = None):
        self.lang = lang
        self.prefer = prefer
        self._tokenize: Any = None
        self.name = ""

    def check(self) -> None:
        """Refuse a language spaCy does not have before any work is done (no import of
        spaCy when its language data is simply there)."""
        import importlib.util
        from pathlib import Path

        spec = importlib.util.find_spec("spacy")  # finds the package without importing it
        folders = list(spec.submodule_search_locations or []) if spec is not None else []
        if not any((Path(folder) / "lang" / self.lang).is_dir() for folder in folders):
            self.tokenize("")  # the pipeline's own one-line error

    def tokenize(self, text: str) -> tuple[str, OffsetTokens]:
        """(tokenizer id, tokens) of ``text`` by spaCy's rule-based tokenizer."""
        if self._tokenize is None:
            from annotator.nlp.pipelines import blank_pipeline, tokenizer_source
            from annotator.nlp.suggester import packed_offsets

            nlp = blank_pipeline(self.lang)
            self.name = tokenizer_source(self.lang)
            self._tokenize = lambda t: packed_offsets(nlp.make_doc(t), t)
        return self.name, OffsetTokens.from_packed(self._tokenize(text))


def token_source(reader: AgreementReader, unit: str, lang: str | None = None) -> TokenSource | None:
    """The TokenSource for ``unit`` ("spacy": the project's tokenizer and language, or
    ``lang``; "whitespace": None, the measures count \\S+ runs)."""
    if unit not in TOKEN_UNITS:
        raise InputError(f"unknown token unit {visible(unit)!r} (choose spacy or whitespace)")
    if unit == "whitespace":
        return None
    setup = reader.setting(SUGGEST_SETTING)
    if not isinstance(setup, dict):
        setup = {}
    prefer = setup.get("tokenizer_id") if isinstance(setup.get("tokenizer_id"), str) else None
    project_lang = setup.get("lang") if isinstance(setup.get("lang"), str) else None
    source = TokenSource(lang or project_lang or "en", prefer)
    source.check()
    return source


def _check_annotators(reader: AgreementReader, annotators: Sequence[str] | None) -> None:
    if not annotators:
        return
    known = reader.annotator_names()
    unknown = [name for name in annotators if name not in known]
    if unknown:
        listing = ", ".join(known) or "none yet"
        raise InputError(
            f"no annotator called {', '.join(repr(visible(n)) for n in unknown)} "
            f"(annotators: {visible(listing)})"
        )


def candidate_articles(session: Session, annotators: Collection[str] | None = None) -> list[int]:
    """Ids of the articles finished by two or more annotators (of ``annotators``)."""
    reader = AgreementReader.of_session(session)
    return reader.finished_articles(annotators).article_ids()


Target = Union["Store", str]  # an open store, or a database path or URL


@contextmanager
def open_reader(target: Target) -> Iterator[AgreementReader]:
    """An AgreementReader on ``target``: for a SQLite file of the current schema given by
    path, a stdlib connection (no SQLAlchemy import); else the full store's session."""
    if isinstance(target, str):
        from annotator.store.fastpath import sqlite_path

        path = sqlite_path(target)
        reader = AgreementReader.open_sqlite(str(path)) if path is not None else None
        if reader is not None:
            with reader:
                yield reader
            return
        from annotator.store.engine import open_store

        store = open_store(target)
        try:
            with store.read() as session:
                yield AgreementReader.of_session(session)
        finally:
            store.dispose()
        return
    with target.read() as session:
        yield AgreementReader.of_session(session)


def tally_articles(
    target: str,
    article_ids: list[int],
    annotators: list[str] | None,
    labels: list[str] | None,
    tokens: tuple[str, str | None] | None = None,
) -> Iterator[AgreementTally]:
    """Count the given articles of the database ``target`` (a path or URL; run in a helper
    process); ``tokens``: (lang, preferred tokenizer) of the TokenSource, None for \\S+
    runs."""
    source = None if tokens is None else TokenSource(*tokens)
    with open_reader(target) as reader:
        tally = new_tally(annotators, labels, ArticleSpool())
        for doc_id, doc in read_documents(reader, _groups(reader, annotators, article_ids), source):
            tally.add(doc_id, doc)
    yield tally


def _shared_target(target: Target) -> str | None:
    """How a helper process opens the same database (a file or a server, not memory)."""
    url = target if isinstance(target, str) else target.url
    if "://" not in url:
        return url if url not in ("", ":memory:") else None
    if url.startswith("sqlite://") and (
        not url.startswith("sqlite:///") or url == "sqlite:///:memory:"
    ):
        return None
    return url


def measure(
    store: Target,
    *,
    annotators: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    workers: int | None = None,
    tokens: str = "spacy",
    lang: str | None = None,
) -> Agreement:
    """Agreement over every article finished by two or more of ``annotators`` (default:
    everyone), on spans of ``labels`` (default: all), in the database ``store`` (an open
    Store, or a path or URL: a SQLite file is then read with the stdlib alone). No such
    article is an InputError.

    ``tokens``: the unit of the token-level measures, "spacy" (each article's stored
    spaCy tokens, else spaCy's tokenizer for ``lang`` or the project's language) or
    "whitespace" (\\S+ runs, as bratiaa counts).

    With many articles, the later part is read and counted by a helper process on another
    core while this one does the first part (``workers=1`` turns that off).
    """
    people = sorted(set(annotators)) if annotators else None
    wanted = sorted(set(labels)) if labels else None
    tally = new_tally(people, wanted, ArticleSpool())
    with open_reader(store) as reader, bulk_collection():
        source = token_source(reader, tokens, lang)
        _check_annotators(reader, people)
        groups = reader.finished_articles(people)
        if workers is None:
            many = len(groups) >= PARALLEL_MIN_ARTICLES
            workers = 2 if (os.cpu_count() or 1) > 1 and many else 1
        shared = _shared_target(store) if workers > 1 and len(groups) >= 2 else None
        if shared is not None:
            # The helper starts Python first (its answer came ~0.14 s after this process
            # was done with half), so this process takes a little more than half; it
            # writes the JSON afterwards, from lines both encoded while counting.
            # Measured at 10,000 x 3, interleaved: 53 % 1.47-1.51 s, 50 % 1.55-1.66 s;
            # earlier 60 % 1.52-1.56 s, 45 % 1.56-1.57 s.
            middle = len(groups) * 53 // 100
            rest = groups[middle:].article_ids()
            share = None if source is None else (source.lang, source.prefer)
            with from_subprocess(tally_articles, shared, rest, people, wanted, share) as helper:
                for doc_id, doc in read_documents(reader, groups[:middle], source):
                    tally.add(doc_id, doc)
                for part in helper:
                    tally.merge(part)
        else:
            for doc_id, doc in read_documents(reader, groups, source):
                tally.add(doc_id, doc)
    report = tally.report()
    if report.documents == 0:
        among = f" among {', '.join(people)}" if people else ""
        raise InputError(
            f"no article is finished (status done) by two or more annotators{among}: "
            "nothing to compare"
        )
    result = Agreement(report)
    if wanted:
        used = _labels_used(report)
        for label in wanted:
            if label not in used:
                result.warnings.append(
                    f"label {visible(label)!r} is not used in any compared article"
                )
    return result


def _labels_used(report: AgreementReport) -> set[str]:
    used = set()
    for label, pairs in report.exact.label_pairs.items():
        if any(p.a_spans or p.b_spans for p in pairs):
            used.add(label)
    return used


def review(
    store: Store,
    *,
    annotators: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    article_ids: Iterable[int] | None = None,
) -> list[ArticleDisagreements]:
    """Articles with disagreements, worst first, with each disagreement and the spans all
    annotators agree on: the review screen's queue. ``article_ids`` limits the reading."""
    people = sorted(set(annotators)) if annotators else None
    wanted = set(labels) if labels else None
    ids = None if article_ids is None else sorted(set(article_ids))
    with store.read() as session:
        _check_annotators(AgreementReader.of_session(session), people)
        docs = documents(session, annotators=people, article_ids=ids)
        if wanted is not None:
            docs = ((doc_id, restrict(doc, labels=wanted)) for doc_id, doc in docs)
        return review_queue(docs)
