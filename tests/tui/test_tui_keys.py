"""The keys that fix many spans at once, in the real app over a real database."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.domain.spans import Origin, Span
from annotator.store.engine import open_store
from tests.tui.conftest import add_article, running, stored

pytestmark = pytest.mark.asyncio

TEXT = (
    "Shelling near Kafr Nabudah\n\n"
    "The Free Idleb Army shelled Kafr Nabudah on Tuesday. "
    "Residents of Kafr Nabudah fled to Ariha, the Free Idleb Army said."
)


def _at(words: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(words, start + 1)
    return start, start + len(words)


@pytest.fixture
def names(tmp_path: Path) -> Path:
    db = tmp_path / "keys.db"
    store = open_store(db)
    army = _at("The Free Idleb Army")
    add_article(
        store,
        TEXT,
        "Shelling near Kafr Nabudah",
        [
            Span(*army, "ORG"),
            Span(*_at("Tuesday"), "DATE"),
            Span(*_at("Kafr Nabudah", 2), "PERSON"),
        ],
    )
    store.dispose()
    return db


async def test_keys_w_selects_the_next_name_without_a_span_and_a_digit_labels_it(names):
    async with running(names) as (pilot, screen):
        await pilot.press("w")
        assert screen.editor.selection_chars() == _at("Kafr Nabudah")
        assert "no span on “Kafr Nabudah”" in screen._message
        await pilot.press("4", "w")
        assert screen.editor.selection_chars() == _at("Kafr Nabudah", 1)
        await pilot.press("W")  # back: the first capitalised word of the title
        assert screen.editor.selection_chars() == _at("Shelling")
        await pilot.press(
            "W"
        )  # wraps round to the last name without a span: "the Free Idleb Army said"
        assert screen.editor.selection_chars() == _at("Free Idleb Army", 1)
    assert Span(*_at("Kafr Nabudah"), "LOCATION") in stored(names)[1][1]


async def test_keys_e_labels_every_other_mention_and_says_so(names):
    async with running(names) as (pilot, screen):
        await pilot.press("w", "4", "e")
        assert screen._message == "labelled 2 more mentions as LOCATION"
        kafr = [(*_at("Kafr Nabudah", n), "LOCATION") for n in range(3)]
        assert {s.key for s in screen.editor.spans} >= set(kafr)
        await pilot.press("u")  # one undo takes back all of them
        assert not {s.key for s in screen.editor.spans} & set(kafr[1:])
        await pilot.press("ctrl+y")
    spans = {s.key: s for s in stored(names)[1][1]}
    assert set(kafr) <= set(spans)
    assert spans[kafr[2]].origin is Origin.EDITED  # was the PERSON suggestion
    assert (*_at("Kafr Nabudah", 2), "PERSON") not in spans


async def test_keys_b_fits_the_span_to_its_name_then_e_fixes_the_other_mention(names):
    async with running(names) as (pilot, screen):
        army = _at("The Free Idleb Army")
        fitted = _at("Free Idleb Army")
        # The merge of sources may have dropped the leading "the" already.
        for _ in range(60):
            current = screen.editor.current
            if current is not None and current.start in (army[0], fitted[0]):
                break
            await pilot.press("tab")
        else:
            pytest.fail("no span on the army's name")
        if screen.editor.current.start == army[0]:
            await pilot.press("b")
            assert screen._message == "span now “Free Idleb Army” ORG"
        assert screen.editor.current.key == (*fitted, "ORG")
        await pilot.press("2", "e")  # ARMED_GROUP, and the same for the other mention
        assert screen._message == "labelled 1 more mention as ARMED_GROUP"
    keys = {s.key for s in stored(names)[1][1]}
    assert {(*_at("Free Idleb Army", n), "ARMED_GROUP") for n in range(2)} <= keys
    assert (*army, "ORG") not in keys


async def test_keys_delete_then_e_removes_the_other_suggestions_of_those_words(tmp_path):
    text = "Ariha was hit. Ariha burned. Hama was quiet."
    db = tmp_path / "del.db"
    store = open_store(db)
    add_article(
        store, text, "t", [Span(0, 5, "PERSON"), Span(15, 20, "PERSON"), Span(29, 33, "PERSON")]
    )
    store.dispose()
    async with running(db) as (pilot, screen):
        await pilot.press("delete", "e")
        assert screen._message == "removed 1 more mention suggested as PERSON"
    assert [s.key for s in stored(db)[1][1]] == [(29, 33, "PERSON")]


async def test_keys_slash_selects_the_match_and_a_digit_labels_it(names):
    async with running(names) as (pilot, screen):
        await pilot.press("slash", *"ariha", "enter")
        assert screen.editor.selection_chars() == _at("Ariha")
        await pilot.press("4")
    assert Span(*_at("Ariha"), "LOCATION") in stored(names)[1][1]


async def test_keys_refusals_are_said_and_change_nothing(names):
    async with running(names) as (pilot, screen):
        await pilot.press("e")
        assert screen._message == "no edit yet to repeat on the other mentions"
        await pilot.press("right")  # "near": no span here
        await pilot.press("b")
        assert screen._message == "no current span to fit"
    assert len(stored(names)[1][1]) == 3
