"""The typer application and what every command shares: --db, error reporting, consoles."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from annotator import __version__
from annotator.cli.launch import DEFAULT_DB as DEFAULT_DATABASE
from annotator.cli.launch import failure_message
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
    context_settings={"help_option_names": ["-h", "--help"]},
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

# Typer raises its own (vendored) click's exceptions; their base class, found from one.
_ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

P = ParamSpec("P")
R = TypeVar("R")


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn every error into one line on stderr and exit status 1, no traceback (see
    launch.failure_message for what each kind says)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except AnnotatorError as exc:
            error(str(exc))
            raise typer.Exit(1) from None
        except (typer.Exit, typer.Abort, typer.BadParameter, _ClickException):  # type: ignore[misc]
            raise  # typer's own: usage errors (exit 2) and exits
        except Exception as exc:
            message = failure_message(exc)  # made visible there
            if message is None:
                raise
            error(message)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            echo("interrupted: nothing of the unfinished step was stored", err=True)
            raise typer.Exit(130) from None

    return wrapper


def join_names(names: list[str]) -> str:
    """Names for a message, made visible: ``ana``, ``ana and bob``, ``ana, bob and zoe``."""
    names = [shown(name) for name in names]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def open_db(db: str, *, create: bool = False):
    """Open the store named by --db (imported here so that `--help` stays fast). A SQLite
    file that does not exist is created only with ``create`` (commands that write
    articles); otherwise it is a one-line error and nothing is created."""
    from annotator.cli.launch import require_database
    from annotator.store.engine import open_store

    target = db or os.environ.get("ANNOTATOR_DB") or DEFAULT_DB
    if not create:
        require_database(target)
    return open_store(target)


@contextmanager
def removed_if_failed(db: str) -> Iterator[None]:
    """Remove the SQLite database named by --db again when the block fails and the file
    did not exist before it (a failed import leaves no empty database behind)."""
    from annotator.cli.launch import missing_database

    target = db or os.environ.get("ANNOTATOR_DB") or DEFAULT_DB
    new = missing_database(target) is not None
    try:
        yield
    except BaseException:
        if new:
            from annotator.services.demo import remove_database

            path = target[len("sqlite:///") :] if target.startswith("sqlite:///") else target
            remove_database(Path(path).expanduser())
        raise


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
