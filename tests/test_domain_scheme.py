from __future__ import annotations

from pathlib import Path

import pytest

from annotator.domain.errors import SchemeError
from annotator.domain.scheme import load_scheme, parse_scheme
from tests.conftest import REPO

LABELS = REPO / "labels"


def test_scheme_bundled_conflict_scheme_loads():
    scheme = load_scheme(LABELS / "conflict.toml")
    for name in ["PERSON", "ARMED_GROUP", "ORG", "LOCATION", "FACILITY", "WEAPON", "DATE"]:
        assert scheme.label(name) is not None
    assert scheme.by_key("1").name == "PERSON"
    assert scheme.by_key("0").name == scheme.labels[9].name
    assert scheme.patterns is not None and scheme.patterns.exists()
    assert all(label.colour.startswith("#") for label in scheme.labels)


def test_scheme_ontonotes_maps_into_conflict():
    onto = load_scheme(LABELS / "ontonotes.toml")
    conflict = load_scheme(LABELS / "conflict.toml")
    assert len(onto.labels) == 18
    mapping = onto.map_to["conflict"]
    assert mapping["GPE"] == "LOCATION" and mapping["FAC"] == "FACILITY"
    assert all(conflict.label(target) for target in mapping.values())
    assert onto.by_key("t").name == "TIME"


def _scheme(*labels: dict) -> dict:
    return {"scheme": {"name": "t"}, "labels": list(labels)}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _scheme({"name": "A", "colour": "red"}, {"name": "A", "colour": "blue"}),
            "duplicate label",
        ),
        (
            _scheme(
                {"name": "A", "colour": "red", "key": "x"},
                {"name": "B", "colour": "blue", "key": "x"},
            ),
            "duplicate hotkey",
        ),
        (_scheme({"name": "A", "colour": "bluish"}), "unknown colour 'bluish'"),
        (_scheme({"name": "A", "colour": "#12345"}), "unknown colour"),
        (_scheme({"name": "A", "colour": "red", "key": "q"}), "reserved"),
        (_scheme({"name": "A", "colour": "red", "key": "2"}), "position key of label #2"),
        (_scheme({"name": "A"}), "missing colour"),
        (_scheme({"name": "has space", "colour": "red"}), "invalid name"),
        ({"labels": [{"name": "A", "colour": "red"}]}, "missing [scheme] name"),
        ({"scheme": {"name": "t"}}, "at least one"),
        (
            {**_scheme({"name": "A", "colour": "red"}), "map_to": {"x": {"B": "A"}}},
            "unknown labels",
        ),
    ],
)
def test_scheme_invalid_is_a_clear_error(data, message):
    with pytest.raises(SchemeError, match=message.replace("[", r"\[").replace("(", r"\(")):
        parse_scheme(data, "s.toml")


def test_scheme_eleventh_label_needs_a_hotkey():
    labels = [{"name": f"L{i}", "colour": "red"} for i in range(11)]
    with pytest.raises(SchemeError, match="L10: labels after the tenth need an explicit hotkey"):
        parse_scheme({"scheme": {"name": "t"}, "labels": labels}, "s.toml")
    labels[10]["key"] = "z"
    assert (
        parse_scheme({"scheme": {"name": "t"}, "labels": labels}, "s.toml").by_key("z").name
        == "L10"
    )


def test_scheme_bad_toml_names_the_file(tmp_path: Path):
    path = tmp_path / "broken.toml"
    path.write_text("[scheme\nname=1")
    with pytest.raises(SchemeError, match=r"broken.toml: invalid TOML"):
        load_scheme(path)
