"""The life of the article on the annotation screen, as plain state with named phases.

What the screen shows can come from three places: the fast start path (read with the
stdlib before SQLAlchemy is imported), the read-ahead of the next article, or the
database itself. Only once the database has opened an article (created the annotation,
put the suggestions in) can an edit be stored. This object says, at every moment, which
of these the screen is in, which keys wait, which writes are not stored yet and what the
person must be told. It has no Textual in it, so every transition is tested on its own.

    STARTING --preview--> PREVIEW --opened--> OPEN --leave--> PREVIEW (read ahead)
        |                    |                                or STARTING (nothing ahead)
        +--opened------------+---failed--> FAILED --retry--> PREVIEW / STARTING
    any --queue_finished--> EMPTY

Keys typed while the article is not open yet wait (in order) and are replayed once the
database has it, if the database's spans equal what the screen showed; otherwise they
are dropped and ``notice`` says so until the next key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from annotator.domain.workitem import LoadedArticle

# A write that has been running this long (blocked on a lock, a slow disk) counts as not
# saved: the screen says so and does not leave its article.
SLOW_WRITE_S = 1.0


class Phase(StrEnum):
    """Where the article on screen stands with the database."""

    STARTING = "starting"  # no article of its own on screen yet: the database is opening one
    PREVIEW = "preview"  # shown from the fast path or the read-ahead; not opened yet: keys wait
    OPEN = "open"  # the database has opened it: edits are stored as they are made
    FAILED = "failed"  # opening it failed; ctrl+r tries again; keys wait
    EMPTY = "empty"  # nothing is left in the queue


@dataclass
class Write:
    """One change sent to the database thread and not yet confirmed stored."""

    local_id: int
    article_id: int
    what: str  # in words, for the list of what was not saved
    finishing: bool = False  # it finishes the article (done, skipped, flagged)
    attempts: int = 0  # failed attempts so far (the thread retries while the database is busy)
    error: str = ""
    started: float | None = None  # when the thread began its current attempt

    def unsaved(self, now: float) -> bool:
        """True once it failed or has been running long enough to worry about."""
        return self.attempts > 0 or (self.started is not None and now - self.started > SLOW_WRITE_S)


@dataclass(frozen=True)
class Opened:
    """What the screen must do with an article the database has opened."""

    article: LoadedArticle
    show: bool  # paint it (it is not what the screen already shows)
    replay: tuple[Callable[[], None], ...] = ()  # keys to run again, in order
    dropped: int = 0  # keys that waited and were dropped (the notice says so)


@dataclass
class Lifecycle:
    """The on-screen article's phase, its waiting keys, the read-ahead and unsaved writes."""

    phase: Phase = Phase.STARTING
    # While STARTING: keys typed now are for whatever opens next (the first article, or
    # the next after a finish), so they are replayed on it; after go_back they were typed
    # at an article that is being reloaded, and are dropped.
    blind_replay: bool = True
    article: LoadedArticle | None = None  # the article being shown
    ahead: LoadedArticle | None = None  # the article after it, read ahead (display only)
    notice: str = ""  # told to the person until their next key
    failure: str = ""  # why opening failed (phase FAILED)
    came_from: int | None = None  # the article finished just before this one was shown
    edited_here: bool = False  # an edit was made since this article was shown
    waiting: list[Callable[[], None]] = field(default_factory=list)
    # local edit id -> event id in the log; written only by the database thread, read by
    # the jobs it runs later (an undo names the event of the edit it undoes)
    event_ids: dict[int, int] = field(default_factory=dict)
    writes: dict[int, Write] = field(default_factory=dict)
    ticket: int = 0  # number of the newest request to open an article
    _last_local: int = 0

    def request_open(self) -> int:
        """A new request to open an article; its number comes back with the answer, and
        answers to older requests are ignored (``is_current``)."""
        self.ticket += 1
        return self.ticket

    def is_current(self, ticket: int | None) -> bool:
        """True when ``ticket`` answers the newest request to open an article."""
        return ticket is None or ticket == self.ticket

    # --- which article ------------------------------------------------------------

    @property
    def article_id(self) -> int | None:
        """The id of the article on screen, or None."""
        return None if self.article is None else self.article.article_id

    def preview(self, article: LoadedArticle) -> None:
        """Show an article the database has not opened yet (keys typed now wait)."""
        self.article = article
        self.phase = Phase.PREVIEW
        self.failure = ""
        self.edited_here = False
        self.ahead = None

    def opened(self, article: LoadedArticle) -> Opened:
        """The database opened ``article``: edits can be stored from now on. Waiting keys
        are handed back for replay when the screen showed exactly this (same article,
        same spans); else they are dropped and the notice says how many."""
        waiting, self.waiting = self.waiting, []
        shown = self.article
        same = (
            shown is not None
            and self.phase in (Phase.PREVIEW, Phase.FAILED)
            and shown.article_id == article.article_id
            and _spans(shown) == _spans(article)
        )
        # Keys typed while no article was the screen's (after `a` with nothing read
        # ahead, or before the first one appeared) were typed for this one: replayed.
        blind = self.phase is Phase.STARTING and self.blind_replay
        self.phase = Phase.OPEN
        self.failure = ""
        if shown is None or shown.article_id != article.article_id:
            self.edited_here = False
        self.article = article
        self.ahead = None
        if same:
            return Opened(article, show=False, replay=tuple(waiting))
        if blind:
            return Opened(article, show=True, replay=tuple(waiting))
        if waiting:
            self.notice = (
                f"{_keys(len(waiting))} typed while the article was opening "
                "{} not applied: the article changed in the database; look and type again"
            ).format("was" if len(waiting) == 1 else "were")
        return Opened(article, show=True, dropped=len(waiting))

    def failed(self, article_id: int | None, reason: str) -> bool:
        """Opening ``article_id`` (None: the next article) failed. True when that is the
        article the screen is waiting for (the phase becomes FAILED)."""
        if self.phase is Phase.OPEN or (
            article_id is not None and self.article is not None and article_id != self.article_id
        ):
            return False
        self.phase = Phase.FAILED
        self.failure = reason
        return True

    def retry(self) -> int | None:
        """Leave FAILED to try again; returns the article to open (None: the next one)."""
        assert self.phase is Phase.FAILED
        self.failure = ""
        self.phase = Phase.PREVIEW if self.article is not None else Phase.STARTING
        return self.article_id

    def queue_finished(self) -> None:
        """Nothing is left to annotate; keys that waited are dropped (and told)."""
        if self.waiting:
            self.notice = (
                f"{_keys(len(self.waiting))} typed meanwhile not applied: the queue is finished"
            )
        self.waiting = []
        self.phase = Phase.EMPTY
        self.article = None
        self.ahead = None

    def prefetched(self, after: int, article: LoadedArticle | None) -> None:
        """The read-ahead of the article after ``after`` arrived (kept if still current)."""
        if self.article_id == after and (article is None or article.article_id != after):
            self.ahead = article

    def leave(self) -> tuple[int, LoadedArticle | None]:
        """The open article is being finished: returns its id and the read-ahead article to
        show now (None: nothing ahead, the database opens the next one)."""
        assert self.phase is Phase.OPEN and self.article is not None
        left = self.article.article_id
        ahead, self.ahead = self.ahead, None
        self.came_from = left
        self.edited_here = False
        if ahead is not None:
            self.preview(ahead)
        else:
            self.article = None  # still painted, but no longer the one edits go to
            self.phase = Phase.STARTING
            self.blind_replay = True
        return left, ahead

    def go_back(self) -> None:
        """The screen returns to another article (history, undo of a finish, a conflict):
        whatever the database opens next is shown fresh, and waiting keys are dropped."""
        if self.waiting:
            self.notice = (
                f"{_keys(len(self.waiting))} typed meanwhile not applied: back to another article"
            )
        self.waiting = []
        self.phase = Phase.STARTING
        self.blind_replay = False
        self.article = None
        self.came_from = None
        self.ahead = None

    # --- keys ---------------------------------------------------------------------

    @property
    def accepts_edits(self) -> bool:
        """True when an edit can be sent to the database now."""
        return self.phase is Phase.OPEN

    def must_wait(self, is_edit: bool) -> bool:
        """Whether a key must wait: edits wait until the article is open, and once one
        waits every later key waits behind it (a cursor move would change what it does).
        While no article is the screen's (STARTING: the one still painted was finished or
        left), every key waits for the one being opened."""
        if self.phase is Phase.OPEN or self.phase is Phase.EMPTY:
            return False
        return is_edit or bool(self.waiting) or self.phase is Phase.STARTING

    def wait(self, replay: Callable[[], None]) -> int:
        """Keep a key for later; returns how many wait now."""
        self.waiting.append(replay)
        return len(self.waiting)

    def key_pressed(self) -> None:
        """A person pressed a key: the last notice has been seen."""
        self.notice = ""

    # --- writes ---------------------------------------------------------------------

    def new_write(self, article_id: int, what: str, finishing: bool = False) -> int:
        """Register a write about to be sent; returns its local id (negative, never an
        event id)."""
        self._last_local -= 1
        self.writes[self._last_local] = Write(self._last_local, article_id, what, finishing)
        if article_id == self.article_id:
            self.edited_here = True
        return self._last_local

    def write_started(self, local_id: int) -> None:
        """The database thread began an attempt (called from that thread)."""
        write = self.writes.get(local_id)
        if write is not None:
            write.started = time.monotonic()

    def write_stored(self, local_id: int, event_id: int | None) -> Write | None:
        """The database confirmed the write; returns it (None if unknown)."""
        if event_id is not None:
            self.event_ids[local_id] = event_id
        return self.writes.pop(local_id, None)

    def write_failing(self, local_id: int, reason: str, attempts: int) -> None:
        """An attempt failed; the thread tries again."""
        write = self.writes.get(local_id)
        if write is not None:
            write.attempts, write.error, write.started = attempts, reason, None

    def write_refused(self, local_id: int) -> Write | None:
        """The database refused the write for good (a conflict, invalid data)."""
        return self.writes.pop(local_id, None)

    def unsaved(self, article_id: int | None = None, now: float | None = None) -> list[Write]:
        """Writes not stored while one of them failed or hangs (all of them then: the
        others wait behind it), of one article or all, oldest first."""
        now = time.monotonic() if now is None else now
        if not any(w.unsaved(now) for w in self.writes.values()):
            return []
        return [w for w in self.not_stored() if article_id is None or w.article_id == article_id]

    def not_stored(self) -> list[Write]:
        """Every write not confirmed yet, oldest first."""
        return sorted(self.writes.values(), key=lambda w: -w.local_id)


def _spans(article: LoadedArticle) -> list[tuple[tuple[int, int, str], str]]:
    return [(s.key, s.origin.value) for s in article.spans]


def _keys(count: int) -> str:
    return f"{count} key{'s' if count != 1 else ''}"


def describe_unsaved(writes: list[Write], titles: dict[int, str]) -> list[str]:
    """One line per article saying what of it was not stored."""
    by_article: dict[int, list[Write]] = {}
    for write in sorted(writes, key=lambda w: -w.local_id):
        by_article.setdefault(write.article_id, []).append(write)
    lines = []
    for article_id, items in by_article.items():
        title = titles.get(article_id, "")
        head = f"article #{article_id}" + (f" “{title}”" if title else "")
        reason = next((w.error for w in reversed(items) if w.error), "")
        lines.append(
            f"{head}: {', '.join(w.what for w in items)}" + (f" ({reason})" if reason else "")
        )
    return lines
