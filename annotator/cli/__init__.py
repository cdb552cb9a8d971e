"""Command line: `annotator VERB ...`, one thin module per verb over library functions."""

from __future__ import annotations

from annotator.cli import (  # noqa: F401  (each module registers its command)
    agreement,
    annotate,
    assign,
    demo,
    exporting,
    importing,
    review,
    schemes,
    stats,
    suggest,
)
from annotator.cli.app import app


def main() -> None:
    """Entry point of the `annotator` console script."""
    app()
