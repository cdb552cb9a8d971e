"""`annotate --retrain-every N`: after every N articles an annotator finishes, train on all
gold and finished work in a helper process and re-suggest the next articles of their queue
that nobody has opened, while the annotation screen goes on.

The screen calls ``Retrainer.finished_one`` when an article is finished and reads
``Retrainer.status()`` for its status line and ``take_notice()`` for the line that says a
new model suggests now; all return at once. The screen's session and suggester follow
``model_source()``: articles nobody has opened are seeded only once the newest model has
suggested them (services.annotating). The training runs in a
fresh Python process (never in the screen's process: spaCy there would hold the GIL and
its output would reach the terminal); a thread of this process waits for its answer.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# How many unopened articles of the queue get the new model's suggestions, per N finished.
LOOKAHEAD_FACTOR = 2
MIN_LOOKAHEAD = 20
# With `--order uncertain`, how many unopened articles the new model suggests at least, so
# that the order can compare it with the other sources on more than the next few.
UNCERTAIN_POOL = 200


@dataclass(frozen=True)
class RetrainResult:
    """One finished retraining: the model now suggesting, its dev F1, what was re-suggested."""

    source: str  # model:<name>@<run id>
    version: str  # the run id
    f1: float | None
    model: str  # the pipeline folder
    articles: int  # unopened articles suggested afresh
    replaced: int  # older suggestions removed from them
    seconds: float  # wall time of the run
    cpu_seconds: float  # CPU time the helper process used (it shares the machine)
    trained_on: int  # articles


def default_models_dir(db_url: str) -> Path:
    """``models/`` next to a SQLite database file, else in the current folder."""
    if db_url.startswith("sqlite:///"):
        return Path(db_url[len("sqlite:///") :]).resolve().parent / "models"
    path = Path(db_url)
    if "://" not in db_url:
        return path.resolve().parent / "models"
    return Path("models").resolve()


def _quiet_child() -> None:
    """In the helper process: below the screen's priority, and silent (its terminal is the
    annotation screen's; the answers go back through the pipe, not through stdout)."""
    import signal
    import warnings

    warnings.simplefilter("ignore")
    # Terminated (the screen closed): unwind, so that the half-built run folder is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        os.nice(10)
    except OSError:
        pass
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    sys.stderr = sys.stdout


def retrain_job(
    db: str,
    annotator: str,
    out: str,
    lookahead: int,
    max_steps: int | None,
    base: str,
    order: str = "queue",
    quiet: bool = True,
) -> Iterator[tuple[str, Any]]:
    """(In the helper process.) Train on gold and finished work, make the model the
    project's suggester and re-suggest the next ``lookahead`` unopened articles of
    ``annotator``'s queue; with ``order`` "uncertain", at least UNCERTAIN_POOL of them,
    and then order the queue again (the new model changes the disagreement). Yields
    ("skipped", reason) when there is too little data, else ("done", RetrainResult)."""
    if quiet:
        _quiet_child()
    from annotator.domain.errors import AnnotatorError
    from annotator.domain.ordering import QUEUE
    from annotator.services.ordering import order_queue
    from annotator.services.suggesting import project_config
    from annotator.services.training import resuggest, train_model, training_data, use_model
    from annotator.store.engine import open_store
    from annotator.store.loop import unopened_queue
    from annotator.store.queue import ASSIGNMENT, get_annotator, get_setting

    started, cpu = time.perf_counter(), time.process_time()
    store = open_store(db)
    try:
        scheme = project_config(store).scheme
        try:
            data = training_data(store, source="all", scheme=scheme)
        except AnnotatorError as exc:
            yield ("skipped", str(exc))
            return
        report = train_model(
            store,
            data=data,
            source="all",
            out=Path(out),
            base=base,
            max_steps=max_steps,
            scheme=scheme,
        )
        suggester = use_model(store, report.model)
        pool = lookahead if order == QUEUE else max(lookahead, UNCERTAIN_POOL)
        with store.read() as session:
            person = get_annotator(session, annotator)
            assigned = get_setting(session, ASSIGNMENT, "open") != "open"
            ids = (
                unopened_queue(
                    session.connection(),
                    annotator_id=person.id,
                    assigned=assigned,
                    limit=pool,
                )
                if person is not None and person.id is not None
                else []
            )
        done = resuggest(store, suggester, article_ids=ids)
        order_queue(store, annotator, order)
        yield (
            "done",
            RetrainResult(
                source=report.source_id,
                version=report.run.name,
                f1=report.result.f1,
                model=str(report.model),
                articles=done.articles,
                replaced=done.replaced_suggestions,
                seconds=time.perf_counter() - started,
                cpu_seconds=time.process_time() - cpu,
                trained_on=len(data.records),
            ),
        )
    finally:
        store.dispose()


class Retrainer:
    """Retrain every ``every`` finished articles of ``annotator``, one run at a time.

    ``finished_one`` counts and, when due, starts a run in a helper process (a finish
    while a run is under way makes one more run follow it); ``status`` says which model
    version suggests now and its dev F1; ``on_result`` (if given) is called from the
    waiting thread with each RetrainResult, e.g. to post a message to the screen.
    """

    def __init__(
        self,
        db: str,
        annotator: str,
        every: int,
        *,
        out: Path | None = None,
        lookahead: int | None = None,
        max_steps: int | None = None,
        base: str = "en",
        order: str = "queue",
        on_result: Callable[[RetrainResult], None] | None = None,
        job: Callable[..., Iterator[tuple[str, Any]]] = retrain_job,
    ):
        if every < 1:
            from annotator.domain.errors import InputError

            raise InputError(f"--retrain-every must be at least 1, got {every}")
        self.db = db
        self.annotator = annotator
        self.every = every
        self.out = out if out is not None else default_models_dir(db)
        self.lookahead = lookahead or max(MIN_LOOKAHEAD, LOOKAHEAD_FACTOR * every)
        self.max_steps = max_steps
        self.base = base
        self.order = order
        self.on_result = on_result
        self._job = job
        self._lock = threading.Lock()
        self._finished = 0
        self._due = False
        self._thread: threading.Thread | None = None
        self._helper: Any = None
        self._closed = False
        self.result: RetrainResult | None = None
        self.skipped: str | None = None  # why the last run did not train
        self.error: str | None = None  # why the last run failed
        self.runs = 0
        self.trained = 0  # runs that made a model
        self._notice = ""  # said once on the screen: a new model suggests now

    @property
    def running(self) -> bool:
        """True while a run is under way."""
        with self._lock:
            return self._thread is not None

    def finished_one(self, article_id: int | None = None) -> bool:
        """Count one finished article; start a run when N more are done. Returns True
        when this call started one. Never waits."""
        with self._lock:
            if self._closed:
                return False
            self._finished += 1
            if self._finished % self.every != 0:
                return False
            if self._thread is not None:
                self._due = True
                return False
            self._start()
            return True

    def _start(self) -> None:
        self._due = False
        self._thread = threading.Thread(target=self._run, name="retrainer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from annotator.services.background import from_subprocess

        try:
            helper = from_subprocess(
                self._job,
                self.db,
                self.annotator,
                str(self.out),
                self.lookahead,
                self.max_steps,
                self.base,
                self.order,
            )
            with self._lock:
                self._helper = helper
            with helper:
                for kind, payload in helper:
                    if kind == "skipped":
                        self.skipped = payload
                    elif kind == "done":
                        # The result first: the notice makes the screen read ahead again,
                        # and that read must see the new model.
                        self.result, self.skipped, self.error = payload, None, None
                        f1 = "-" if payload.f1 is None else f"{payload.f1:.2f}"
                        with self._lock:
                            self.trained += 1
                            self._notice = (
                                f"model retrained: run {self.trained}, dev F1 {f1}; "
                                "next articles use it"
                            )
                        if self.on_result is not None:
                            self.on_result(payload)
        except BaseException as exc:  # noqa: BLE001 - reported in the status, never raised
            if not self._closed:
                self.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        finally:
            with self._lock:
                self.runs += 1
                self._helper = None
                self._thread = None
                if self._due and not self._closed:
                    self._start()

    def model_source(self) -> str | None:
        """The source (model:<name>@<run>) of the newest model a run of this retrainer
        made, or None before the first: what the screen's next articles must be suggested
        with before they are seeded."""
        result = self.result
        return None if result is None else result.source

    def take_notice(self) -> str:
        """Once after each run that made a model, the one line the screen shows ("model
        retrained: run 3, dev F1 0.71; next articles use it"); else ""."""
        with self._lock:
            notice, self._notice = self._notice, ""
        return notice

    def status(self) -> tuple[str, float | None] | None:
        """(model version in use, its dev F1) once a run has finished, else None."""
        result = self.result
        return None if result is None else (result.version, result.f1)

    def status_words(self) -> str:
        """The model part of the screen's status line: the version in use and its dev F1,
        and whether a run is under way (empty before the first run starts)."""
        result = self.result
        words = ""
        if result is not None:
            f1 = "-" if result.f1 is None else f"{result.f1:.2f}"
            words = f"model {result.version} · dev F1 {f1}"
        if self.running:
            words = f"{words} · retraining…" if words else "training a model…"
        elif result is None and self.error:
            words = "retraining failed"
        return words

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no run is under way (for tests and the benchmark); True if none is."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                thread = self._thread
            if thread is None:
                return True
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            thread.join(remaining)

    def close(self) -> None:
        """Stop a run under way: its helper process is terminated, and removes its
        half-built run folder as it stops."""
        with self._lock:
            self._closed = True
            helper, thread = self._helper, self._thread
        if helper is not None:
            helper.close()
        if thread is not None:
            thread.join(timeout=10)
