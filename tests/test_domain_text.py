from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotator.domain.text import (
    check_name,
    content_hash,
    first_nonempty_line,
    normalise_text,
    normalise_with_offsets,
    visible,
)


def test_text_normalise_nfc_and_newlines():
    decomposed = "Cafe\u0301\r\nline\rend"
    assert normalise_text(decomposed) == "Caf\u00e9\nline\nend"


def test_text_hash_is_of_normalised_text():
    assert content_hash(normalise_text("a\r\nb")) == content_hash(normalise_text("a\nb"))
    assert content_hash("a") != content_hash("b")


@given(st.text())
def test_text_visible_keeps_length_and_removes_every_control_character(text):
    shown = visible(text)
    assert len(shown) == len(text)
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", shown)


def test_text_visible_escape_and_osc52_become_harmless():
    evil = "red \x1b[31mtext\x1b[0m and clip \x1b]52;c;aGk=\x07 tab\there"
    shown = visible(evil)
    assert "\x1b" not in shown and "\x07" not in shown and "\t" not in shown
    assert "\u241b[31m" in shown  # ESC shown as the control picture


def test_text_first_nonempty_line():
    assert first_nonempty_line("\n\n  Title here \nbody") == "Title here"
    assert first_nonempty_line("   \n") == ""


def test_text_check_name():
    assert check_name("ana") is None
    assert check_name("") is not None
    assert check_name("two words") is not None
    assert check_name("esc\x1b") is not None


@given(
    st.lists(
        st.sampled_from(["a", "e\u0301", "\r\n", "\n", "Å", "A\u030a", " ", "東"]),
        max_size=12,
    )
)
def test_text_normalise_with_offsets_moves_offsets_between_pieces(pieces):
    text = "".join(pieces)
    boundaries = [0]
    for piece in pieces:
        boundaries.append(boundaries[-1] + len(piece))
    normalised, moved = normalise_with_offsets(text, boundaries)
    assert normalised == normalise_text(text)
    # Each piece normalised alone lands exactly between the moved offsets.
    for piece, start, end in zip(pieces, boundaries, boundaries[1:], strict=False):
        assert normalised[moved[start] : moved[end]] == normalise_text(piece)


def test_text_normalise_with_offsets_refuses_an_offset_inside_a_joined_sequence():
    with pytest.raises(ValueError, match="offset 4 splits"):
        normalise_with_offsets("Cafe\u0301 au lait", [4])
    with pytest.raises(ValueError, match="offset 2 splits"):
        normalise_with_offsets("a\r\nb", [2])
    assert normalise_with_offsets("plain", [0, 5]) == ("plain", {0: 0, 5: 5})
    assert normalise_with_offsets("a\rb", [1, 2, 3]) == ("a\nb", {1: 1, 2: 2, 3: 3})
