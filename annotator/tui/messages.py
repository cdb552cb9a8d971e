"""Messages the worker threads post back to the annotation screen (they never touch
widgets). Each names the article it is about, and the screen acts on that article only."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from annotator.domain.editing import Change
from annotator.domain.workitem import LoadedArticle


@dataclass
class ArticleLoaded(Message):
    """The database opened this article (created the annotation, seeded it)."""

    article: LoadedArticle
    note: str = ""
    ticket: int | None = None  # the request to open it (older requests' answers are ignored)


@dataclass
class NoMoreArticles(Message):
    """The queue is empty."""

    ticket: int | None = None


@dataclass
class ProgressCounted(Message):
    """Finished articles of this person and the size of their queue, as stored."""

    finished: int
    total: int


@dataclass
class SuggestionsSeeded(Message):
    """Suggestions computed in the background were put into the open annotation."""

    article_id: int
    change: Change
    tokens: list[tuple[int, int]] | None


@dataclass
class Conflict(Message):
    """Another terminal changed the annotation of ``article_id``; it must be reloaded."""

    article_id: int | None
    reason: str


@dataclass
class JobFailed(Message):
    """A job about ``article_id`` (None: the next article, or no article) failed."""

    article_id: int | None
    reason: str
    ticket: int | None = None  # set when the job was a request to open an article


@dataclass
class Target(Message):
    """Where `p` / `n` leads from article ``after``: ``article_id``, or None with a reason."""

    after: int | None
    article_id: int | None
    reason: str = ""


@dataclass
class SessionFailed(Message):
    """The database cannot be used at all; the app ends with this one-line reason."""

    reason: str


@dataclass
class Prefetched(Message):
    """The article that comes after ``after``, read ahead while the person works on it."""

    after: int
    article: LoadedArticle | None


@dataclass
class WriteStored(Message):
    """Write ``local_id`` of ``article_id`` is stored (as event ``event_id``)."""

    local_id: int
    article_id: int
    event_id: int | None
    attempts: int


@dataclass
class WriteFailing(Message):
    """An attempt at write ``local_id`` failed for a reason that may pass; it is tried again."""

    local_id: int
    article_id: int
    reason: str
    attempts: int


@dataclass
class WriteRefused(Message):
    """The database refused write ``local_id`` for good: the article must be reloaded."""

    local_id: int
    article_id: int
    reason: str
    conflict: bool = False
