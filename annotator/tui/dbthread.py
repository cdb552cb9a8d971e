"""One thread that runs every database job of the screen in order, off the event loop."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.message import Message

from annotator.domain.errors import AnnotatorError, ConflictError

if TYPE_CHECKING:
    from annotator.services.annotating import AnnotationSession

Job = Callable[["AnnotationSession"], Message | None]
_STOP = object()


class DatabaseThread:
    """Runs jobs one at a time, in the order they were submitted, and posts what they
    return to ``target``. Order matters: an edit must land before the "done" that follows
    it, and a load after the writes before it.

    The thread opens the store itself, so SQLAlchemy is imported there, after the first
    article is on screen, not on the start-up path.
    """

    def __init__(self, target: Any, open_session: Callable[[], AnnotationSession]):
        self._target = target
        self._open_session = open_session
        self._jobs: queue.Queue[object] = queue.Queue()
        self._pending = 0
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="annotator-db", daemon=True)
        self.session: AnnotationSession | None = None

    def start(self) -> None:
        """Start the thread (the session is opened by its first job)."""
        self._thread.start()

    def submit(self, job: Job) -> None:
        """Queue a job; its returned message (if any) is posted to the screen."""
        with self._changed:
            self._pending += 1
        self._jobs.put(job)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the queued jobs, then end the thread (waits at most ``timeout``)."""
        if not self._thread.is_alive():
            return
        self._jobs.put(_STOP)
        self._thread.join(timeout)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every submitted job has run (for tests and clean exits)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._pending == 0, timeout)

    def _job_done(self) -> None:
        with self._changed:
            self._pending -= 1
            self._changed.notify_all()

    def _run(self) -> None:
        try:
            self.session = self._open_session()
        except Exception as exc:  # noqa: BLE001 - reported to the user, the thread ends
            from annotator.tui.messages import SessionFailed

            self._target.post_message(SessionFailed(_failure(exc).reason))  # type: ignore[attr-defined]
            self._drain()
            return
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            try:
                message = job(self.session)  # type: ignore[operator]
            except ConflictError as exc:
                message = _conflict(exc)
            except Exception as exc:  # noqa: BLE001 - shown to the user; keep serving jobs
                message = _failure(exc)
            if message is not None:
                self._target.post_message(message)
            self._job_done()

    def _drain(self) -> None:
        while self._jobs.get() is not _STOP:
            self._job_done()


def _failure(exc: Exception) -> Message:
    from annotator.tui.messages import WorkFailed

    reason = str(exc) if isinstance(exc, AnnotatorError) else f"{type(exc).__name__}: {exc}"
    return WorkFailed(reason.splitlines()[0] if reason else type(exc).__name__)


def _conflict(exc: ConflictError) -> Message:
    from annotator.tui.messages import Conflict

    return Conflict(str(exc))
