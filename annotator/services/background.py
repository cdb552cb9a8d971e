"""Run a generator in a child process and consume what it yields here, on the other core."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from typing import Any


def _child(connection, func: Callable[..., Iterator[Any]], args: tuple) -> None:
    try:
        for item in func(*args):
            connection.send(("item", item))
        connection.send(("done", None))
    except KeyboardInterrupt:
        pass  # the parent got the same Ctrl+C and rolls back; nothing to report
    except BaseException as exc:  # noqa: BLE001 - handed to the parent and raised there
        connection.send(("error", exc))
    finally:
        connection.close()


def from_subprocess(func: Callable[..., Iterator[Any]], *args: Any) -> Iterator[Any]:
    """Yield the items of ``func(*args)``, computed in a child process.

    Why: parsing holds the GIL, so a parser thread slows the inserting thread down instead
    of overlapping it; a process really runs on the other core. The pipe's buffer bounds
    how far the child runs ahead. ``func`` must be a module-level function whose module
    imports little (the child is spawned, not forked, and imports it afresh). An exception
    in the child is raised here; if the consumer stops early, the child is terminated.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, func, args), daemon=True)
    process.start()
    sender.close()
    try:
        while True:
            try:
                kind, payload = receiver.recv()
            except EOFError:
                raise RuntimeError(
                    f"the helper process stopped (exit code {process.exitcode})"
                ) from None
            if kind == "done":
                return
            if kind == "error":
                raise payload
            yield payload
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
        process.join()


_STOP = ("stop",)


def _serve(
    jobs, results, setup: Callable[..., Callable[[Any], Any]], args: tuple, inherited: tuple
) -> None:
    """The child side of ChildWorker: set up, say so, then answer jobs in order.

    One thread receives jobs and one sends results, so the main thread keeps computing
    while a large message waits for the parent to read it (a blocking send on a full pipe
    would otherwise idle this process whenever the parent is busy with its own share).
    """
    import queue
    import threading

    for connection in inherited:
        # A forked child holds copies of the parent's ends; while it does, the job pipe
        # would never report the parent gone.
        connection.close()
    inbox: queue.SimpleQueue = queue.SimpleQueue()
    outbox: queue.SimpleQueue = queue.SimpleQueue()

    def receive() -> None:
        try:
            while True:
                inbox.put(jobs.recv())
        except (EOFError, OSError):
            inbox.put(_STOP)  # the parent closed the pipe or is gone

    def send() -> None:
        try:
            while (message := outbox.get()) is not _STOP:
                results.send(message)
        except (BrokenPipeError, OSError):
            inbox.put(_STOP)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        handler = setup(*args)
        outbox.put(("ready", None))
        threading.Thread(target=receive, daemon=True).start()
        while (job := inbox.get()) is not _STOP:
            outbox.put(("item", handler(job)))
    except KeyboardInterrupt:
        pass  # the parent got the same Ctrl+C and stops too
    except BaseException as exc:  # noqa: BLE001 - reported to the parent as text
        outbox.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        outbox.put(_STOP)
        sender.join(timeout=5)
        results.close()


class ChildFailed(RuntimeError):
    """The child process of a ChildWorker failed or stopped; its unanswered jobs are lost."""


class ChildWorker:
    """A child process that runs ``setup(*args)`` once, then applies the function it
    returns to each job submitted, answering in submission order.

    Jobs and results are pickled through pipes. The child starts in the background: check
    ``ready`` before submitting if the caller can do the work itself meanwhile. With
    ``method="spawn"`` the child is a fresh interpreter: ``setup`` must be a module-level
    function and ``args`` picklable. With ``"fork"`` it is a copy of this process, so
    ``args`` may be anything already built here (see ``can_fork``). If the parent dies,
    the child's pipe closes and it exits; ``close()`` ends it at once.
    """

    def __init__(
        self, setup: Callable[..., Callable[[Any], Any]], *args: Any, method: str = "spawn"
    ):
        self.method = method
        context = multiprocessing.get_context(method)
        job_reader, self._jobs = context.Pipe(duplex=False)
        self._results, result_writer = context.Pipe(duplex=False)
        _grow_pipe(self._jobs)
        _grow_pipe(result_writer)
        inherited = (self._jobs, self._results) if method == "fork" else ()
        self._process = context.Process(
            target=_serve, args=(job_reader, result_writer, setup, args, inherited), daemon=True
        )
        self._process.start()
        job_reader.close()
        result_writer.close()
        self._ready = False
        self._pending: list[Any] = []  # results received but not yet taken
        self.submitted = 0  # jobs sent and not yet answered

    @staticmethod
    def can_fork() -> bool:
        """True when a forked child is safe: the platform forks, and this process runs one
        thread (a lock another thread holds at the fork would stay locked in the child).

        Why fork at all: the child then starts with what this process has already loaded
        (a spaCy pipeline takes seconds to import and build in a fresh interpreter).
        """
        import threading

        return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1

    @property
    def pid(self) -> int | None:
        """The child's process id."""
        return self._process.pid

    @property
    def ready(self) -> bool:
        """True once the child has finished its setup (checked without waiting)."""
        if not self._ready:
            self._receive(block=False)
        return self._ready

    def submit(self, job: Any) -> None:
        """Send a job to the child."""
        try:
            self._jobs.send(job)
        except OSError as exc:
            raise ChildFailed(f"the helper process is gone ({exc})") from None
        self.submitted += 1

    def has_result(self) -> bool:
        """True when the answer to the oldest unanswered job can be taken without waiting."""
        if not self._pending:
            self._receive(block=False)
        return bool(self._pending)

    def result(self) -> Any:
        """The answer to the oldest unanswered job, waiting for it if needed."""
        while not self._pending:
            self._receive(block=True)
        self.submitted -= 1
        return self._pending.pop(0)

    def _receive(self, *, block: bool) -> None:
        while block or self._results.poll():
            try:
                kind, payload = self._results.recv()
            except (EOFError, OSError):
                self._process.join(timeout=1)
                raise ChildFailed(
                    f"the helper process stopped (exit code {self._process.exitcode})"
                ) from None
            if kind == "ready":
                self._ready = True
            elif kind == "item":
                self._pending.append(payload)
                return
            else:
                raise ChildFailed(f"the helper process failed: {payload}")

    def close(self) -> None:
        """Stop the child (jobs not yet answered are dropped) and wait for it to exit."""
        try:
            self._jobs.close()
            self._results.close()
        finally:
            self._process.join(timeout=0.5)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join()

    def __enter__(self) -> ChildWorker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _grow_pipe(connection) -> None:
    """Ask Linux for a 1 MB pipe buffer, so that a batch of results fits in one write and
    neither side waits on the other's scheduling; elsewhere this does nothing."""
    try:
        import fcntl

        fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass
