"""Messages the worker threads post back to the annotation screen (they never touch widgets)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from annotator.domain.editing import Change
from annotator.domain.workitem import LoadedArticle


@dataclass
class ArticleLoaded(Message):
    """An article was opened (or reopened after a conflict). With ``confirms`` set, it is
    the database's view of the article already on screen from the fast start path."""

    article: LoadedArticle
    note: str = ""
    confirms: bool = False
    # Read ahead (display only): the database has not opened it yet, so edits wait.
    provisional: bool = False


@dataclass
class NoMoreArticles(Message):
    """The annotator's queue is empty."""


@dataclass
class ProgressCounted(Message):
    """Finished articles of this annotator and the size of their queue."""

    finished: int
    total: int


@dataclass
class SuggestionsSeeded(Message):
    """Suggestions computed in the background were put into the open annotation."""

    article_id: int
    change: Change
    tokens: list[tuple[int, int]] | None


@dataclass
class TokensFound(Message):
    """spaCy's token offsets for an article arrived."""

    article_id: int
    tokens: list[tuple[int, int]]


@dataclass
class Conflict(Message):
    """Another terminal changed this annotation; the screen must reload it."""

    reason: str


@dataclass
class WorkFailed(Message):
    """A background job failed; the message is for the user."""

    reason: str


@dataclass
class SessionFailed(Message):
    """The database could not be opened; the app ends with this one-line reason."""

    reason: str


@dataclass
class Prefetched(Message):
    """The article that comes next, read ahead while the annotator works on this one."""

    after: int
    article: LoadedArticle | None
