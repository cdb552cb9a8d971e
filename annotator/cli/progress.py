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
def count_progress(
    description: str, *, refresh_thread: bool = True
) -> Iterator[Callable[[int, int], None]]:
    """Yield a callback (done, total) in items that drives a progress bar.

    ``refresh_thread=False`` redraws on each call instead of from a thread of Rich's own:
    for commands that fork a helper process, which is only safe from a single thread.
    """
    with _progress(description, MofNCompleteColumn(), refresh_thread) as update:
        yield update


@contextmanager
def _progress(
    description: str, amount, refresh_thread: bool = True
) -> Iterator[Callable[[int, int], None]]:
    console = Console(stderr=True)
    progress = Progress(
        TextColumn(description),
        BarColumn(),
        TaskProgressColumn(),
        amount,
        TimeRemainingColumn(),
        console=console,
        transient=True,
        auto_refresh=refresh_thread,
        disable=not console.is_terminal,
    )
    task = progress.add_task(description, total=None)

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total, refresh=not refresh_thread)

    with progress:
        yield update
