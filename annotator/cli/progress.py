"""A Rich progress bar on stderr for long operations (silent when stderr is not a terminal)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)


@contextmanager
def byte_progress(description: str) -> Iterator[Callable[[int, int], None]]:
    """Yield a callback (done, total) in bytes that drives a progress bar."""
    with _progress(description, DownloadColumn()) as update:
        yield update


@contextmanager
def count_progress(description: str) -> Iterator[Callable[[int, int], None]]:
    """Yield a callback (done, total) in items that drives a progress bar."""
    with _progress(description, MofNCompleteColumn()) as update:
        yield update


@contextmanager
def _progress(description: str, amount) -> Iterator[Callable[[int, int], None]]:
    console = Console(stderr=True)
    progress = Progress(
        TextColumn(description),
        BarColumn(),
        TaskProgressColumn(),
        amount,
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task = progress.add_task(description, total=None)

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    with progress:
        yield update
