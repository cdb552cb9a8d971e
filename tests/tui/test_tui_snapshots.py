"""Snapshots of the main screen at the two sizes users work in (update with --snapshot-update)."""

from __future__ import annotations

import pytest

from tests.tui.conftest import make_app, settle


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_tui_snapshot_main_screen(project, snap_compare, size):
    async def prepare(pilot):
        await settle(pilot, pilot.app.screen)
        await pilot.press("tab", "2", "down", "right", "shift+right", "shift+right")
        await settle(pilot, pilot.app.screen)

    assert snap_compare(make_app(project), terminal_size=size, run_before=prepare)
