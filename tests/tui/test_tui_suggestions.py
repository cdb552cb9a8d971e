"""Articles without suggestions get them (and spaCy's tokens) from a worker, off the event loop."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import spacy

from annotator.domain.spans import Origin
from annotator.services.annotating import AnnotationSession, BackgroundSuggester
from annotator.services.schemes import find_scheme
from annotator.store.engine import open_store
from annotator.store.fastpath import first_article
from annotator.tui.app import AnnotatorApp
from tests.tui.conftest import add_article, settle, stored

TEXT = "Turkish troops entered Sarmada near Idlib on Thursday, and Russian warplanes flew over."


async def _until(pilot, condition, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        await asyncio.sleep(0.05)
        await pilot.pause()


@pytest.mark.asyncio
async def test_tui_suggestions_arriving_leave_the_cursor_and_selection_where_they_are(tmp_path):
    """A person who starts before spaCy is done keeps their place: the suggestions (and
    spaCy's tokens) come in around the cursor and the selection, which do not jump to
    the first suggestion."""
    db = tmp_path / "plain.db"
    store = open_store(db)
    add_article(store, TEXT, "Troops")
    store.dispose()
    keys_typed = threading.Event()

    def open_nlp() -> BackgroundSuggester:  # (in the app's worker thread)
        assert keys_typed.wait(30)  # spaCy is "still loading" until the keys are in
        return BackgroundSuggester(str(db))

    app = AnnotatorApp(
        scheme=find_scheme("conflict"),
        open_session=lambda: AnnotationSession(open_store(db), "ana"),
        open_nlp=open_nlp,
        first=first_article(str(db), "ana"),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.press("right", "right", "shift+right")  # "entered Sarmada" selected
        assert screen.editor.spans == []  # before the suggestions
        editor = screen.editor
        assert TEXT[slice(*editor.selection_chars())] == "entered Sarmada"
        keys_typed.set()
        await _until(pilot, lambda: screen.loaded.has_suggestions)
        await settle(pilot, screen)
        assert screen.editor.spans  # they came in
        assert TEXT[slice(*screen.editor.selection_chars())] == "entered Sarmada"
        assert TEXT[slice(*screen.editor.cursor_chars())] == "Sarmada"
        await pilot.press("4")  # and a label key labels what the person selected
        await settle(pilot, screen)
        assert ("entered Sarmada", "LOCATION") in {
            (TEXT[s.start : s.end], s.label) for s in screen.editor.spans
        }


@pytest.mark.asyncio
async def test_tui_suggestions_and_tokens_arrive_from_the_worker(tmp_path):
    db = tmp_path / "plain.db"
    store = open_store(db)
    add_article(store, TEXT, "Troops")  # no suggestions, no tokens stored
    store.dispose()
    app = AnnotatorApp(
        scheme=find_scheme("conflict"),
        open_session=lambda: AnnotationSession(open_store(db), "ana"),
        open_nlp=lambda: BackgroundSuggester(str(db)),
        first=first_article(str(db), "ana"),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert screen.editor.spans == []  # on screen before spaCy has even been imported
        await _until(pilot, lambda: screen.loaded.has_suggestions)
        await settle(pilot, screen)
        found = {(TEXT[s.start : s.end], s.label) for s in screen.editor.spans}
        assert ("Idlib", "LOCATION") in found and ("Thursday", "DATE") in found
        assert all(s.origin is Origin.SUGGESTED for s in screen.editor.spans)
        spacy_tokens = [(t.idx, t.idx + len(t)) for t in spacy.blank("en")(TEXT) if not t.is_space]
        assert screen.editor.tokens == spacy_tokens  # spaCy's tokens replaced the rough ones
        await pilot.press("a")
        await settle(pilot, screen)
    spans = stored(db)[1][1]
    assert ("Idlib", "LOCATION") in {(TEXT[s.start : s.end], s.label) for s in spans}
    assert all(s.origin is Origin.ACCEPTED for s in spans)
