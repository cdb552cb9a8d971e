from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from annotator.domain.text import (
    check_name,
    content_hash,
    first_nonempty_line,
    normalise_text,
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
