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
    """An article with one annotator's spans, as exchange formats carry it.

    ``annotator`` None means the data does not say who (the importer then decides).
    ``suggested_by`` names a machine source instead: the spans are its suggestions (Label
    Studio predictions). ``article_id`` is the stored article, set on export. ``ignored``
    says what the record held that annotator does not import (relations, other result
    types), so that the import can report it instead of dropping it silently.
    """

    article: ArticleRecord
    spans: list[Span]
    annotator: str | None = None
    status: Status = Status.DONE
    note: str = ""
    suggested_by: str | None = None
    article_id: int | None = None
    ignored: list[str] = field(default_factory=list)
