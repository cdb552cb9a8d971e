"""The input of every measure: articles with their text and each annotator's spans."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING

from annotator.domain.spans import Span

if TYPE_CHECKING:
    from annotator.audit.tokens import OffsetTokens

DocId = Hashable

# The token unit of an article without given tokens: runs of non-space characters.
WHITESPACE = "whitespace"


@dataclass(frozen=True, slots=True)
class DocAnnotations:
    """One article: its text, an optional title, and each annotator's spans of it.

    A span is a domain Span or a plain (start, end, label) tuple: the measures need no
    more, and a corpus read as tuples is read much faster. Disagreements hand back the
    spans in the form they were given. ``tokens``: the article's tokens for the
    token-level measures (an audit.tokens.OffsetTokens or (start, end) pairs), named by
    ``tokenizer``; None counts ``\\S+`` runs.
    """

    text: str
    spans: Mapping[str, Sequence[Span | tuple[int, int, str]]]
    title: str = field(default="")
    tokens: OffsetTokens | Sequence[tuple[int, int]] | None = field(default=None)
    tokenizer: str = field(default=WHITESPACE)

    @property
    def annotators(self) -> tuple[str, ...]:
        """The annotators of this article, sorted by name."""
        return tuple(sorted(self.spans))


Documents = Mapping[DocId, DocAnnotations] | Iterable[tuple[DocId, DocAnnotations]]


def iter_documents(docs: Documents) -> Iterator[tuple[DocId, DocAnnotations]]:
    """(id, document) pairs from a mapping or from an iterable of pairs (streamed as given)."""
    if isinstance(docs, Mapping):
        return iter(docs.items())
    return iter(docs)


def restrict(
    doc: DocAnnotations,
    *,
    annotators: Iterable[str] | None = None,
    labels: Iterable[str] | None = None,
) -> DocAnnotations:
    """The document with only the given annotators and only spans of the given labels
    (None keeps all). An annotator with no span left still counts: they saw the article
    and marked nothing of those labels."""
    keep_people = None if annotators is None else set(annotators)
    keep_labels = None if labels is None else set(labels)
    spans = {
        name: (
            tuple(spans)
            if keep_labels is None
            else tuple(s for s in spans if _label(s) in keep_labels)
        )
        for name, spans in doc.spans.items()
        if keep_people is None or name in keep_people
    }
    return DocAnnotations(
        text=doc.text, spans=spans, title=doc.title, tokens=doc.tokens, tokenizer=doc.tokenizer
    )


def _label(span: Span | tuple[int, int, str]) -> str:
    return span[2] if isinstance(span, tuple) else span.label


def annotator_pairs(names: Iterable[str]) -> list[tuple[str, str]]:
    """Every unordered pair of the names, each pair and the list sorted by name."""
    return list(combinations(sorted(set(names)), 2))
