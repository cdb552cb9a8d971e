"""Jump hints: short letter labels for the words in view, so that typing a label puts the
cursor on its word (in the spirit of vim-easymotion).

Pure functions over tokens. Labels are prefix-free (no label is the start of another), so
the letters typed so far always say whether a word is reached, may still be, or cannot
be. The words nearest the cursor get one letter, the others two.
"""

from __future__ import annotations

from collections.abc import Sequence

# Home row first, then the rows above and below: the letters easiest to type come first.
ALPHABET = "asdfghjklqwertyuiopzxcvbnm"


def labels(count: int, alphabet: str = ALPHABET) -> list[str]:
    """``count`` prefix-free labels, shortest first: single letters while they suffice,
    else as few letters as needed kept back as the first of two-letter labels. At most
    len(alphabet) ** 2 labels."""
    size = len(alphabet)
    count = max(0, min(count, size * size))
    if count <= size:
        return list(alphabet[:count])
    # k letters open two-letter labels: (size - k) single + k * size double >= count.
    k = -(-(count - size) // (size - 1))
    singles = list(alphabet[: size - k])
    doubles = [a + b for a in alphabet[size - k :] for b in alphabet]
    return (singles + doubles)[:count]


def targets(
    text: str, tokens: Sequence[tuple[int, int]], first: int, last: int, cursor: int
) -> dict[str, int]:
    """Label -> token index for the words (tokens opening with a letter or digit) that
    start within characters [first, last]: nearest the cursor token first, so those get
    the single letters. A label is drawn over its word's first letters, so a word shorter
    than the label it would get is left without one."""
    words = [
        i
        for i, (start, end) in enumerate(tokens)
        if first <= start <= last and end > start and text[start].isalnum()
    ]
    words.sort(key=lambda i: (abs(i - cursor), i))
    given: dict[str, int] = {}
    pool = labels(len(words))
    at = 0
    for index in words:
        if at >= len(pool):
            break
        start, end = tokens[index]
        if len(pool[at]) > end - start:
            continue  # a one-letter word where only two-letter labels are left
        given[pool[at]] = index
        at += 1
    return given


def narrowed(hints: dict[str, int], typed: str) -> dict[str, int]:
    """The hints that the letters ``typed`` so far may still reach."""
    return {label: index for label, index in hints.items() if label.startswith(typed)}
