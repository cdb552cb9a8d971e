"""Assign articles to annotators with overlap, in one transaction (or only try it)."""

from __future__ import annotations

from collections.abc import Sequence

from annotator.store.assign import AssignReport, assign_articles
from annotator.store.engine import Store


def assign(
    store: Store,
    *,
    overlap: int,
    annotators: Sequence[str] | None = None,
    dry_run: bool = False,
) -> AssignReport:
    """Give each article to ``overlap`` annotators (see store.assign.assign_articles);
    with ``dry_run`` compute the same report and store nothing."""
    with store.write() as session:
        report = assign_articles(session, overlap=overlap, annotators=annotators)
        if dry_run:
            session.rollback()
    return report
