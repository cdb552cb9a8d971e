"""`annotator annotate` parsed with argparse, so the annotation screen starts without
importing typer.

Why: typer and its command tree cost about 40 ms before the first article could be
drawn, a good part of the start-up budget (the screen must appear within 1.5x the time a
bare Textual app takes). The options are those of cli/annotate.py, which stays the
reference (its --help, its errors): anything this parser does not take exactly (--help, a
typo, a missing value) is handed back to typer. A test checks both parse alike.
"""

from __future__ import annotations

import argparse
import os
import sys

from annotator.cli.launch import DEFAULT_DB


class _Parser(argparse.ArgumentParser):
    """An argparse parser that never prints or exits: whatever it cannot take (a missing
    --annotator, say) goes back to typer, which reports it once."""

    def error(self, message: str):
        raise argparse.ArgumentError(None, message)


def parse(argv: list[str]) -> argparse.Namespace | None:
    """The options of `annotator annotate`, or None when typer should handle ``argv``."""
    parser = _Parser(add_help=False, exit_on_error=False, allow_abbrev=False)
    parser.add_argument("--annotator", "-a", required=True)
    parser.add_argument("--db", default="")
    parser.add_argument("--scheme", default=None)
    parser.add_argument("--suggest", dest="suggest", action="store_true", default=True)
    parser.add_argument("--no-suggest", dest="suggest", action="store_false")
    parser.add_argument("--retrain-every", dest="retrain_every", type=int, default=None)
    parser.add_argument("--order", dest="order", choices=("queue", "uncertain"), default="queue")
    if any(arg in ("--help", "-h") for arg in argv):
        return None
    try:
        args, rest = parser.parse_known_args(argv)
    except (argparse.ArgumentError, SystemExit):
        return None
    return None if rest else args


def annotate(argv: list[str]) -> bool:
    """Run `annotator annotate ARGV` if argparse can take it; False to let typer do it."""
    args = parse(argv)
    if args is None:
        return False
    from annotator.cli.launch import failure_message, run_annotation
    from annotator.cli.output import error

    target = args.db or os.environ.get("ANNOTATOR_DB") or DEFAULT_DB
    try:
        code = run_annotation(
            target, args.annotator, args.scheme, args.suggest, args.retrain_every, args.order
        )
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        message = failure_message(exc)  # made visible there
        if message is None:
            raise
        error(message)
        sys.exit(1)
    sys.exit(code)
