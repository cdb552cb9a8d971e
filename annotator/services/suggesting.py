"""Suggestions for a project: build the suggester its config names, pre-annotate every
article a source has not processed yet (in committed batches, so a run can be interrupted
and resumed), and read token offsets and suggestions back for the annotation screen."""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.domain.errors import InputError
from annotator.domain.spans import Suggestion, unpack_offsets
from annotator.formats.patterns import read_patterns
from annotator.nlp.pipelines import load_pipeline
from annotator.nlp.suggester import SuggestConfig, Suggester, make_suggester
from annotator.services.background import ChildFailed, ChildWorker
from annotator.services.schemes import find_scheme, model_label_map
from annotator.store import suggestions as stored
from annotator.store.bulk import upsert_setting
from annotator.store.engine import Store
from annotator.store.queue import get_setting
from annotator.store.rows import stored_timestamp

SETTING = "suggest"  # the project's SuggestConfig, as JSON
# Below this many pending articles a helper process does not pay off (measured: with
# 2,000 articles of 2,000 characters a forked one made the run slower, as both processes
# first copy the memory pages they write; with 5,000 it made it twice as fast). A spawned
# one also imports spaCy and builds the pipeline afresh, which takes seconds.
HELPER_THRESHOLD = {"fork": 2500, "spawn": 5000}
# A write transaction stores this many articles, fewer towards the end of the run (see
# _Writer). Measured on 20,000 articles in one process: 256 a transaction took 4.1 s,
# 2,048 took 3.3 s (spaCy alone 2.9 s): each commit syncs the disk, and a smaller
# transaction rewrites the same index pages more often. The write lock is held for about
# 0.1 s a transaction (an annotator's save waits at most that long).
WRITE_ARTICLES = 2048
PAGE = WRITE_ARTICLES  # pending articles read per query (see _pending_batches)
# ... but no fewer than this (one batch of the default size): the end of the run waits for
# the last transaction, so the last ones are small.
LAST_WRITE_ARTICLES = 64
# Batches handed to the helper and not yet answered: one it works on and two queued, so
# it never waits while this process computes a batch of its own or commits.
MAX_IN_FLIGHT = 3

ProgressCallback = Callable[[int, int], None]  # (articles done, articles to do)
Batch = list[tuple[int, str]]  # (article id, text)


def build_suggester(config: SuggestConfig) -> Suggester:
    """The suggester ``config`` describes: the scheme's (or the given) pattern file and/or
    the model, model labels mapped into the scheme. Problems are one-line InputErrors (or
    a SchemeError), raised before anything is stored."""
    scheme = find_scheme(config.scheme)
    patterns = None
    if config.use_patterns:
        path = Path(config.patterns).expanduser() if config.patterns else scheme.patterns
        if path is None:
            if config.model is None:
                raise InputError(
                    f"scheme {scheme.name} has no pattern file: pass --patterns FILE or --model"
                )
        elif not path.is_file():
            raise InputError("no such pattern file", path=path)
        else:
            patterns = read_patterns(path, scheme.names)
    elif config.model is None:
        raise InputError("nothing to suggest with: --no-patterns and no --model")
    model = load_pipeline(config.model) if config.model else None
    return make_suggester(
        labels=scheme.names,
        patterns=patterns,
        model=model,
        label_map=model_label_map(scheme) if model is not None else {},
        lang=config.lang,
        config=config,
        scheme=scheme.name,
    )


def project_config(store: Store) -> SuggestConfig:
    """What the project suggests with: the "suggest" setting, or the defaults."""
    with store.read() as session:
        return SuggestConfig.from_json(get_setting(session, SETTING))


def save_project_config(
    store: Store, config: SuggestConfig, tokenizer_id: str | None = None
) -> None:
    """Make ``config`` the project's suggestion setup (`annotator suggest` stores what it used).

    ``tokenizer_id`` names the tokenizer whose offsets the suggester stores: the annotation
    screen reads those tokens without importing spaCy, so it must know the name up front.
    """
    value = config.to_json()
    if tokenizer_id is not None:
        value["tokenizer_id"] = tokenizer_id
    # One upsert statement: two `suggest` runs starting together never both insert the row
    # (on PostgreSQL that was a UniqueViolation on the setting's key).
    with store.write_connection() as conn:
        upsert_setting(conn, SETTING, value)


@dataclass
class SuggestReport:
    """What a suggestion run did."""

    sources: tuple[str, ...]
    pending: int = 0  # articles that needed work when the run started
    articles: int = 0  # articles processed and stored
    labels: Counter[str] = field(default_factory=Counter)  # stored suggestions by label
    by_source: Counter[str] = field(default_factory=Counter)  # stored suggestions by source
    dropped: Counter[str] = field(default_factory=Counter)  # model labels the scheme lacks
    helper: str = ""  # how a helper process that shared the work started: fork or spawn
    seconds: float = 0.0


def suggest_articles(
    store: Store,
    suggester: Suggester,
    *,
    progress: ProgressCallback | None = None,
    batch_size: int = 64,
    helper: bool | None = None,
) -> SuggestReport:
    """Suggest for every article that lacks a run of one of the suggester's sources (or
    its token offsets), and store the suggestions, a SuggestionRun per article and source
    (also when nothing was found) and the token offsets.

    Batches are committed as they are done (WRITE_ARTICLES articles a transaction), so
    an interrupted run keeps what it finished and the next one continues there; what
    another process stored meanwhile is not stored twice. spaCy runs in the calling
    thread (Suggester.run_packed), which also reads the pending articles; on SQLite a
    thread stores the batches (see _Writer), mostly inside SQLite, without the GIL.
    With many articles (or ``helper=True``) a helper process runs spaCy too, on
    batches this one hands over (forked when this process has one thread, before the writer
    thread starts; else spawned). ``progress`` is called from the calling thread with
    (articles stored, articles to do). When the run stops early (an error, Ctrl+C), the
    batches not yet in a transaction are dropped and the writer thread ends first.
    """
    started = time.perf_counter()
    report = SuggestReport(sources=suggester.sources)
    with store.engine.connect() as conn:
        report.pending = stored.count_pending(conn, suggester.sources, suggester.tokenizer_id)
    if report.pending == 0:
        return report
    fork = ChildWorker.can_fork()
    if helper is None:
        helper = report.pending >= HELPER_THRESHOLD["fork" if fork else "spawn"]
    worker = None
    if helper and fork:
        worker = ChildWorker(_forked_setup, suggester, batch_size, method="fork")
    elif helper and suggester.config is not None:
        worker = ChildWorker(
            _helper_setup,
            suggester.config.to_json(),
            suggester.sources,
            suggester.tokenizer_id,
            batch_size,
        )
    report.helper = worker.method if worker is not None else ""
    writer = _Writer(store, suggester, report, expected=report.pending)
    in_flight: deque[Batch] = deque()

    def write(batch: Batch, results: list) -> None:
        writer.put(batch, results)
        if progress is not None:
            progress(writer.stored, max(report.pending, writer.stored))

    def compute(batch: Batch) -> list:
        return list(suggester.run_packed([text for _, text in batch], batch_size))

    def take_answers(wait: bool) -> None:
        assert worker is not None
        while in_flight and (wait or worker.has_result()):
            results = worker.result()
            write(in_flight.popleft(), results)

    batches = _pending_batches(store, suggester, batch_size)
    try:
        for batch in batches:
            if worker is not None:
                try:
                    take_answers(wait=False)
                    if len(in_flight) < MAX_IN_FLIGHT and worker.ready:
                        worker.submit([text for _, text in batch])
                        in_flight.append(batch)
                        continue
                except ChildFailed:
                    _give_up(worker, in_flight, compute, write)
                    worker = None
            write(batch, compute(batch))
        if worker is not None:
            try:
                take_answers(wait=True)
            except ChildFailed:
                _give_up(worker, in_flight, compute, write)
                worker = None
        writer.flush()
        if progress is not None:
            progress(writer.stored, max(report.pending, writer.stored))
    finally:
        batches.close()
        writer.close()
        if worker is not None:
            worker.close()
    report.seconds = time.perf_counter() - started
    return report


def _give_up(worker: ChildWorker, in_flight: deque[Batch], compute, write) -> None:
    """The helper failed: its unanswered batches are computed here; the run goes on alone."""
    worker.close()
    while in_flight:
        batch = in_flight.popleft()
        write(batch, compute(batch))


class _Writer:
    """Collects computed batches and stores them a transaction of WRITE_ARTICLES articles
    at a time, and towards the end (of the ``expected`` articles) in transactions of half
    of what is left, down to LAST_WRITE_ARTICLES: the run ends when the last transaction
    is committed, and a small one commits soon after spaCy is done.

    On SQLite a thread of this process stores them: each transaction is a few statements
    the driver runs without the GIL (store.suggestions.store_found), so spaCy goes on in
    the calling thread meanwhile. At most two transactions' worth wait for it. On other
    databases each is stored in line, when it is complete.

    Why not one commit per nlp.pipe batch: a commit syncs the disk, which cost as much
    as storing the rows of 64 articles.
    """

    def __init__(self, store: Store, suggester: Suggester, report: SuggestReport, expected: int):
        self._store = store
        self._suggester = suggester
        self._report = report
        self._batch: Batch = []
        self._results: list = []
        self._left = expected  # articles expected and not handed over yet
        self.stored = 0  # articles committed so far
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        self._stop = False
        if store.is_sqlite:
            self._queue = queue.Queue(maxsize=2)
            self._thread = threading.Thread(target=self._run, name="suggest-writer", daemon=True)
            self._thread.start()

    def put(self, batch: Batch, results: list) -> None:
        """Add a computed batch; store what has gathered once it is enough."""
        self._batch.extend(batch)
        self._results.extend(results)
        size = min(WRITE_ARTICLES, max(LAST_WRITE_ARTICLES, self._left // 2))
        if len(self._batch) >= size:
            self._hand_over()

    def flush(self) -> None:
        """Store what has gathered and wait until everything handed over is committed;
        a failure of the writer thread is raised here."""
        self._hand_over()
        if self._thread is not None:
            self._send(None)
            self._thread.join()
            self._thread = None
            self._raise_failure()

    def close(self) -> None:
        """Stop the writer thread without storing what it has not begun (the run was
        interrupted or failed): the transaction it is in commits or rolls back whole."""
        if self._thread is None:
            return
        self._stop = True
        assert self._queue is not None
        while True:  # empty the queue, so that the thread sees the end at once
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._queue.put(None)
        self._thread.join()
        self._thread = None

    def _hand_over(self) -> None:
        if not self._batch:
            return
        batch, results = self._batch, self._results
        self._batch, self._results = [], []
        self._left -= len(batch)
        if self._thread is None:
            self._write(batch, results)
        else:
            self._send((batch, results))

    def _send(self, item: tuple[Batch, list] | None) -> None:
        """Queue ``item`` for the thread, waiting while the queue is full; a failure of the
        thread is raised instead."""
        assert self._queue is not None
        while True:
            self._raise_failure()
            try:
                self._queue.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def _raise_failure(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            self._thread = None
            raise failure

    def _run(self) -> None:
        """The writer thread: store what is queued until None comes (or a failure)."""
        assert self._queue is not None
        while True:
            item = self._queue.get()
            if item is None or self._stop:
                return
            try:
                self._write(*item)
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
                self._failure = exc
                return

    def _write(self, batch: Batch, results: list) -> None:
        _store_batch(self._store, self._suggester, batch, results, self._report)
        self.stored += len(batch)


def _pending_batches(
    store: Store, suggester: Suggester, batch_size: int
) -> Generator[Batch, None, None]:
    """Pending articles in id order, a page per short read transaction, cut into batches.

    A page is what one write transaction stores (PAGE = WRITE_ARTICLES), and the next
    page is read before the last batch of a page is handed out, that is before that batch
    completes a transaction for the writer thread: the read runs while the writer is idle.
    Measured on 20,000 articles in one process: read during the writer's transactions, 41
    pages of 512 took 0.34-0.43 s (0.16 s of it this thread's own work, the rest waiting while the
    writer thread ran); 11 pages read this way took 0.09 s.
    Read in the calling thread: a reader thread was no faster, as the driver takes the
    GIL back for every row it fetches."""

    def read(after: int) -> list[tuple[int, str]]:
        with store.engine.connect() as conn:
            return stored.pending_articles(
                conn, suggester.sources, suggester.tokenizer_id, after=after, limit=PAGE
            )

    page = read(0)
    while page:
        cuts = list(range(0, len(page), batch_size))
        for start in cuts[:-1]:
            yield page[start : start + batch_size]
        last = page[cuts[-1] :]
        page = read(page[-1][0])
        yield last


def _store_batch(
    store: Store, suggester: Suggester, batch: Batch, results: list, report: SuggestReport
) -> None:
    """Store one batch in one write transaction, leaving out (article, source) pairs that
    another process stored since the batch was read."""
    sources = suggester.sources
    ids = [article_id for article_id, _ in batch]
    dropped: Counter[str] = Counter()
    with store.write_connection() as conn:
        done = stored.existing_runs(conn, ids, sources)
        now = stored_timestamp(conn.dialect.name)
        mine = len(ids)  # articles this run did work for (not all done by another run)
        if done:
            mine = sum(1 for i in ids if any((i, source) not in done for source in sources))
        if suggester.model_source is not None:
            for article_id, (_, _, lost) in zip(ids, results, strict=True):
                if lost and (article_id, suggester.model_source) not in done:
                    dropped.update(lost)
        if store.is_sqlite:
            found = [
                (article_id, _not_done(rows, article_id, done) if done else rows)
                for article_id, (rows, _, _) in zip(ids, results, strict=True)
            ]
            added = stored.store_found(
                conn,
                found=found,
                sources=sources,
                tokenizer=suggester.tokenizer_id,
                tokens=[packed for _, packed, _ in results],
                now=now,
            )
        else:
            added = _store_rows(conn, suggester, ids, results, done, now)
    for (label, source), n in added.items():
        report.labels[label] += n
        report.by_source[source] += n
    report.articles += mine
    report.dropped.update(dropped)


def _not_done(rows: list, article_id: int, done: set[tuple[int, str]]) -> list:
    """The rows of sources that have not processed the article yet."""
    return [row for row in rows if (article_id, row[3]) not in done]


def _store_rows(
    conn, suggester: Suggester, ids: list[int], results: list, done: set, now: object
) -> Counter[tuple[str, str]]:
    """store_suggestions' row tuples for a batch, stored; returns the count by (label,
    source). Runs already stored (``done``) are left out."""
    sources = suggester.sources
    added: Counter[tuple[str, str]] = Counter()
    suggestion_rows: list[tuple] = []
    run_rows: list[tuple] = []
    token_rows: list[tuple] = []
    for article_id, (rows, packed, _) in zip(ids, results, strict=True):
        counts = {source: 0 for source in sources if (article_id, source) not in done}
        for start, end, label, source in rows:
            if source in counts:
                suggestion_rows.append((article_id, source, start, end, label, None))
                counts[source] += 1
                added[label, source] += 1
        run_rows.extend((article_id, source, n, now) for source, n in counts.items())
        token_rows.append((article_id, suggester.tokenizer_id, packed))
    stored.store_suggestions(conn, suggestions=suggestion_rows, runs=run_rows, tokens=token_rows)
    return added


def _quiet() -> None:
    """A helper's warnings have no reader, and on a terminal the annotation screen draws
    on, they would scribble over it; its errors reach the parent through the pipe."""
    import warnings

    warnings.simplefilter("ignore")


def _forked_setup(suggester: Suggester, batch_size: int) -> Callable[[list[str]], list]:
    """In a forked helper process: the parent's own suggester, already loaded."""
    _quiet()

    def job(texts: list[str]) -> list:
        return list(suggester.run_packed(texts, batch_size))

    return job


def _helper_setup(
    config: dict[str, Any], sources: tuple[str, ...], tokenizer_id: str, batch_size: int
) -> Callable[[list[str]], list]:
    """In a spawned helper process: build the same suggester from its config (and check
    that it is the same) and return its batch function."""
    _quiet()
    suggester = build_suggester(SuggestConfig.from_json(config))
    if suggester.sources != tuple(sources) or suggester.tokenizer_id != tokenizer_id:
        raise RuntimeError(
            f"the pattern file or model changed during the run ({suggester.sources} "
            f"instead of {tuple(sources)})"
        )

    def job(texts: list[str]) -> list:
        return list(suggester.run_packed(texts, batch_size))

    return job


def suggest_article(store: Store, suggester: Suggester, article_id: int) -> bool:
    """Suggest for one article (e.g. the one on screen) and store the result as
    suggest_articles does. False when there was nothing to do: every source has processed
    it and its token offsets are stored (or there is no such article)."""
    with store.engine.connect() as conn:
        found = stored.pending_articles(
            conn, suggester.sources, suggester.tokenizer_id, only=article_id, limit=1
        )
    if not found:
        return False
    results = list(suggester.run_packed([found[0][1]]))
    _store_batch(store, suggester, found, results, SuggestReport(sources=suggester.sources))
    return True


def tokens_for(store: Store, article_id: int, tokenizer_id: str) -> list[tuple[int, int]] | None:
    """The stored token offsets of an article under ``tokenizer_id``, or None if they have
    not been computed (suggest_article computes them)."""
    with store.read() as session:
        packed = stored.token_offsets(session, article_id, tokenizer_id)
    return None if packed is None else unpack_offsets(packed)


def suggestions_for(
    store: Store, article_id: int, sources: tuple[str, ...] | None = None
) -> list[Suggestion]:
    """An article's stored suggestions, of ``sources`` only if given (e.g. a suggester's)."""
    with store.read() as session:
        return stored.suggestions_of(session, article_id, sources)
