"""spaCy's tokenizer for exports: blank pipelines by language, and token offsets of a text."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from annotator.domain.errors import InputError

if TYPE_CHECKING:
    from spacy.language import Language

Tokenize = Callable[[str], list[tuple[int, int]]]


@functools.lru_cache(maxsize=4)
def blank(lang: str) -> Language:
    """A blank spaCy pipeline (its tokenizer, no model) for ``lang``, built once per process."""
    import spacy

    try:
        return spacy.blank(lang)
    except (ImportError, KeyError, ValueError):
        raise InputError(
            f"spaCy has no language {lang!r} (use a code such as en, es, de, xx)"
        ) from None


def token_offsets(lang: str) -> Tokenize:
    """A function giving the (start, end) character offsets of spaCy's tokens of a text."""
    tokenizer = blank(lang).tokenizer

    def tokenize(text: str) -> list[tuple[int, int]]:
        return [(token.idx, token.idx + len(token)) for token in tokenizer(text)]

    return tokenize
