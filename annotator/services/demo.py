"""The demo project: a small corpus written for annotator, imported into a fresh database."""

from __future__ import annotations

from pathlib import Path

from annotator.services.importing import ImportReport, import_articles
from annotator.store.engine import Store

DEMO_CORPUS = Path(__file__).resolve().parent.parent / "data" / "demo_articles.jsonl"


def load_demo_corpus(store: Store) -> ImportReport:
    """Import the bundled demo articles (invented for the demo) into ``store``."""
    return import_articles(store, [DEMO_CORPUS], fmt="jsonl")
