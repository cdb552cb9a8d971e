"""Run a generator in a child process and consume what it yields here, on the other core."""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

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


def serve() -> None:
    """The child's side: read (path, module, function, args), send back what it yields."""
    path, module, name, args = pickle.load(sys.stdin.buffer)
    sys.path[:] = path
    out = sys.stdout.buffer
    try:
        func = getattr(importlib.import_module(module), name)
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
