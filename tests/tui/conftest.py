"""Drive the real annotation app with Textual's pilot over a real SQLite database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from annotator.domain.spans import Span, Suggestion
from annotator.services.annotating import AnnotationSession
from annotator.services.schemes import find_scheme
from annotator.store.engine import Store, open_store
from annotator.store.models import Article, SuggestionRun
from annotator.store.models import Suggestion as SuggestionRow
from annotator.tui.app import AnnotatorApp
from annotator.tui.screens.annotate import AnnotateScreen

ARTICLE_ONE = "Assad forces shelled Idlib on Thursday.\nThe Syrian Civil Defence counted 12 civilians wounded."
ARTICLE_TWO = "Turkish troops entered Sarmada.\nRussian warplanes flew over Ariha."
ARTICLE_THREE = "A third article about Hama."


def add_article(
    store: Store, text: str, title: str = "", suggestions: list[Span] | None = None
) -> int:
    """Store an article (and machine suggestions for it, if given); returns its id."""
    from annotator.domain.text import content_hash

    with store.write() as session:
        article = Article(content_hash=content_hash(text), text=text, title=title, source="test")
        session.add(article)
        session.flush()
        if suggestions is not None:
            for s in suggestions:
                session.add(
                    SuggestionRow(
                        article_id=article.id,
                        source="patterns:test",
                        start=s.start,
                        end=s.end,
                        label=s.label,
                    )
                )
            session.add(
                SuggestionRun(article_id=article.id, source="patterns:test", count=len(suggestions))
            )
        return article.id


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A database with three articles; the first two have suggestions."""
    db = tmp_path / "tui.db"
    store = open_store(db)
    add_article(
        store,
        ARTICLE_ONE,
        "Shelling in Idlib",
        [Span(0, 5, "PERSON"), Span(21, 26, "LOCATION"), Span(30, 38, "DATE")],
    )
    add_article(store, ARTICLE_TWO, "Troops enter Sarmada", [Span(23, 30, "LOCATION")])
    add_article(store, ARTICLE_THREE, "Third")
    store.dispose()
    return db


def make_app(
    db: Path, annotator: str = "ana", scheme: str = "conflict", fast: bool = True
) -> AnnotatorApp:
    """The app as `annotator annotate` builds it (first article from the fast start path
    unless ``fast`` is off), without background spaCy."""
    from annotator.store.fastpath import first_article

    def open_session() -> AnnotationSession:
        return AnnotationSession(open_store(db), annotator)

    return AnnotatorApp(
        scheme=find_scheme(scheme),
        open_session=open_session,
        open_nlp=None,
        first=first_article(str(db), annotator) if fast else None,
    )


async def settle(pilot, screen: AnnotateScreen) -> None:
    """Wait until the database thread has run every job and its messages were handled."""
    for _ in range(3):
        await asyncio.to_thread(screen.db.wait_idle, 10)
        await pilot.pause()


@asynccontextmanager
async def running(
    db: Path, annotator: str = "ana", size=(120, 40), scheme: str = "conflict", fast: bool = True
) -> AsyncIterator:
    """Run the app and wait for the first article; yields (pilot, screen)."""
    app = make_app(db, annotator, scheme, fast)
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        assert isinstance(screen, AnnotateScreen)
        await settle(pilot, screen)
        yield pilot, screen
        await settle(pilot, screen)


def stored(db: Path, annotator: str = "ana") -> dict[int, tuple[str, list[Span]]]:
    """article id -> (status, spans) of this annotator, read straight from the database."""
    from annotator.store.annotations import stored_annotations

    store = open_store(db)
    with store.read() as session:
        rows = {
            a.article_id: (a.status.value, list(a.spans))
            for a in stored_annotations(session, source=annotator, status="all")
        }
    store.dispose()
    return rows


def screen_text(screen: AnnotateScreen) -> str:
    """The plain text of the article view as painted (tags included)."""
    from annotator.tui.widgets.article import Paragraph

    return "\n".join(str(p.visual) for p in screen.query(Paragraph))


def suggestion(start: int, end: int, label: str) -> Suggestion:
    return Suggestion(start, end, label, "patterns:test")
