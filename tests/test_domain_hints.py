"""Jump hint labels: prefix-free, shortest for the words nearest the cursor."""

from __future__ import annotations

import pytest

from annotator.domain import hints
from annotator.domain.editing import fallback_tokens


@pytest.mark.parametrize("count", [0, 1, 26, 27, 60, 300, 676, 1000])
def test_hints_labels_are_prefix_free_and_as_many_as_asked(count):
    labels = hints.labels(count)
    assert len(labels) == min(count, 676) == len(set(labels))
    assert all(1 <= len(label) <= 2 for label in labels)
    assert not any(a != b and b.startswith(a) for a in labels for b in labels)
    # as many single letters as the count leaves room for: one more would not do
    singles = sum(len(label) == 1 for label in labels)
    if 26 < count <= 676:
        assert (singles + 1) + (26 - singles - 1) * 26 < count


def test_hints_targets_nearest_words_get_one_letter_and_short_words_no_two():
    text = " ".join(["a"] + [f"w{n}" for n in range(40)] + ["b"])
    tokens = fallback_tokens(text)
    given = hints.targets(text, tokens, 0, len(text), cursor=20)
    by_token = {index: label for label, index in given.items()}
    assert len(by_token[20]) == 1 and len(by_token[19]) == 1
    # "a" and "b" are one letter, far from the cursor: only two-letter labels were left
    assert 0 not in by_token and len(tokens) - 1 not in by_token
    assert hints.narrowed(given, "z") == {k: v for k, v in given.items() if k.startswith("z")}


def test_hints_targets_only_words_in_the_range_and_never_punctuation():
    text = "Idlib, [Ariha] and Sarmada."
    tokens = fallback_tokens(text)
    given = hints.targets(text, tokens, text.index("Ariha"), text.index("and"), cursor=0)
    words = {text[tokens[i][0] : tokens[i][1]] for i in given.values()}
    assert words <= {"Ariha", "and", "Ariha]", "[Ariha]"} and words
    assert all(text[tokens[i][0]].isalnum() for i in given.values())
