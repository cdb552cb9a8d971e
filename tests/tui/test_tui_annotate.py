from __future__ import annotations

import pytest

from annotator.domain.spans import Origin, Span
from tests.tui.conftest import ARTICLE_ONE, running, screen_text, settle, stored

pytestmark = pytest.mark.asyncio


async def test_tui_opens_first_article_with_suggestions_shown(project):
    async with running(project) as (pilot, screen):
        assert screen.loaded.title == "Shelling in Idlib"
        assert [s.origin for s in screen.editor.spans] == [Origin.SUGGESTED] * 3
        shown = screen_text(screen)
        assert "Assad·PERSON? forces" in shown and "Idlib·LOCATION?" in shown
    # opening created the annotation, in progress, with the suggestions as pending spans
    status, spans = stored(project)[1]
    assert status == "in_progress" and len(spans) == 3


async def test_tui_tab_and_shift_tab_move_the_current_span(project):
    async with running(project) as (pilot, screen):
        assert screen.editor.current == Span(0, 5, "PERSON")  # cursor starts on it
        await pilot.press("tab")
        assert screen.editor.current == Span(21, 26, "LOCATION")
        await pilot.press("tab", "tab")
        assert screen.editor.current == Span(0, 5, "PERSON")  # wrapped
        await pilot.press("shift+tab")
        assert screen.editor.current == Span(30, 38, "DATE")


async def test_tui_arrow_and_vim_keys_move_the_cursor(project):
    async with running(project) as (pilot, screen):
        await pilot.press("right", "l")
        assert screen.editor.cursor_chars() == (13, 20)  # "shelled"
        await pilot.press("left", "h", "h")
        assert screen.editor.cursor == 0
        await pilot.press("down")
        assert ARTICLE_ONE[slice(*screen.editor.cursor_chars())] == "The"
        await pilot.press("up")
        assert screen.editor.cursor == 0


async def test_tui_selection_then_digit_creates_a_snapped_span(project):
    async with running(project) as (pilot, screen):
        await pilot.press("down", "right", "shift+right", "shift+right")  # "Syrian Civil Defence"
        assert screen.editor.selection_chars() == (44, 64)
        await pilot.press("3")
        assert Span(44, 64, "ORG") in screen.editor.spans
        assert "Syrian Civil Defence·ORG" in screen_text(screen)
    spans = stored(project)[1][1]
    assert Span(44, 64, "ORG") in spans
    assert next(s for s in spans if s.key == (44, 64, "ORG")).origin is Origin.MANUAL


async def test_tui_digit_on_current_span_relabels_or_confirms(project):
    async with running(project) as (pilot, screen):
        await pilot.press("1")  # PERSON suggestion, same label: confirms
        await pilot.press("tab", "2")  # LOCATION suggestion relabelled ARMED_GROUP: edited
    spans = {s.key: s for s in stored(project)[1][1]}
    assert spans[(0, 5, "PERSON")].origin is Origin.ACCEPTED
    assert spans[(21, 26, "ARMED_GROUP")].origin is Origin.EDITED
    assert (21, 26, "LOCATION") not in spans


async def test_tui_space_confirms_and_shift_a_confirms_all(project):
    async with running(project) as (pilot, screen):
        await pilot.press("space")
        assert screen.editor.spans[0].origin is Origin.ACCEPTED
        assert [s.origin for s in stored(project)[1][1]].count(Origin.ACCEPTED) == 1
        await pilot.press("A")
    assert all(s.origin is Origin.ACCEPTED for s in stored(project)[1][1])


@pytest.mark.parametrize("key", ["delete", "backspace"])
async def test_tui_delete_removes_and_suggestion_stays_removed(project, key):
    async with running(project) as (pilot, screen):
        await pilot.press(key)
        assert Span(0, 5, "PERSON") not in screen.editor.spans
    assert (0, 5, "PERSON") not in {s.key for s in stored(project)[1][1]}
    async with running(project) as (pilot, screen):  # reopened: not seeded again
        assert Span(0, 5, "PERSON") not in screen.editor.spans
        assert len(screen.editor.spans) == 2


async def test_tui_brackets_resize_the_current_span(project):
    async with running(project) as (pilot, screen):
        await pilot.press("right_curly_bracket")  # end one token right: "Assad forces"
        assert screen.editor.current == Span(0, 12, "PERSON")
        await pilot.press("right_square_bracket")  # start one token right: "forces"
        assert screen.editor.current == Span(6, 12, "PERSON")
        await pilot.press("left_square_bracket", "left_curly_bracket")
        assert screen.editor.current == Span(0, 5, "PERSON")
        await pilot.press("left_square_bracket")  # at the edge of the text: refused, said
        assert "edge" in screen._message
        await pilot.press("left_curly_bracket")  # would leave no token: refused
        assert "at least one token" in screen._message
        assert screen.editor.current == Span(0, 5, "PERSON")
    spans = {s.key: s for s in stored(project)[1][1]}
    assert spans[(0, 5, "PERSON")].origin is Origin.EDITED


async def test_tui_a_marks_done_accepts_suggestions_and_opens_next(project):
    async with running(project) as (pilot, screen):
        await pilot.press("delete", "a")
        await settle(pilot, screen)
        assert screen.loaded.article_id == 2
        assert screen.loaded.title == "Troops enter Sarmada"
    status, spans = stored(project)[1]
    assert status == "done"
    assert spans == [Span(21, 26, "LOCATION"), Span(30, 38, "DATE")]
    assert all(s.origin is Origin.ACCEPTED for s in spans)


async def test_tui_s_skips_and_f_flags_with_a_note(project):
    async with running(project) as (pilot, screen):
        await pilot.press("s")
        await settle(pilot, screen)
        assert screen.loaded.article_id == 2
        await pilot.press("f")
        await pilot.press(*"no [b]source[/b]")
        await pilot.press("enter")
        await settle(pilot, screen)
        assert screen.loaded.article_id == 3
    rows = stored(project)
    assert rows[1][0] == "skipped" and rows[2][0] == "flagged"
    from annotator.store.engine import open_store
    from annotator.store.models import Annotation

    store = open_store(project)
    with store.read() as session:
        assert session.get(Annotation, 2).note == "no [b]source[/b]"


async def test_tui_flag_dialog_escape_cancels(project):
    async with running(project) as (pilot, screen):
        await pilot.press("f", "x", "escape")
        await settle(pilot, screen)
        assert screen.loaded.article_id == 1
    assert stored(project)[1][0] == "in_progress"


async def test_tui_undo_redo_survive_a_restart(project):
    async with running(project) as (pilot, screen):
        await pilot.press("delete", "tab", "7")  # delete PERSON, relabel LOCATION as DATE
        await pilot.press("u")
        assert Span(21, 26, "LOCATION") in screen.editor.spans
        await pilot.press("ctrl+y")
        assert Span(21, 26, "DATE") in screen.editor.spans
        await pilot.press("ctrl+z")
    assert (21, 26, "LOCATION") in {s.key for s in stored(project)[1][1]}
    async with running(project) as (pilot, screen):  # a new process would see the same log
        await pilot.press("u")  # undoes the delete done in the earlier session
        assert Span(0, 5, "PERSON") in screen.editor.spans
        await pilot.press("ctrl+y", "ctrl+y")  # redo delete, then the relabel
        assert Span(0, 5, "PERSON") not in screen.editor.spans
        assert Span(21, 26, "DATE") in screen.editor.spans
        await pilot.press("ctrl+y")
        assert screen._message == "nothing to redo"
    assert {s.key for s in stored(project)[1][1]} == {(21, 26, "DATE"), (30, 38, "DATE")}


async def test_tui_p_and_n_walk_the_history(project):
    async with running(project) as (pilot, screen):
        await pilot.press("a")
        await settle(pilot, screen)
        await pilot.press("a")
        await settle(pilot, screen)
        assert screen.loaded.article_id == 3
        await pilot.press("p")
        await settle(pilot, screen)
        assert screen.loaded.article_id == 2
        await pilot.press("p")
        await settle(pilot, screen)
        assert screen.loaded.article_id == 1 and screen.loaded.status.value == "done"
        await pilot.press("p")
        await settle(pilot, screen)
        assert "no earlier article" in screen._message
        await pilot.press("n")
        await settle(pilot, screen)
        assert screen.loaded.article_id == 2


async def test_tui_find_selects_the_match(project):
    async with running(project) as (pilot, screen):
        await pilot.press("slash", *"civil defence", "enter")
        await pilot.pause()
        assert screen.editor.selection_chars() == (51, 64)
        await pilot.press("3")
        assert Span(51, 64, "ORG") in screen.editor.spans
        await pilot.press("slash", *"nowhere", "enter")
        await pilot.pause()
        assert "not in this article" in screen._message


async def test_tui_help_lists_every_binding(project):
    async with running(project, size=(80, 24)) as (pilot, screen):
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = screen.app.screen
        keys = help_screen.query_one("#help-keys").content
        from rich.console import Console

        console = Console(width=76, record=True)
        console.print(keys)
        text = console.export_text()
        for needle in [
            "tab",
            "shift",
            "1..9",
            "space",
            "A (shift+a)",
            "delete",
            "[",
            "{",
            "escape",
            "a  ",
            "s  ",
            "f  ",
            "u / ctrl+z",
            "ctrl+y",
            "p / n",
            "/",
            "?",
            "q",
        ]:
            assert needle in text, needle
        assert "across restarts" in text  # long descriptions wrap instead of being cut
        labels = Console(width=76, record=True)
        labels.print(help_screen.query_one("#help-labels").content)
        label_text = labels.export_text()
        for label in screen.scheme.labels:
            assert label.name in label_text
        await pilot.press("escape")
        await pilot.pause()
        assert screen.app.screen is screen


async def test_tui_q_quits_after_every_write_landed(project):
    async with running(project) as (pilot, screen):
        await pilot.press("delete", "q")
        await pilot.pause(0.5)
        assert not screen.app.is_running or screen.app._exit
    assert (0, 5, "PERSON") not in {s.key for s in stored(project)[1][1]}


async def test_tui_mouse_click_and_drag(project):
    async with running(project) as (pilot, screen):
        from annotator.tui.widgets.article import Paragraph

        first = screen.query(Paragraph).first()
        # "Assad·PERSON? forces shelled Idlib": "shelled" starts at cell 21 (tag included)
        await pilot.click(first, offset=(23, 0))
        assert screen.editor.cursor_chars() == (13, 20)
        await pilot.mouse_down(first, offset=(14, 0))  # "forces"
        await pilot.mouse_up(first, offset=(23, 0))  # "shelled"
        await pilot.pause()
        assert screen.editor.selection_chars() == (6, 20)


async def test_tui_two_terminals_same_annotator_conflict_is_detected(project):
    async with running(project) as (pilot, screen):
        async with running(project) as (pilot2, screen2):
            await pilot2.press("delete")  # the other terminal removes PERSON
            await settle(pilot2, screen2)
        await pilot.press("tab", "2")  # this one relabels LOCATION: stale, must not overwrite
        await settle(pilot, screen)
        assert "another terminal" in screen._message
        assert Span(0, 5, "PERSON") not in screen.editor.spans  # reloaded: shows the other's work
        assert Span(21, 26, "LOCATION") in screen.editor.spans
    keys = {s.key for s in stored(project)[1][1]}
    assert (0, 5, "PERSON") not in keys and (21, 26, "LOCATION") in keys


async def test_tui_annotators_are_blind_to_each_other(project):
    async with running(project, annotator="ana") as (pilot, screen):
        await pilot.press("down", "right", "shift+right", "shift+right", "3", "delete")
    async with running(project, annotator="bob") as (pilot, screen):
        assert screen.loaded.article_id == 1
        assert Span(44, 64, "ORG") not in screen.editor.spans
        assert len(screen.editor.spans) == 3  # bob sees the machine suggestions, not ana's work


async def test_tui_scheme_letter_hotkeys(project):
    async with running(project, scheme="ontonotes") as (pilot, screen):
        await pilot.press("right", "right", "right", "right", "right")  # "Thursday"
        await pilot.press("t")  # TIME in the ontonotes scheme
        assert screen.editor.current.label == "TIME"


async def test_tui_second_annotator_edits_are_stored(project):
    """Annotation ids differ from article ids for anyone but the first annotator."""
    async with running(project, annotator="ana") as (pilot, screen):
        await pilot.press("a")
        await settle(pilot, screen)
    async with running(project, annotator="bob") as (pilot, screen):
        assert screen.loaded.article_id == 1 and screen.loaded.annotation_id != 1
        await pilot.press("delete", "tab", "2")
        await settle(pilot, screen)
        assert "another terminal" not in screen._message
        await pilot.press("a")
        await settle(pilot, screen)
    keys = {s.key for s in stored(project, "bob")[1][1]}
    assert (0, 5, "PERSON") not in keys and (21, 26, "ARMED_GROUP") in keys
    assert stored(project, "bob")[1][0] == "done"


async def test_tui_next_article_shows_at_once_from_the_read_ahead(project):
    import time as clock

    async with running(project) as (pilot, screen):
        assert screen.life.ahead is not None and screen.life.ahead.article_id == 2
        # Keep the database thread busy: the next article must appear anyway.
        screen.db.submit(lambda session: clock.sleep(0.8))
        await pilot.press("a")
        await pilot.pause()
        assert screen.loaded.article_id == 2 and screen.loaded.title == "Troops enter Sarmada"
        await pilot.press("tab")  # moving needs no database
        assert screen.editor.current is not None and screen.editor.current.label == "LOCATION"
        await pilot.press("delete")  # the database has not opened it yet: the key waits
        assert len(screen.life.waiting) == 1
        assert "1 key waits" in screen.query_one("#info").visual.plain
        assert (23, 30, "LOCATION") in {s.key for s in screen.editor.spans}
        await settle(pilot, screen)  # opened: the waiting key is applied, and stored
        assert (23, 30, "LOCATION") not in {s.key for s in screen.editor.spans}
    rows = stored(project)
    assert rows[1][0] == "done"
    assert (23, 30, "LOCATION") not in {s.key for s in rows[2][1]}


async def test_tui_click_on_a_wrapped_line_finds_the_word(project):
    """Clicks are mapped through the same line breaks Textual draws (narrow terminal)."""
    async with running(project, size=(40, 24)) as (pilot, screen):
        from annotator.tui.widgets.article import Paragraph

        second = list(screen.query(Paragraph))[1]  # "The Syrian Civil Defence·ORG? counted 12 ..."
        lines = (
            second.visual.wrap(second.content_region.width)
            if hasattr(second.visual, "wrap")
            else None
        )
        assert lines is not None and len(lines) >= 2  # it wraps at this width
        row1 = lines[1].plain
        word = row1.split()[0]
        await pilot.click(second, offset=(row1.index(word) + 1, 1))
        start, end = screen.editor.cursor_chars()
        assert screen.editor.text[start:end] == word.split("·")[0].rstrip(",.")
