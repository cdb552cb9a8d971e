"""`annotate --retrain-every N` in the real app: finishing an article starts a run in the
helper process while keys keep working, and the status line then names the model in use."""

from __future__ import annotations

import asyncio

import pytest

from annotator.domain.spans import Origin, Span
from annotator.services.annotating import AnnotationSession
from annotator.services.retraining import Retrainer
from annotator.services.schemes import find_scheme
from annotator.store.engine import open_store
from annotator.tui.app import AnnotatorApp
from annotator.tui.screens.annotate import AnnotateScreen
from tests.exchange import Annotation, Article, new_store, populate
from tests.synthetic import make_task
from tests.tui.conftest import settle


@pytest.mark.slow
async def test_tui_retrain_every_runs_beside_the_screen_and_shows_the_model(tmp_path):
    task = make_task(20)
    store = new_store(tmp_path, "loop.db")
    populate(
        store,
        [Article(t.text, t.title) for t in task],
        [
            Annotation(i, "ana", [Span(s, e, label, Origin.MANUAL) for s, e, label in t.truth])
            for i, t in enumerate(task[:12])
        ],
    )
    store.dispose()
    db = tmp_path / "loop.db"
    retrainer = Retrainer(str(db), "ana", every=1, max_steps=5, lookahead=2)
    app = AnnotatorApp(
        scheme=find_scheme("conflict"),
        open_session=lambda: AnnotationSession(open_store(db), "ana"),
        open_nlp=None,
        retrainer=retrainer,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, AnnotateScreen)
        await settle(pilot, screen)
        first = screen.loaded.article_id
        assert "model" not in screen._top_content().plain
        await pilot.press("a")  # done: the write lands, the retrainer is told
        await settle(pilot, screen)
        assert screen.loaded.article_id != first
        assert retrainer.running
        # Keys keep working while the helper process trains.
        before = screen.editor.cursor
        await pilot.press("right")
        await pilot.pause()
        assert screen.editor.cursor == before + 1
        await pilot.pause(1.2)
        assert "training a model…" in screen._top_content().plain
        assert await asyncio.to_thread(retrainer.wait, 300)
        await pilot.pause(1.2)
        version, f1 = retrainer.status()
        assert f"model {version} · dev F1 {f1:.2f}" in screen._top_content().plain
        assert retrainer.result.trained_on == 13
    assert not retrainer.running
