"""The demo project: a small corpus written for annotator, imported into a fresh database
with the conflict scheme's suggestions; a demo that fails removes the database it made."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from annotator.services.importing import ImportReport, import_articles
from annotator.store.engine import Store, open_store

DEMO_CORPUS = Path(__file__).resolve().parent.parent / "data" / "demo_articles.jsonl"
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


@dataclass
class DemoReport:
    """What building the demo did: the import, and the suggestions made by source."""

    imported: ImportReport
    suggested_articles: int = 0
    suggestions: int = 0
    sources: list[str] = field(default_factory=list)


def load_demo_corpus(store: Store) -> ImportReport:
    """Import the bundled demo articles (invented for the demo) into ``store``."""
    return import_articles(store, [DEMO_CORPUS], fmt="jsonl")


def remove_database(db: Path) -> None:
    """Delete a SQLite database file and its WAL, shared-memory and journal files."""
    for suffix in SQLITE_SUFFIXES:
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def build_demo(db: Path, *, fresh: bool = False) -> DemoReport:
    """Create (or, unless ``fresh``, reuse) the demo database ``db``: import the demo
    articles and store the conflict scheme's suggestions. When this fails or is interrupted
    on a database it created, the database is removed again, so nothing half-made stays."""
    from annotator.services.suggesting import (
        build_suggester,
        project_config,
        save_project_config,
        suggest_articles,
    )

    if fresh:
        remove_database(db)
    created = not db.exists()
    store = None
    try:
        store = open_store(db)
        config = project_config(store)
        # The suggester is built (scheme and pattern file found and checked) before the
        # articles are stored.
        suggester = build_suggester(config)
        report = DemoReport(load_demo_corpus(store))
        save_project_config(store, config, suggester.tokenizer_id)
        suggested = suggest_articles(store, suggester, helper=False)
        report.suggested_articles = suggested.articles
        report.suggestions = sum(suggested.labels.values())
        report.sources = list(suggester.sources)
        return report
    except BaseException:
        if store is not None:
            store.dispose()
            store = None
        if created:
            remove_database(db)
        raise
    finally:
        if store is not None:
            store.dispose()
