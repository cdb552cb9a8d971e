"""The typer application and what every command shares: --db, error reporting, consoles."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import typer

from annotator import __version__
from annotator.cli.launch import DEFAULT_DB as DEFAULT_DATABASE
from annotator.cli.output import echo, error, shown
from annotator.domain.errors import AnnotatorError

app = typer.Typer(
    name="annotator",
    help="Label named entities in news articles from the terminal: import, suggest, "
    "annotate, export, measure agreement.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

DEFAULT_DB = DEFAULT_DATABASE

DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="ANNOTATOR_DB",
        metavar="PATH_OR_URL",
        help="Database: a SQLite file path or any SQLAlchemy URL (default ./annotator.db, "
        "or $ANNOTATOR_DB).",
        show_default=False,
    ),
]

P = ParamSpec("P")
R = TypeVar("R")


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn our errors into one line on stderr and exit status 1 (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except AnnotatorError as exc:
            error(str(exc))
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            echo("interrupted: nothing of the unfinished step was stored", err=True)
            raise typer.Exit(130) from None

    return wrapper


def join_names(names: list[str]) -> str:
    """Names for a message, made visible: ``ana``, ``ana and bob``, ``ana, bob and zoe``."""
    names = [shown(name) for name in names]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def open_db(db: str):
    """Open the store named by --db (imported here so that `--help` stays fast)."""
    from annotator.store.engine import open_store

    return open_store(db or os.environ.get("ANNOTATOR_DB") or DEFAULT_DB)


def _version(value: bool) -> None:
    if value:
        echo(f"annotator {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Label named entities in news articles from the terminal."""
