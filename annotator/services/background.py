"""Run a generator in a child process and consume what it yields here, on the other core."""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

_CHILD = "from annotator.services.background import serve; serve()"


def from_subprocess(func: Callable[..., Iterator[Any]], *args: Any) -> Iterator[Any]:
    """Yield the items of ``func(*args)``, computed in a child Python process.

    Why: parsing holds the GIL, so a parser thread slows the inserting thread down instead
    of overlapping it; a process really runs on the other core. The child is a plain
    ``python -c`` that imports ``func``'s module (not the caller's main script), and items
    come back pickled through a pipe whose buffer bounds how far it runs ahead. An
    exception in the child is raised here; if the consumer stops early, the child is
    terminated.
    """
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        pickle.dump((func.__module__, func.__qualname__, args), child.stdin)
        child.stdin.close()
        while True:
            try:
                kind, payload = pickle.load(child.stdout)
            except EOFError:
                raise RuntimeError(
                    f"the helper process stopped (exit code {child.wait()})"
                ) from None
            if kind == "done":
                return
            if kind == "error":
                raise payload
            yield payload
    finally:
        if child.poll() is None:
            child.terminate()
        child.wait()
        child.stdout.close()


def serve() -> None:
    """The child's side: read (module, function, args), send back what the function yields."""
    module, name, args = pickle.load(sys.stdin.buffer)
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
