"""Article text, titles, labels and notes are never markup, and never reach the terminal raw."""

from __future__ import annotations

import pytest

from annotator.store.engine import open_store
from tests.tui.conftest import add_article, running, screen_text

pytestmark = pytest.mark.asyncio

EVIL_TITLE = "[bold red]Title[/] \x1b]0;pwned\x07"
EVIL_TEXT = (
    "Plain [b]bold[/b] and [@click=app.quit]quit[/] here, an unmatched [ bracket.\n"
    "Red \x1b[31mESC\x1b[0m and clipboard \x1b]52;c;aGVsbG8=\x07 and bell\x07 and tab\tend.\n"
    "Bidi \u202eevil\u202c and C1 \x9b31m done."
)


@pytest.fixture
def evil(tmp_path):
    db = tmp_path / "evil.db"
    store = open_store(db)
    add_article(store, EVIL_TEXT, EVIL_TITLE)
    store.dispose()
    return db


async def test_tui_markup_in_articles_shows_literally_and_runs_nothing(evil):
    async with running(evil) as (pilot, screen):
        shown = screen_text(screen)
        assert "[b]bold[/b]" in shown
        assert "[@click=app.quit]quit[/]" in shown
        assert "unmatched [ bracket" in shown
        # Click right on the would-be action: the app must still be running afterwards.
        from annotator.tui.widgets.article import Paragraph

        first = screen.query(Paragraph).first()
        await pilot.click(first, offset=(shown.index("quit[/]") + 1, 0))
        await pilot.pause()
        assert screen.app.is_running and not screen.app._exit
        # Label the markup-looking word: the span covers the literal characters.
        await pilot.press("3")
        start, end = screen.editor.current.start, screen.editor.current.end
        assert EVIL_TEXT[start:end] in EVIL_TEXT


async def test_tui_control_characters_are_made_visible_not_sent(evil):
    async with running(evil) as (pilot, screen):
        shown = screen_text(screen)
        for raw in ["\x1b", "\x07", "\t", "\u202e", "\x9b"]:
            assert raw not in shown, repr(raw)
        assert "\u241b[31mESC" in shown  # ESC drawn as a visible symbol
        assert "\u241b]52;c;aGVsbG8=\u2407" in shown  # the OSC 52 clipboard write, inert
        # What the terminal would receive: render the whole screen and look for raw ESC
        # sequences other than Textual's own styling (CSI ... m / cursor moves).
        from rich.console import Console

        console = Console(record=True, width=120, force_terminal=True, color_system="truecolor")
        console.print(screen._compositor.render_update(full=True))
        output = console.export_text(styles=True)
        assert "\x1b]52" not in output and "\x1b]0;pwned" not in output
        assert "\x07" not in output
        top = str(screen.query_one("#top").visual)
        assert "[bold red]Title[/]" in top and "\x1b" not in top


async def test_tui_notes_with_markup_round_trip(evil):
    async with running(evil) as (pilot, screen):
        await pilot.press("f", *"[red]see[/red]", "enter")
    store = open_store(evil)
    from annotator.store.models import Annotation

    with store.read() as session:
        assert session.get(Annotation, 1).note == "[red]see[/red]"
