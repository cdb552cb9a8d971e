"""Run a generator in a child process and consume what it yields here, on the other core."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


@contextmanager
def started_subprocess(func: Callable[..., Iterator[Any]], *args: Any) -> Iterator[Iterator[Any]]:
    """Start ``func(*args)`` in a child process now and give the iterator of its items, for
    work the child should do while this process does its own; when the block ends, a child
    still running is terminated. Same rules for ``func`` as from_subprocess."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, func, args), daemon=True)
    process.start()
    sender.close()

    def items() -> Iterator[Any]:
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

    try:
        yield items()
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
        process.join()


def from_subprocess(func: Callable[..., Iterator[Any]], *args: Any) -> Iterator[Any]:
    """Yield the items of ``func(*args)``, computed in a child process.

    Why: parsing holds the GIL, so a parser thread slows the inserting thread down instead
    of overlapping it; a process really runs on the other core. The pipe's buffer bounds
    how far the child runs ahead. ``func`` must be a module-level function whose module
    imports little (the child is spawned, not forked, and imports it afresh). An exception
    in the child is raised here; if the consumer stops early, the child is terminated.
    """
    with started_subprocess(func, *args) as items:
        yield from items
