"""One thread that runs every database job of the screen in order, off the event loop."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

from annotator.domain.errors import AnnotatorError, ConflictError

if TYPE_CHECKING:
    from annotator.services.annotating import AnnotationSession

Job = Callable[["AnnotationSession"], Message | None]
_STOP = object()
BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 4.0, 5.0)  # waits between attempts of a write; then 5 s


@dataclass
class _Read:
    """A job whose failure is reported (with the article it was about) and not retried."""

    run: Job
    about: int | None
    ticket: int | None = None


@dataclass
class _Write:
    """A job that stores something: tried again while the database is busy or full."""

    run: Callable[[AnnotationSession], int | None]
    local_id: int
    article_id: int


class DatabaseThread:
    """Runs jobs one at a time, in the order they were submitted, and posts what they
    report to ``target``. Order matters: an edit must land before the "done" that follows
    it, and a load after the writes before it.

    A write that fails because the database is locked, full or unreachable is tried again
    with growing waits (the jobs behind it wait too, so the order holds) until it is
    stored, refused for good, or the screen gives up on it (``abandon``). The thread opens
    the store itself, so SQLAlchemy is imported there, after the first article is on
    screen; if opening fails for a reason that may pass, the next job tries again.
    """

    def __init__(
        self,
        target: Any,
        open_session: Callable[[], AnnotationSession],
        on_attempt: Callable[[int], None] | None = None,
    ):
        self._target = target
        self._open_session = open_session
        self._on_attempt = on_attempt
        self._jobs: queue.Queue[object] = queue.Queue()
        self._holds = 0  # hold() calls not released yet: jobs wait in _held meanwhile
        self._held: list[object] = []
        self._pending = 0
        self._changed = threading.Condition()
        self._abandoned = threading.Event()
        self._thread = threading.Thread(target=self._run, name="annotator-db", daemon=True)
        self.session: AnnotationSession | None = None

    def start(self) -> None:
        """Start the thread (the session is opened by its first job)."""
        self._thread.start()

    @property
    def started(self) -> bool:
        """True once the thread runs."""
        return self._thread.is_alive()

    def submit(self, job: Job, about: int | None = None, ticket: int | None = None) -> None:
        """Queue a job; its returned message (if any) is posted to the screen. If it fails,
        a JobFailed (or Conflict) naming article ``about`` (and the open request
        ``ticket``) is posted instead."""
        self._put(_Read(job, about, ticket))

    def submit_write(
        self, job: Callable[[AnnotationSession], int | None], local_id: int, article_id: int
    ) -> None:
        """Queue a write of article ``article_id``; WriteStored(local_id, event id) is
        posted once it is stored, WriteFailing after each failed attempt, WriteRefused if
        the database refuses it for good."""
        self._put(_Write(job, local_id, article_id))

    def _put(self, item: object) -> None:
        with self._changed:  # (a worker thread submits too)
            self._pending += 1
            if self._holds:
                self._held.append(item)
            else:
                self._jobs.put(item)

    def hold(self) -> None:
        """Keep the jobs submitted from now on out of the thread until the matching
        ``release`` (each hold needs one). The screen holds them while it paints a key's
        effect: a job running meanwhile competes with the paint for Python's lock. Held
        jobs count as pending (``wait_idle`` waits for them) and keep their order."""
        with self._changed:
            self._holds += 1

    def release(self) -> None:
        """End one ``hold``; when none is left, the held jobs go to the thread in order."""
        with self._changed:
            self._holds = max(0, self._holds - 1)
            if not self._holds:
                for item in self._held:
                    self._jobs.put(item)
                self._held.clear()

    @property
    def pending(self) -> int:
        """Jobs submitted and not finished."""
        return self._pending

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the queued jobs, then end the thread (waits at most ``timeout``)."""
        with self._changed:
            self._holds = 1
        self.release()  # held jobs run before the thread ends
        if not self._thread.is_alive():
            return
        self._jobs.put(_STOP)
        self._thread.join(timeout)

    def abandon(self) -> None:
        """Stop trying failed writes again (the app is quitting without them)."""
        self._abandoned.set()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every submitted job has run; False if ``timeout`` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._pending == 0, timeout)

    def _job_done(self) -> None:
        with self._changed:
            self._pending -= 1
            self._changed.notify_all()

    def _post(self, message: Message) -> None:
        self._target.post_message(message)

    def _session(self) -> AnnotationSession:
        if self.session is None:
            try:
                self.session = self._open_session()
            except AnnotatorError as exc:
                # Permanent (not an annotator database, a newer schema): the app ends.
                from annotator.tui.messages import SessionFailed

                self._post(SessionFailed(_reason(exc)))
                raise
        return self.session

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is _STOP:
                return
            try:
                if isinstance(item, _Write):
                    self._write(item)
                else:
                    assert isinstance(item, _Read)
                    self._read(item)
            finally:
                self._job_done()

    def _read(self, item: _Read) -> None:
        from annotator.tui.messages import Conflict, JobFailed

        try:
            message = item.run(self._session())
        except ConflictError as exc:
            message = Conflict(item.about, str(exc))
        except Exception as exc:  # noqa: BLE001 - shown to the user; keep serving jobs
            message = JobFailed(item.about, _reason(exc), item.ticket)
        if message is not None:
            self._post(message)

    def _write(self, item: _Write) -> None:
        from annotator.tui.messages import WriteFailing, WriteRefused, WriteStored

        attempts = 0
        while True:
            if self._on_attempt is not None:
                self._on_attempt(item.local_id)
            try:
                session = self._session()
                event_id = item.run(session)
            except ConflictError as exc:
                self._post(WriteRefused(item.local_id, item.article_id, str(exc), conflict=True))
                return
            except Exception as exc:  # noqa: BLE001 - shown to the user
                transient = not isinstance(exc, AnnotatorError) and _transient(self.session, exc)
                if not transient:
                    self._post(WriteRefused(item.local_id, item.article_id, _reason(exc)))
                    return
                attempts += 1
                self._post(WriteFailing(item.local_id, item.article_id, _reason(exc), attempts))
                wait = BACKOFF_S[min(attempts - 1, len(BACKOFF_S) - 1)]
                if self._abandoned.wait(wait):
                    return
                continue
            self._post(WriteStored(item.local_id, item.article_id, event_id, attempts))
            return


def _transient(session: AnnotationSession | None, exc: Exception) -> bool:
    from annotator.services.annotating import AnnotationSession

    return (session or AnnotationSession).is_transient(exc)


def _reason(exc: Exception) -> str:
    reason = str(exc) if isinstance(exc, AnnotatorError) else _database_words(exc)
    return reason.splitlines()[0] if reason else type(exc).__name__


def _database_words(exc: Exception) -> str:
    """A database failure in words a person reads (not the driver's class names)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).splitlines()[0] if str(orig) else type(orig).__name__
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return "the database is locked by another process"
    if "disk is full" in lowered:
        return "the disk is full"
    if "readonly" in lowered or "read-only" in lowered:
        return "the database file is read-only"
    return f"{type(orig).__name__}: {text}"
