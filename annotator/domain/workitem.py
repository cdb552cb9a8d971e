"""What the annotation screen needs to show one article: text, spans, tokens, history."""

from __future__ import annotations

from dataclasses import dataclass, field

from annotator.domain.history import History
from annotator.domain.spans import Span, Status


@dataclass
class LoadedArticle:
    """One article as one annotator sees it (blind: only their own spans and suggestions)."""

    article_id: int
    title: str
    text: str
    source: str
    annotation_id: int | None
    status: Status
    note: str
    spans: list[Span]
    # Suggestions exist for this article (else the screen computes them with spaCy).
    has_suggestions: bool
    # Token offsets cached by `annotator suggest` or a worker, or None (rough tokens meanwhile).
    tokens: list[tuple[int, int]] | None
    history: History = field(default_factory=History)
    # Review only: each annotator's spans of this article, and a line about the article.
    layers: dict[str, list[Span]] = field(default_factory=dict)
    context: str = ""
    # While ``tokens`` is None: the rough tokens (domain.editing.fallback_tokens), when
    # they were found ahead of time (the read-ahead finds them in the database thread).
    rough_tokens: list[tuple[int, int]] | None = None
