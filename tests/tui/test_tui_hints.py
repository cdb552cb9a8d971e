"""Jump hints (`r`) in the real app over a real database: letters drawn over the words in
view, typing one puts the cursor on its word, a digit labels it, escape cancels."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.domain.spans import Span
from annotator.store.engine import open_store
from tests.tui.conftest import add_article, running, screen_text, stored

pytestmark = pytest.mark.asyncio

# Markup-looking text stays data: the hints are drawn over it, never parsed.
TEXT = (
    "Shelling near [b]Kafr Nabudah[/b] and [red]Ariha\n\n"
    + " ".join(f"Village{n} reported shelling on Tuesday." for n in range(12))
    + "\n\nResidents of Sarmada fled to Ariha [link=x]today[/link]."
)


def _at(words: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(words, start + 1)
    return start, start + len(words)


@pytest.fixture
def article(tmp_path: Path) -> Path:
    db = tmp_path / "hints.db"
    store = open_store(db)
    add_article(store, TEXT, "Shelling near Kafr Nabudah", [Span(*_at("Tuesday"), "DATE")])
    store.dispose()
    return db


def _label_of(screen, start: int) -> str:
    """The hint drawn over the word that starts at ``start``."""
    tokens = screen.editor.tokens
    return next(label for label, index in screen._hints.items() if tokens[index][0] == start)


async def test_hints_jump_to_a_word_and_a_digit_labels_it(article):
    async with running(article) as (pilot, screen):
        before = screen_text(screen)
        await pilot.press("r")
        assert screen._message.startswith("jump: type the letters")
        sarmada = _at("Sarmada")
        label = _label_of(screen, sarmada[0])
        # Drawn over the word's first letters; every character of the text keeps its place.
        painted = screen_text(screen)
        assert label + "Sarmada"[len(label) :] in painted
        assert len(painted) == len(before)
        assert painted.count("[") == before.count("[") and painted.count("]") == before.count("]")
        for letter in label:
            await pilot.press(letter)
        assert screen._hints is None
        assert screen.editor.cursor_chars() == sarmada
        assert "cursor on “Sarmada”" in screen._message
        assert screen_text(screen) == before  # the hints are gone
        await pilot.press("4")
    assert Span(*sarmada, "LOCATION") in stored(article)[1][1]


async def test_hints_two_letters_narrow_then_jump_then_shift_right_takes_two_words(article):
    async with running(article) as (pilot, screen):
        await pilot.press("r")
        assert any(len(label) == 2 for label in screen._hints), "no two-letter hint: no test"
        assert any(len(label) == 1 for label in screen._hints)
        kafr = _at("Kafr")
        label = _label_of(screen, kafr[0])
        if len(label) == 1:
            # Nearest the cursor: one letter. Take a two-letter word to test narrowing.
            far = next(lab for lab in screen._hints if len(lab) == 2)
            await pilot.press(far[0])
            assert all(lab.startswith(far[0]) for _, lab in screen._hint_marks())
            assert screen._message.startswith(f"jump: “{far[0]}”")
            await pilot.press("escape")
            assert screen._hints is None and screen._message == "jump cancelled"
            await pilot.press("r")
        for letter in label:
            await pilot.press(letter)
        assert screen.editor.cursor_chars() == kafr
        await pilot.press("shift+right", "4")
    assert Span(*_at("Kafr Nabudah"), "LOCATION") in stored(article)[1][1]


async def test_hints_escape_cancels_and_other_keys_work_as_before(article):
    async with running(article) as (pilot, screen):
        cursor = screen.editor.cursor_chars()
        await pilot.press("r", "escape")
        assert screen._hints is None and screen._message == "jump cancelled"
        assert screen.editor.cursor_chars() == cursor and screen.editor.selection() is None
        await pilot.press("r", "tab")  # a priority key: the hints go, tab does its work
        assert screen._hints is None
        assert screen.editor.current is not None and screen.editor.current.label == "DATE"
        await pilot.press("r", "space")  # not a hint letter: hints go, space confirms
        assert screen._hints is None
    spans = stored(article)[1][1]
    assert [s.origin.value for s in spans if s.label == "DATE"] == ["accepted"]


async def test_hints_typed_while_the_article_opens_wait_with_their_letters(article):
    import threading

    from annotator.domain.lifecycle import Phase
    from tests.tui.conftest import settle
    from tests.tui.test_tui_lifecycle import HeldSession, app_for

    gate = threading.Event()  # the database opens the article only once it is set
    app = app_for(article, lambda: HeldSession(open_store(article), "ana", gate))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.pause()
        assert screen.life.phase is Phase.PREVIEW
        sarmada = _at("Sarmada")
        found = screen.hint_targets()
        label = next(k for k, i in found.items() if screen.editor.tokens[i][0] == sarmada[0])
        # shift+right selects at once; 7 is an edit, so it waits, and every key behind it.
        await pilot.press("shift+right", "7")
        await pilot.press("r", *label, "4")
        assert len(screen.life.waiting) == 3  # 7, r (its letters wait with it), 4
        assert screen._hints is None  # nothing is jumped to before the article is open
        gate.set()
        await settle(pilot, screen)
        assert screen.life.phase is Phase.OPEN and screen.life.waiting == []
        assert screen._hints is None and screen.editor.cursor_chars() == sarmada
    spans = stored(article)[1][1]
    assert Span(*sarmada, "LOCATION") in spans
    assert Span(0, len("Shelling near"), "DATE") in spans  # the edit that waited
