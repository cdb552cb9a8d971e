"""The editor's keys that fix many spans at once: names, mentions, fitting a span."""

from __future__ import annotations

import pytest

from annotator.domain.editing import Change, Editor, EditRefused, fallback_tokens
from annotator.domain.spans import Origin, Span

TEXT = (
    "The Free Idleb Army shelled Kafr Nabudah on Tuesday.\n\n"
    "Fighters of Hay'at Tahrir al-Sham and al-Nusra Front left Kafr Nabudah. "
    "Free Idleb Army units entered Kafr Nabudah Countryside."
)


def _editor(*spans: Span) -> Editor:
    return Editor(TEXT, fallback_tokens(TEXT), spans)


def _at(words: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(words, start + 1)
    return start, start + len(words)


def _words(ed: Editor, chars: tuple[int, int] | None) -> str:
    assert chars is not None
    return TEXT[chars[0] : chars[1]]


def test_names_runs_join_particles_and_hyphens_and_skip_sentence_openers():
    ed = _editor()
    runs = [TEXT[ed.tokens[a][0] : ed.tokens[b][1]] for a, b in ed.name_runs()]
    assert runs == [
        "Free Idleb Army",  # "The" opens the sentence: not part of the name
        "Kafr Nabudah",
        "Tuesday",
        "Fighters",
        "Hay'at Tahrir al-Sham",
        "al-Nusra Front",
        "Kafr Nabudah",
        "Free Idleb Army",
        "Kafr Nabudah Countryside",
    ]


def test_names_never_run_across_a_line_break():
    text = "fighters in Idleb\n\nOpposition groups"
    ed = Editor(text, fallback_tokens(text), [])
    assert [text[ed.tokens[a][0] : ed.tokens[b][1]] for a, b in ed.name_runs()] == [
        "Idleb",
        "Opposition",
    ]


def test_names_next_candidate_selects_uncovered_names_in_turn_and_wraps():
    ed = _editor(Span(*_at("Kafr Nabudah"), "LOCATION"), Span(*_at("Tuesday"), "DATE"))
    assert _words(ed, ed.next_candidate()) == "Free Idleb Army"
    assert _words(ed, ed.selection_chars()) == "Free Idleb Army"  # a digit labels it
    assert ed.label("ARMED_GROUP").added == (Span(*_at("Free Idleb Army"), "ARMED_GROUP"),)
    # covered names are passed over
    assert _words(ed, ed.next_candidate()) == "Fighters"
    assert _words(ed, ed.next_candidate(-1)) == "Kafr Nabudah Countryside"  # wraps back
    assert _words(ed, ed.next_candidate()) == "Fighters"  # wraps forward


def test_names_next_candidate_refused_when_every_name_has_a_span():
    text = "Idleb and Hama"
    ed = Editor(text, fallback_tokens(text), [Span(0, 5, "LOCATION"), Span(10, 14, "LOCATION")])
    with pytest.raises(EditRefused, match="no capitalised name"):
        ed.next_candidate()


def test_names_fit_drops_the_and_grows_to_the_whole_name():
    ed = _editor(Span(0, 19, "ORG", Origin.SUGGESTED))  # "The Free Idleb Army"
    ed.goto_span(ed.spans[0])
    change = ed.fit()
    assert change.added == (Span(*_at("Free Idleb Army"), "ORG"),)
    assert change.added[0].origin is Origin.EDITED
    inner = _at("Sham")
    ed2 = _editor(Span(*inner, "ARMED_GROUP"))
    ed2.goto_span(ed2.spans[0])
    assert ed2.fit().added == (Span(*_at("Hay'at Tahrir al-Sham"), "ARMED_GROUP"),)


def test_names_fit_replaces_spans_inside_and_refuses_crossing_ones():
    idleb = _at("Idleb")
    ed = _editor(Span(*_at("Free"), "ARMED_GROUP"), Span(*idleb, "LOCATION"))
    ed.goto_span(ed.spans[0])
    change = ed.fit()
    assert set(change.removed) == {Span(*_at("Free"), "ARMED_GROUP"), Span(*idleb, "LOCATION")}
    assert ed.spans == [Span(*_at("Free Idleb Army"), "ARMED_GROUP")]
    crossing = _editor(Span(*_at("Free"), "ARMED_GROUP"), Span(idleb[0], idleb[1] + 13, "LOCATION"))
    crossing.goto_span(crossing.spans[0])
    with pytest.raises(EditRefused, match="overlap"):
        crossing.fit()


def test_names_fit_cuts_a_span_at_its_line_break():
    text = "near Idleb Countryside\n\nOpposition fighters"
    ed = Editor(text, fallback_tokens(text), [Span(5, 34, "LOCATION", Origin.SUGGESTED)])
    ed.goto_span(ed.spans[0])
    assert ed.fit().added == (Span(5, 22, "LOCATION"),)


def test_mentions_label_every_other_occurrence_the_same():
    kafr = [_at("Kafr Nabudah", n) for n in range(3)]
    ed = _editor(
        Span(*kafr[1], "PERSON", Origin.SUGGESTED),  # same words, wrong label: relabelled
        Span(*_at("Nabudah", 2), "LOCATION", Origin.SUGGESTED),  # inside a longer name
    )
    ed.move_to_char(kafr[0][0])
    ed.extend(1)
    first = ed.label("LOCATION")
    change = ed.every_mention(first)
    assert change.added == (Span(*kafr[1], "LOCATION"), Span(*kafr[2], "LOCATION"))
    assert change.added[0].origin is Origin.EDITED  # was a suggestion of another label
    assert change.added[1].origin is Origin.MANUAL
    # the shorter suggestion inside the third mention gave way to it
    assert set(change.removed) == {Span(*kafr[1], "PERSON"), Span(*_at("Nabudah", 2), "LOCATION")}
    assert [s.key for s in ed.spans] == [(*k, "LOCATION") for k in kafr]


def test_mentions_leave_occurrences_inside_a_longer_span_alone():
    long = _at("Kafr Nabudah Countryside")
    ed = _editor(Span(*long, "LOCATION"))
    ed.move_to_char(_at("Kafr Nabudah")[0])
    ed.extend(1)
    made = ed.label("LOCATION")
    change = ed.every_mention(made)
    assert Span(*_at("Kafr Nabudah", 1), "LOCATION") in change.added
    assert Span(*long, "LOCATION") in ed.spans  # untouched
    assert Span(*_at("Kafr Nabudah", 2), "LOCATION") not in ed.spans


def test_mentions_repeat_a_boundary_fix_on_the_same_wrong_spans():
    text = "the Army left. the Army came. Army units, the Army of the South."
    ed = Editor(
        text,
        fallback_tokens(text),
        [
            Span(0, 8, "ORG", Origin.SUGGESTED),  # "the Army"
            Span(15, 23, "ORG", Origin.SUGGESTED),  # "the Army": the same wrong span
            Span(42, 64, "ORG", Origin.SUGGESTED),  # "the Army of the South": another one
        ],
    )
    ed.goto_span(ed.spans[0])
    fix = ed.fit()
    change = ed.every_mention(fix)
    # fixed the same way where the suggestion was the same; the bare "Army" gets one too;
    # the mention inside the longer suggestion is left alone
    assert change.added == (Span(19, 23, "ORG"), Span(30, 34, "ORG"))
    assert change.added[0].origin is Origin.EDITED and change.added[1].origin is Origin.MANUAL
    assert [s.key for s in ed.spans] == [
        (4, 8, "ORG"),
        (19, 23, "ORG"),
        (30, 34, "ORG"),
        (42, 64, "ORG"),
    ]


def test_mentions_removing_a_suggestion_removes_its_other_suggestions_only():
    kafr = [_at("Kafr Nabudah", n) for n in range(3)]
    ed = _editor(
        Span(*kafr[0], "PERSON", Origin.SUGGESTED),
        Span(*kafr[1], "PERSON", Origin.SUGGESTED),
        Span(*kafr[2], "PERSON", Origin.ACCEPTED),  # confirmed work stays
        Span(*_at("Tuesday"), "PERSON", Origin.SUGGESTED),  # other words stay
    )
    ed.goto_span(ed.spans[0])
    removed = ed.delete()
    change = ed.every_mention(removed)
    assert change.removed == (Span(*kafr[1], "PERSON"),) and not change.added
    assert {s.key for s in ed.spans} == {(*kafr[2], "PERSON"), (*_at("Tuesday"), "PERSON")}


def test_mentions_refused_without_one_span_to_repeat():
    ed = _editor(Span(*_at("Tuesday"), "DATE"))
    with pytest.raises(EditRefused, match="not one span"):
        ed.every_mention(Change())
    with pytest.raises(EditRefused, match="no other mention"):
        ed.every_mention(Change(added=(Span(*_at("Tuesday"), "DATE"),)))
    with pytest.raises(EditRefused, match="gone"):
        ed.every_mention(Change(added=(Span(*_at("Free"), "DATE"),)))
