from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotator.domain.editing import Change, Editor, EditRefused, apply_change, fallback_tokens
from annotator.domain.history import History
from annotator.domain.spans import Origin, Span

TEXT = "Assad forces shelled Idlib on Thursday ."


def _editor(*spans: Span) -> Editor:
    return Editor(TEXT, fallback_tokens(TEXT), spans)


def test_editing_cursor_moves_by_token_and_tracks_current_span():
    ed = _editor(Span(21, 26, "LOCATION"))
    assert ed.cursor_chars() == (0, 5) and ed.current is None
    ed.move(3)
    assert ed.cursor_chars() == (21, 26) and ed.current == Span(21, 26, "LOCATION")
    ed.move(100)
    assert ed.cursor == len(ed.tokens) - 1
    ed.move(-100)
    assert ed.cursor == 0


def test_editing_label_cursor_token_then_selection_snaps_to_tokens():
    ed = _editor()
    change = ed.label("PERSON")
    assert change.added == (Span(0, 5, "PERSON"),) and change.added[0].origin is Origin.MANUAL
    ed.move(1)
    ed.extend(1)
    assert ed.selection_chars() == (6, 20)
    ed.label("ARMED_GROUP")
    assert Span(6, 20, "ARMED_GROUP") in ed.spans and ed.selection() is None
    assert ed.current == Span(6, 20, "ARMED_GROUP")


def test_editing_label_over_existing_spans_replaces_them():
    ed = _editor(Span(0, 5, "PERSON"), Span(6, 12, "ORG"))
    ed.extend(1)  # "Assad forces"
    change = ed.label("ARMED_GROUP")
    assert set(change.removed) == {Span(0, 5, "PERSON"), Span(6, 12, "ORG")}
    assert ed.spans == [Span(0, 12, "ARMED_GROUP")]


@pytest.mark.parametrize(
    ("origin", "label", "expected"),
    [
        (Origin.SUGGESTED, "PERSON", Origin.ACCEPTED),  # same label: confirms
        (Origin.SUGGESTED, "ORG", Origin.EDITED),
        (Origin.ACCEPTED, "ORG", Origin.EDITED),
        (Origin.MANUAL, "ORG", Origin.MANUAL),
    ],
)
def test_editing_relabel_sets_origin(origin, label, expected):
    ed = _editor(Span(0, 5, "PERSON", origin))
    change = ed.label(label)
    assert change.added[0].label == label and change.added[0].origin is expected


def test_editing_confirm_and_confirm_all():
    ed = _editor(Span(0, 5, "PERSON", Origin.SUGGESTED), Span(21, 26, "LOCATION", Origin.SUGGESTED))
    ed.confirm()
    assert [s.origin for s in ed.spans] == [Origin.ACCEPTED, Origin.SUGGESTED]
    assert ed.current.origin is Origin.ACCEPTED
    change = ed.confirm_all()
    assert change.removed == (Span(21, 26, "LOCATION"),)
    assert all(s.origin is Origin.ACCEPTED for s in ed.spans)
    assert not ed.confirm_all()


def test_editing_delete_and_refusals():
    ed = _editor(Span(0, 5, "PERSON", Origin.SUGGESTED))
    ed.delete()
    assert ed.spans == [] and ed.current is None
    with pytest.raises(EditRefused):
        ed.delete()
    with pytest.raises(EditRefused):
        ed.confirm()


def test_editing_resize_by_token_and_refuse_overlap_or_empty():
    ed = _editor(Span(6, 12, "ARMED_GROUP", Origin.ACCEPTED), Span(21, 26, "LOCATION"))
    ed.move(1)
    change = ed.resize("start", -1)
    assert change.added == (Span(0, 12, "ARMED_GROUP"),) and change.added[0].origin is Origin.EDITED
    ed.resize("end", 1)
    assert ed.current == Span(0, 20, "ARMED_GROUP")
    with pytest.raises(EditRefused, match="overlap the LOCATION"):
        ed.resize("end", 1)
    with pytest.raises(EditRefused, match="edge"):
        ed.resize("start", -1)
    ed.resize("start", 2)
    with pytest.raises(EditRefused, match="at least one token"):
        ed.resize("start", 1)


def test_editing_tab_cycles_spans_and_wraps():
    ed = _editor(Span(0, 5, "PERSON"), Span(21, 26, "LOCATION"))
    assert ed.current == Span(0, 5, "PERSON")  # the cursor starts on it
    ed.next_span()
    assert ed.current == Span(21, 26, "LOCATION") and ed.cursor_chars() == (21, 26)
    ed.move_to_char(13)  # "shelled"
    ed.next_span()
    assert ed.current == Span(21, 26, "LOCATION")
    ed.next_span()
    assert ed.current == Span(0, 5, "PERSON")  # wrapped
    ed.next_span(-1)
    assert ed.current == Span(21, 26, "LOCATION")


def test_editing_mouse_selection_and_click():
    ed = _editor()
    ed.select_chars(8, 24)  # from inside "forces" to inside "Idlib"
    assert ed.selection_chars() == (6, 26)
    ed.move_to_char(28)  # inside "on"
    assert ed.cursor_chars() == (27, 29) and ed.selection() is None


def test_editing_new_tokens_keep_cursor_place():
    ed = _editor()
    ed.move_to_char(21)
    ed.set_tokens([(0, 12), (13, 20), (21, 38), (39, 40)])
    assert ed.cursor_chars() == (21, 38)


def test_editing_empty_article_is_harmless():
    ed = Editor("", [], [])
    ed.move(1)
    ed.extend(1)
    ed.next_span()
    with pytest.raises(EditRefused):
        ed.label("PERSON")


def test_history_undo_redo_replay():
    history = History()
    first = Change(added=(Span(0, 5, "PERSON"),))
    second = Change(removed=(Span(0, 5, "PERSON"),), added=(Span(0, 5, "ORG"),))
    history.record(1, first)
    history.record(2, second)
    assert history.take_undo() == (2, second.inverse())
    events = [
        (1, "edit", first.to_payload()),
        (2, "edit", second.to_payload()),
        (3, "undo", {"of": 2}),
        (4, "status", {}),
    ]
    rebuilt = History.replay(events)
    assert (rebuilt.undo, rebuilt.redo) == ([1], [2])
    assert rebuilt.take_redo() == (2, second)
    rebuilt.record(5, first)
    assert rebuilt.redo == []


spans_strategy = st.lists(
    st.builds(
        lambda a, n, label: Span(a, a + n, label),
        st.integers(0, 30),
        st.integers(1, 5),
        st.sampled_from(["A", "B"]),
    ),
    max_size=6,
    unique_by=lambda s: s.key,
)


@given(spans_strategy, spans_strategy)
def test_editing_change_inverse_restores(before, added):
    start = apply_change([], Change(added=tuple(before)))
    removed = tuple(s for s in start if s.start % 2 == 0)
    added = tuple(s for s in added if s.key not in {x.key for x in start} or s in removed)
    change = Change(removed=removed, added=added)
    after = apply_change(start, change)
    assert apply_change(after, change.inverse()) == start


def test_editor_find_looks_after_the_cursor_then_wraps_round():
    from annotator.domain.editing import Editor, fallback_tokens

    text = "Idlib and idlib again"
    editor = Editor(text, fallback_tokens(text), [])
    assert editor.find("IDLIB") == (10, 15)  # after the cursor (on the first word)
    editor.move_to_char(10)
    assert editor.find("idlib") == (0, 5)  # wrapped round
    assert editor.find("Hama") is None


origin_spans = st.lists(
    st.builds(
        lambda a, n, label, origin: Span(a, a + n, label, origin),
        st.integers(0, 30),
        st.integers(1, 5),
        st.sampled_from(["A", "B"]),
        st.sampled_from(list(Origin)),
    ),
    max_size=12,
)


def _rebuilt(spans: list[Span], change: Change) -> list[Span]:
    """A change applied the plain way: drop the removed and replaced keys, add, sort."""
    gone = {s.key for s in change.removed} | {s.key for s in change.added}
    added = {s.key: s for s in change.added}
    kept = [s for s in spans if s.key not in gone]
    return sorted(kept + list(added.values()), key=lambda s: (s.start, s.end, s.label))


@given(origin_spans, origin_spans, origin_spans)
def test_editor_apply_by_bisection_equals_rebuilding_the_list(before, removed, added):
    # The editor applies a change by bisection into its sorted spans; the result must be
    # that of rebuilding the list and sorting it, origins included.
    editor = _editor(*apply_change([], Change(added=tuple(before))))
    change = Change(removed=tuple(removed), added=tuple(added))
    expected = _rebuilt(editor.spans, change)
    editor.apply(change)
    assert [(s.key, s.origin) for s in editor.spans] == [(s.key, s.origin) for s in expected]
    for index, span in enumerate(editor.spans):
        assert editor.index_of(span) == index
    assert editor.index_of(Span(99, 100, "A")) is None
    if editor.current is not None:
        assert editor.current in editor.spans
