"""Machine suggestions: replace one source's suggestions for an article, read them back."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, insert, select
from sqlmodel import Session

from annotator.domain.spans import Suggestion as SuggestionValue
from annotator.store.models import Suggestion, SuggestionRun, utcnow

SUGGESTION = Suggestion.__table__  # type: ignore[attr-defined]


def replace_suggestions(
    session: Session, *, article_id: int, source: str, suggestions: Iterable[SuggestionValue]
) -> int:
    """Make ``suggestions`` the suggestions of ``source`` for the article, and mark the
    article as processed by that source (a SuggestionRun row); returns how many."""
    session.execute(
        delete(Suggestion).where(Suggestion.article_id == article_id, Suggestion.source == source)
    )
    rows = [
        {
            "article_id": article_id,
            "source": source,
            "start": s.start,
            "end": s.end,
            "label": s.label,
            "score": s.score,
        }
        for s in suggestions
    ]
    if rows:
        session.execute(insert(SUGGESTION), rows)
    run = session.get(SuggestionRun, (article_id, source))
    if run is None:
        session.add(SuggestionRun(article_id=article_id, source=source, count=len(rows)))
    else:
        run.count = len(rows)
        run.created_at = utcnow()
        session.add(run)
    return len(rows)


def suggestions_for(
    session: Session, article_ids: Sequence[int]
) -> dict[int, list[SuggestionValue]]:
    """The suggestions of these articles, by article, ordered by source, start, end, label."""
    found: dict[int, list[SuggestionValue]] = {i: [] for i in article_ids}
    unique = list(dict.fromkeys(article_ids))
    for i in range(0, len(unique), 500):
        rows = session.scalars(
            select(Suggestion)
            .where(Suggestion.article_id.in_(unique[i : i + 500]))  # type: ignore[attr-defined]
            .order_by(
                Suggestion.article_id,
                Suggestion.source,
                Suggestion.start,
                Suggestion.end,
                Suggestion.label,
            )
        )
        for row in rows:
            found[row.article_id].append(
                SuggestionValue(row.start, row.end, row.label, row.source, row.score)
            )
    return found
