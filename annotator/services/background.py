"""Work in child processes, on the other core: a generator whose items come back here
(from_subprocess), or a worker answering jobs in order (ChildWorker)."""

from __future__ import annotations

import importlib
import multiprocessing
import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any, Literal

from annotator.services.heap import bulk_collection

_CHILD = "from annotator.services.background import serve; serve()"


class Helper:
    """The items a child process yields, as an iterator; close() (or leaving a ``with``
    block) stops the child if it is still running."""

    def __init__(self, func: Callable[..., Iterator[Any]], args: tuple):
        self._child = subprocess.Popen(
            [sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self._finished = False
        assert self._child.stdin is not None
        # The child gets our import path, so it finds func's module wherever it lives.
        pickle.dump((sys.path, func.__module__, func.__qualname__, args), self._child.stdin)
        self._child.stdin.close()

    def __iter__(self) -> Helper:
        return self

    def __next__(self) -> Any:
        if self._finished:
            raise StopIteration
        assert self._child.stdout is not None
        try:
            kind, payload = pickle.load(self._child.stdout)
        except EOFError:
            code = self._child.wait()
            self.close()
            raise RuntimeError(f"the helper process stopped (exit code {code})") from None
        except BaseException:
            self.close()
            raise
        if kind == "item":
            return payload
        self.close()
        if kind == "error":
            raise payload
        raise StopIteration

    def close(self) -> None:
        """Stop the child (if it still runs) and release the pipe."""
        if self._finished:
            return
        self._finished = True
        if self._child.poll() is None:
            self._child.terminate()
        self._child.wait()
        if self._child.stdout is not None:
            self._child.stdout.close()

    def __del__(self) -> None:
        # A consumer that stopped on an exception drops the iterator without closing it.
        if hasattr(self, "_child"):
            self.close()

    def __enter__(self) -> Helper:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def from_subprocess(func: Callable[..., Iterator[Any]], *args: Any) -> Helper:
    """Yield the items of ``func(*args)``, computed in a child process that starts at once,
    so it works while the caller does something else.

    Why: parsing holds the GIL, so a parser thread slows the inserting thread down instead
    of overlapping it; a process really runs on the other core. The child is a plain
    ``python -c`` that imports ``func``'s module (never the caller's main script, which
    multiprocessing's spawn would re-run), and items come back pickled through a pipe
    whose buffer bounds how far it runs ahead. An exception in the child is raised here;
    if the consumer stops early and closes the iterator (or uses it as a context
    manager), the child is terminated.
    """
    return Helper(func, args)


def die_with_parent() -> None:
    """Ask Linux to end this process when its parent dies (prctl PR_SET_PDEATHSIG with
    SIGTERM); elsewhere nothing happens, and a pipe to the parent closing ends the child."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def serve() -> None:
    """The child's side: read (path, module, function, args), send back what it yields.
    The child ends with its parent (a killed export's helper used to outlive it)."""
    die_with_parent()
    path, module, name, args = pickle.load(sys.stdin.buffer)
    sys.path[:] = path
    out = sys.stdout.buffer
    try:
        func = getattr(importlib.import_module(module), name)
        # What such a child does is bulk work (reading an import, say): see bulk_collection.
        with bulk_collection():
            for item in func(*args):
                pickle.dump(("item", item), out, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(("done", None), out)
    except KeyboardInterrupt:
        return  # the parent got the same Ctrl+C and rolls back
    except BrokenPipeError:
        return  # the parent stopped reading
    except BaseException as exc:  # noqa: BLE001 - handed to the parent and raised there
        pickle.dump(("error", exc), out)
    out.flush()


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
            # The parent closed the pipe or is gone: nobody will read what the job in hand
            # computes, so end now rather than when it finishes (seconds, for spaCy).
            os._exit(0)

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
        self,
        setup: Callable[..., Callable[[Any], Any]],
        *args: Any,
        method: Literal["spawn", "fork"] = "spawn",
    ):
        self.method = method
        # One literal per call: typeshed gives these contexts their Process class.
        context = (
            multiprocessing.get_context("fork")
            if method == "fork"
            else multiprocessing.get_context("spawn")
        )
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
