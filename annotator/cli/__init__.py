"""Command line: `annotator VERB ...`, one thin module per verb over library functions."""

from __future__ import annotations

from annotator.cli import demo, importing, schemes, stats, suggest  # noqa: F401  (each module registers its command)
from annotator.cli.app import app


def main() -> None:
    """Entry point of the `annotator` console script."""
    app()
