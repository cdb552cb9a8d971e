"""Snapshots of the review screen and of the end of the queue, at both sizes users work in
(update with --snapshot-update, then look at them)."""

from __future__ import annotations

import pytest

from annotator.services.reviewing import ReviewSession
from annotator.services.schemes import find_scheme
from annotator.store.engine import open_store
from annotator.tui.app import AnnotatorApp
from annotator.tui.screens.review import ReviewScreen
from tests.tui.conftest import make_app, settle
from tests.tui.test_tui_review import disputed  # noqa: F401 - the fixture

SIZES = [(120, 40), (80, 24)]


@pytest.mark.parametrize("size", SIZES)
def test_tui_snapshot_review_screen(disputed, snap_compare, size):  # noqa: F811
    app = AnnotatorApp(
        scheme=find_scheme("conflict"),
        open_session=lambda: ReviewSession(open_store(disputed), "rev"),
        screen=ReviewScreen,
    )

    async def prepare(pilot):
        await settle(pilot, pilot.app.screen)
        await pilot.press("tab")
        await settle(pilot, pilot.app.screen)

    assert snap_compare(app, terminal_size=size, run_before=prepare)


@pytest.mark.parametrize("size", SIZES)
def test_tui_snapshot_end_of_queue(project, snap_compare, size):
    async def prepare(pilot):
        for _ in range(3):
            await settle(pilot, pilot.app.screen)
            await pilot.press("a")
        await settle(pilot, pilot.app.screen)

    assert snap_compare(make_app(project), terminal_size=size, run_before=prepare)
