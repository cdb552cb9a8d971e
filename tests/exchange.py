"""Helpers for the exchange-format tests: fresh databases fast, filling one with articles,
annotations and suggestions, and reading back what a format can carry."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.domain.records import ArticleRecord
from annotator.domain.spans import Span, Status
from annotator.domain.spans import Suggestion as SuggestionValue
from annotator.store.annotations import save_annotation, stored_annotations
from annotator.store.articles import ensure_articles
from annotator.store.engine import Store, open_store
from annotator.store.models import Suggestion
from annotator.store.suggestions import replace_suggestions

_TEMPLATE: Path | None = None


def new_store(folder: Path, name: str = "test.db") -> Store:
    """A store in ``folder``: a copy of a database migrated once per test run (running the
    migrations for every hypothesis example would dominate the run time)."""
    global _TEMPLATE
    if _TEMPLATE is None:
        template = Path(tempfile.mkdtemp(prefix="annotator-template-")) / "template.db"
        atexit.register(shutil.rmtree, template.parent, ignore_errors=True)
        open_store(template).dispose()
        _TEMPLATE = template
    target = folder / name
    shutil.copyfile(_TEMPLATE, target)
    return open_store(target)


@dataclass
class Article:
    """An article to put in a test database."""

    text: str
    title: str = ""
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    external_id: str | None = None


@dataclass
class Annotation:
    """One annotator's annotation of the article at ``article`` (an index)."""

    article: int
    annotator: str
    spans: list[Span]
    status: Status = Status.DONE


def populate(
    store: Store,
    articles: list[Article],
    annotations: list[Annotation],
    suggestions: dict[tuple[int, str], list[Span]] | None = None,
) -> list[int]:
    """Store articles, annotations and suggestions ((article index, source) -> spans) the
    way imports and the annotation screen do; return the article ids."""
    with store.write() as session:
        ids, _ = ensure_articles(
            session.connection(),
            [
                ArticleRecord(
                    text=a.text,
                    title=a.title,
                    source=a.source,
                    meta=a.meta,
                    external_id=a.external_id,
                )
                for a in articles
            ],
        )
        for annotation in annotations:
            save_annotation(
                session,
                article_id=ids[annotation.article],
                annotator=annotation.annotator,
                spans=annotation.spans,
                status=annotation.status,
            )
        for (index, source), spans in (suggestions or {}).items():
            replace_suggestions(
                session,
                article_id=ids[index],
                source=source,
                suggestions=[SuggestionValue(s.start, s.end, s.label, source) for s in spans],
            )
    return ids


def annotations_of(
    store: Store, *, statuses: set[Status] | None = None, article_fields: tuple[str, ...] = ()
) -> set[tuple]:
    """Every annotation as (text, annotator, status, spans, *article fields), spans as
    (start, end, label) tuples, for comparing two databases."""
    with store.read() as session:
        return {
            (
                a.text,
                a.annotator,
                a.status,
                tuple(sorted(s.key for s in a.spans)),
                *(_field(a, name) for name in article_fields),
            )
            for a in stored_annotations(session, status="all")
            if statuses is None or a.status in statuses
        }


def _field(annotation: Any, name: str) -> Any:
    value = getattr(annotation, name)
    return json.dumps(value, sort_keys=True) if isinstance(value, dict) else value


def suggestions_of(store: Store) -> set[tuple[str, str, int, int, str]]:
    """Every suggestion as (article text, source, start, end, label)."""
    from sqlalchemy import select

    from annotator.store.models import Article as ArticleRow

    with store.read() as session:
        rows = session.execute(
            select(
                ArticleRow.text,
                Suggestion.source,
                Suggestion.start,
                Suggestion.end,
                Suggestion.label,
            ).join(ArticleRow, ArticleRow.id == Suggestion.article_id)
        )
        return {tuple(row) for row in rows}
