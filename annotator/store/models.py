"""The database tables. The schema itself is owned by the Alembic migrations next door."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped
from sqlmodel import Field, SQLModel, col

# Named constraints, so that a future batch migration on SQLite can find and alter them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware UTC now; every timestamp is stored in UTC."""
    return datetime.now(UTC)


def key(column: int | None) -> Mapped[int]:
    """A primary key column (``Model.id``) for queries, typed as it reads from the table.

    SQLModel types ``id`` as ``int | None`` (None until the row is flushed); a stored
    row's key is never NULL, so selecting it yields ints.
    """
    return cast("Mapped[int]", col(column))


# One news article; `content_hash` (SHA-256 of the normalised text) keeps duplicates out.
class Article(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(max_length=64, unique=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    title: str = Field(default="")
    source: str = Field(default="")
    external_id: str | None = Field(default=None)
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


# A person (or a reviewer) who annotates. `synced_upto` marks the last article id already
# placed in this annotator's queue when the project serves every article to everyone.
class Annotator(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    synced_upto: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


# One annotator's work on one article (kind "annotation"), or the adjudicated gold of an
# article (kind "gold", annotator = the reviewer; at most one per article). `version` grows
# with every change so that two terminals never silently overwrite each other.
class Annotation(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("article_id", "annotator_id", "kind", name="uq_annotation_owner"),
        Index(
            "ix_annotation_gold",
            "article_id",
            unique=True,
            sqlite_where=text("kind = 'gold'"),
            postgresql_where=text("kind = 'gold'"),
        ),
        Index("ix_annotation_annotator", "annotator_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", ondelete="CASCADE")
    annotator_id: int = Field(foreign_key="annotator.id", ondelete="CASCADE")
    kind: str = Field(default="annotation", max_length=16)
    status: str = Field(default="in_progress", max_length=16, index=True)
    note: str = Field(default="")
    seeded: bool = Field(default=False)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# A labelled character range [start, end) in an annotation. `origin`: suggested (pending),
# accepted, edited or manual. `sources` is gold provenance: the annotators it came from.
class Span(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    annotation_id: int = Field(foreign_key="annotation.id", ondelete="CASCADE", index=True)
    start: int
    end: int
    label: str
    origin: str = Field(default="manual", max_length=16)
    suggestion_id: int | None = Field(default=None)
    sources: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


# A machine-proposed span from a source such as "patterns:<hash>" or "model:<name>@<ver>".
class Suggestion(SQLModel, table=True):
    __table_args__ = (Index("ix_suggestion_article_source", "article_id", "source"),)
    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", ondelete="CASCADE")
    source: str
    start: int
    end: int
    label: str
    score: float | None = Field(default=None)


# What a running annotated import brings as suggestions, until its flip moves them into
# Suggestion (see store.staging). A row without start, end and label stands for a record
# that suggested nothing on the article (the flip still replaces that source's
# suggestions there). Empty whenever no import runs.
class StagedSuggestion(SQLModel, table=True):
    __table_args__ = (
        Index("ix_stagedsuggestion_key", "article_id", "source", "start", "end", "label"),
    )
    id: int | None = Field(default=None, primary_key=True)
    article_id: int
    source: str
    start: int | None = Field(default=None)
    end: int | None = Field(default=None)
    label: str | None = Field(default=None)


# Marks that a source has processed an article (even when it found nothing), which makes
# `annotator suggest` idempotent and resumable.
class SuggestionRun(SQLModel, table=True):
    article_id: int = Field(foreign_key="article.id", ondelete="CASCADE", primary_key=True)
    source: str = Field(primary_key=True)
    count: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


# An annotator's work queue: which articles are theirs and in what order. "Next article not
# yet done by X" is the first open row by position: an index lookup, never a scan.
class QueueItem(SQLModel, table=True):
    __table_args__ = (Index("ix_queue_next", "annotator_id", "open", "position"),)
    annotator_id: int = Field(foreign_key="annotator.id", ondelete="CASCADE", primary_key=True)
    article_id: int = Field(foreign_key="article.id", ondelete="CASCADE", primary_key=True)
    position: int
    open: bool = Field(default=True)


# Token boundaries of an article under one tokenizer (e.g. "spacy:en@3.8.18"), as packed
# little-endian uint32 (start, end) pairs. The annotation screen snaps spans to these
# without importing spaCy; they are computed once, by `annotator suggest` or a worker.
class Tokens(SQLModel, table=True):
    article_id: int = Field(foreign_key="article.id", ondelete="CASCADE", primary_key=True)
    tokenizer: str = Field(primary_key=True)
    offsets: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


# Project-wide settings as JSON values (e.g. how articles are assigned to annotators).
class Setting(SQLModel, table=True):
    key: str = Field(primary_key=True)
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))


# Append-only log of every annotation action: who did what, when. It powers undo/redo,
# throughput statistics and audits; rows are never updated or deleted.
class Event(SQLModel, table=True):
    __table_args__ = (
        Index("ix_event_history", "article_id", "annotator_id", "id"),
        Index("ix_event_annotator_at", "annotator_id", "at"),
        Index("ix_event_annotation", "annotation_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    annotator_id: int | None = Field(default=None)
    article_id: int | None = Field(default=None)
    annotation_id: int | None = Field(default=None)
    action: str = Field(max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
