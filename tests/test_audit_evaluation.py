"""Precision, recall and F1 of suggestions (exact and relaxed), and what annotators did with
suggestions, computed by hand on small cases."""

import pytest

from annotator.audit.evaluation import Acceptance, Evaluation


def test_evaluation_exact_and_relaxed_per_label_and_overall():
    ev = Evaluation()
    reference = [(0, 5, "PERSON"), (10, 15, "LOCATION"), (20, 30, "ORG")]
    predicted = [
        (0, 5, "PERSON"),  # exact
        (10, 13, "LOCATION"),  # overlaps the reference: relaxed only
        (20, 30, "PERSON"),  # right extent, wrong label: neither
        (40, 45, "LOCATION"),  # nothing there
    ]
    ev.add(predicted, reference)
    rows = {row["label"]: row for row in ev.rows()}
    assert rows["PERSON"]["matched"] == 1 and rows["PERSON"]["predicted"] == 2
    assert rows["PERSON"]["precision"] == 0.5 and rows["PERSON"]["recall"] == 1.0
    assert rows["LOCATION"]["matched"] == 0 and rows["LOCATION"]["relaxed_matched"] == 1
    assert rows["LOCATION"]["relaxed_precision"] == 0.5
    assert rows["ORG"]["recall"] == 0.0 and rows["ORG"]["precision"] is None
    measures = ev.measures()
    assert measures["precision"] == 1 / 4 and measures["recall"] == 1 / 3
    assert measures["f1"] == pytest.approx(2 * 1 / 7)
    assert measures["relaxed_f1"] == pytest.approx(2 * 2 / 7)
    assert rows["all"]["reference"] == 3 and rows["all"]["predicted"] == 4


def test_evaluation_relaxed_matching_is_one_to_one():
    ev = Evaluation()
    # One long prediction over two reference spans matches only one of them.
    ev.add([(0, 20, "LOCATION")], [(0, 5, "LOCATION"), (10, 15, "LOCATION")])
    assert ev.measures()["relaxed_precision"] == 1.0
    assert ev.measures()["relaxed_recall"] == 0.5


def test_evaluation_of_nothing_is_undefined_not_zero():
    ev = Evaluation()
    ev.add([], [])
    assert ev.measures() == dict.fromkeys(ev.measures(), None)
    assert ev.articles == 1


def test_acceptance_counts_each_outcome_per_source_and_label():
    tally = Acceptance()
    final = [
        (0, 5, "PERSON", "accepted"),  # accepted as is
        (10, 15, "ORG", "edited"),  # was LOCATION: relabelled
        (20, 28, "LOCATION", "edited"),  # was 20-25: resized
        (40, 44, "DATE", "manual"),  # nobody suggested it
        (50, 55, "WEAPON", "manual"),  # drawn by hand where patterns had suggested it
    ]
    shown = {
        "model:m@1": [
            (0, 5, "PERSON"),
            (10, 15, "LOCATION"),
            (20, 25, "LOCATION"),
            (30, 35, "ORG"),
        ],
        "patterns:abc": [(0, 5, "PERSON"), (50, 55, "WEAPON")],
    }
    tally.add(final, shown)
    rows = {(r["source"], r["label"]): r for r in tally.rows()}
    assert rows[("model:m@1", "PERSON")]["accepted"] == 1
    assert rows[("model:m@1", "LOCATION")]["edited_label"] == 1
    assert rows[("model:m@1", "LOCATION")]["edited_extent"] == 1
    assert rows[("model:m@1", "ORG")]["deleted"] == 1
    assert rows[("patterns:abc", "WEAPON")]["accepted"] == 1
    assert tally.unsuggested == {"DATE": 1}
    model = tally.by_source()["model:m@1"]
    assert model["suggested"] == 4 and model["accepted_share"] == 0.25
    assert tally.by_source()["patterns:abc"]["accepted_share"] == 1.0
