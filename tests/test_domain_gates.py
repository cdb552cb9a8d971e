"""--fail-under gates: parsing measure=value and checking measured values against them."""

import math

import pytest

from annotator.domain.errors import InputError
from annotator.domain.gates import check_gates, parse_fail_under


def test_gates_parse_several_flags_and_comma_lists():
    assert parse_fail_under(["f1=0.8", "precision=0.5,recall=1"]) == {
        "f1": 0.8,
        "precision": 0.5,
        "recall": 1.0,
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("f1", "expected MEASURE=VALUE"),
        ("=0.3", "expected MEASURE=VALUE"),
        ("f1=", "expected MEASURE=VALUE"),
        ("f1=high", "'high' is not a number"),
        ("f1=1.5", "between 0 and 1"),
        ("f1=nan", "between 0 and 1"),
        ("kappa=0.5", "unknown measure 'kappa' (known: f1, precision)"),
    ],
)
def test_gates_refuse_bad_text_in_one_line(text, reason):
    with pytest.raises(InputError) as caught:
        parse_fail_under([text], known=["f1", "precision"])
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


def test_gates_pass_and_fail_with_the_first_shortfall():
    gates = parse_fail_under(["f1=0.8", "precision=0.9"])
    assert check_gates({"f1": 0.85, "precision": 0.95}, gates) is None
    assert check_gates({"f1": 0.8, "precision": 0.9}, gates) is None  # the bound itself passes
    assert check_gates({"f1": 0.7, "precision": 0.5}, gates) == "f1 = 0.7000 is under 0.8"
    assert check_gates({"f1": 0.9, "precision": 0.5}, gates) == "precision = 0.5000 is under 0.9"


@pytest.mark.parametrize("missing", [None, math.nan])
def test_gates_fail_when_a_measure_could_not_be_computed(missing):
    reason = check_gates({"f1": missing}, {"f1": 0.5})
    assert reason == "f1 could not be measured (gate: f1 >= 0.5)"
    assert check_gates({}, {"f1": 0.5}) == "f1 could not be measured (gate: f1 >= 0.5)"
