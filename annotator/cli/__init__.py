"""Command line: `annotator VERB ...`, one thin module per verb over library functions."""

from __future__ import annotations

import importlib
import sys

# Verb -> the module that registers it. Running one verb imports only its module:
# importing them all cost the annotation screen's start a few tens of milliseconds.
COMMANDS = {
    "agreement": "agreement",
    "annotate": "annotate",
    "assign": "assign",
    "demo": "demo",
    "evaluate": "evaluate",
    "export": "exporting",
    "import": "importing",
    "review": "review",
    "schemes": "schemes",
    "stats": "stats",
    "suggest": "suggest",
    "train": "train",
    "train-curve": "train",
}


def load_commands(*verbs: str) -> None:
    """Register the given verbs' commands on ``app`` (every verb when none is given)."""
    for verb in verbs or tuple(COMMANDS):
        importlib.import_module(f"annotator.cli.{COMMANDS[verb]}")


def main() -> None:
    """Entry point of the `annotator` console script."""
    verb = sys.argv[1] if len(sys.argv) > 1 else None
    if verb == "annotate":
        from annotator.cli import quick

        quick.annotate(sys.argv[2:])  # exits when it could take the arguments
    if verb in COMMANDS:
        load_commands(verb)
    else:
        load_commands()  # --help, --version, or a mistyped verb: show every command
    import typer

    from annotator.cli.common import app
    from annotator.cli.output import click_error, echo

    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:  # the parser's usage errors and bad values
        # Printed through the output boundary: option values may hold control characters.
        click_error(exc)
        sys.exit(exc.exit_code)
    except typer.Abort:
        echo("aborted", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def __getattr__(name: str):
    # `annotator.cli.common` (the typer application) is imported on first use only, so that
    # the quick path of `annotator annotate` never imports typer.
    if name == "app":
        from annotator.cli.common import app

        return app
    raise AttributeError(name)
