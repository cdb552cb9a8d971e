"""Snapshots of the main screen at the two sizes users work in (update with --snapshot-update)."""

from __future__ import annotations

import pytest

from annotator.domain.spans import Span
from tests.tui.conftest import make_app, settle


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_tui_snapshot_main_screen(project, snap_compare, size):
    async def prepare(pilot):
        await settle(pilot, pilot.app.screen)
        await pilot.press("tab", "2", "down", "right", "shift+right", "shift+right")
        await settle(pilot, pilot.app.screen)

    assert snap_compare(make_app(project), terminal_size=size, run_before=prepare)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_tui_snapshot_help(project, snap_compare, size):
    async def prepare(pilot):
        await settle(pilot, pilot.app.screen)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make_app(project), terminal_size=size, run_before=prepare)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_tui_snapshot_jump_hints(project, snap_compare, size):
    """`r`: a letter drawn over the first letter of every word in view, the text in place."""

    async def prepare(pilot):
        await settle(pilot, pilot.app.screen)
        await pilot.press("r")
        await pilot.pause()

    assert snap_compare(make_app(project), terminal_size=size, run_before=prepare)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_tui_snapshot_long_article_after_moves(tmp_path, snap_compare, size):
    """A long article after moves that scroll: the cursor and current span stay in view."""
    from annotator.store.engine import open_store
    from tests.tui.conftest import add_article

    words = "the forces village shelling province rebels regime ceasefire convoy said".split()
    lines, spans, position = [], [], 0
    for p in range(12):
        line = []
        for i in range(70):
            word = words[(p * 7 + i * 3) % len(words)]
            if i % 9 == 4:
                spans.append(Span(position, position + len(word), "LOCATION"))
            line.append(word)
            position += len(word) + 1
        lines.append(" ".join(line))
    db = tmp_path / "long.db"
    store = open_store(db)
    add_article(store, "\n".join(lines), "A long article", spans)
    store.dispose()

    async def prepare(pilot):
        await settle(pilot, pilot.app.screen)
        await pilot.press(*(["j"] * 30), "tab", "tab", "2")
        await settle(pilot, pilot.app.screen)

    assert snap_compare(make_app(db), terminal_size=size, run_before=prepare)
