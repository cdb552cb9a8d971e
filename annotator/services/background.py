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


class Helper:
    """The items a child process yields, as an iterator; close() (or leaving a ``with``
    block) stops the child if it is still running."""

    def __init__(self, func: Callable[..., Iterator[Any]], args: tuple):
        context = multiprocessing.get_context("spawn")
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_child, args=(sender, func, args), daemon=True)
        self._process.start()
        sender.close()
        self._finished = False

    def __iter__(self) -> Helper:
        return self

    def __next__(self) -> Any:
        if self._finished:
            raise StopIteration
        try:
            kind, payload = self._receiver.recv()
        except EOFError:
            self.close()
            raise RuntimeError(
                f"the helper process stopped (exit code {self._process.exitcode})"
            ) from None
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
        self._receiver.close()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()

    def __del__(self) -> None:
        # A consumer that stopped on an exception drops the iterator without closing it.
        if hasattr(self, "_process"):
            self.close()

    def __enter__(self) -> Helper:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def from_subprocess(func: Callable[..., Iterator[Any]], *args: Any) -> Helper:
    """Yield the items of ``func(*args)``, computed in a child process that starts at once,
    so it works while the caller does something else.

    Why: parsing holds the GIL, so a parser thread slows the inserting thread down instead
    of overlapping it; a process really runs on the other core. The pipe's buffer bounds
    how far the child runs ahead. ``func`` must be a module-level function whose module
    imports little (the child is spawned, not forked, and imports it afresh). An exception
    in the child is raised here; if the consumer stops early and closes the iterator (or
    uses it as a context manager), the child is terminated.
    """
    return Helper(func, args)
