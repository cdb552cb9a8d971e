"""The seeded, documented train/dev split of exported articles."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def train_dev_split(content_hashes: Iterable[str], fraction: float, seed: int) -> set[str]:
    """The content hashes that go to the training part; the others go to dev.

    Each article gets the key SHA-256("<seed>:<content hash>"); articles are ranked by key
    and the first round(n * fraction) are training data. The part of an article depends
    only on its text, the seed and where the cut falls, never on database ids or import
    order, so two databases holding the same articles split them the same way. When there
    are at least two articles and 0 < fraction < 1, each part gets at least one.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"split must be between 0 and 1, got {fraction}")
    unique = set(content_hashes)
    ranked = sorted(unique, key=lambda h: hashlib.sha256(f"{seed}:{h}".encode("ascii")).digest())
    count = len(ranked)
    train = round(count * fraction)
    if count >= 2 and 0.0 < fraction < 1.0:
        train = min(max(train, 1), count - 1)
    return set(ranked[:train])
