"""Records read from input files before they reach the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from annotator.domain.spans import Span, Status


@dataclass(slots=True)
class ArticleRecord:
    """One article as read from a file; ``where`` names its file and line for messages."""

    text: str
    title: str = ""
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    external_id: str | None = None
    where: str = ""


@dataclass(slots=True)
class AnnotatedRecord:
    """An article with one annotator's spans, as exchange formats carry it."""

    article: ArticleRecord
    spans: list[Span]
    annotator: str | None = None
    status: Status = Status.DONE
    note: str = ""
