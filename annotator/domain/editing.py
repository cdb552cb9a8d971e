"""The annotation editor: token cursor, selection, current span, and the changes keys make.

Pure logic with no I/O, so that every binding of the annotation screen can be tested
without a terminal. Spans are character ranges; new and resized spans snap to tokens.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from annotator.domain.spans import Origin, Span

_FALLBACK_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def fallback_tokens(text: str) -> list[tuple[int, int]]:
    """Rough tokens (words and single punctuation marks) until spaCy's arrive."""
    return [(m.start(), m.end()) for m in _FALLBACK_TOKEN.finditer(text)]


@dataclass(frozen=True, slots=True)
class Change:
    """What an edit did to an annotation's spans: these removed, those added; and, for
    finishing an article (or undoing that), its status going from ``status[0]`` to
    ``status[1]``."""

    removed: tuple[Span, ...] = ()
    added: tuple[Span, ...] = ()
    status: tuple[str, str] | None = None

    def __bool__(self) -> bool:
        return bool(self.removed or self.added or self.status)

    def inverse(self) -> Change:
        """The change that undoes this one."""
        status = None if self.status is None else (self.status[1], self.status[0])
        return Change(removed=self.added, added=self.removed, status=status)

    def extent(self) -> tuple[int, int] | None:
        """The character range the change touches, or None for an empty change."""
        spans = self.removed + self.added
        if not spans:
            return None
        return min(s.start for s in spans), max(s.end for s in spans)

    def to_payload(self) -> dict[str, list]:
        """JSON form for the event log."""
        payload: dict[str, list] = {
            "removed": [[s.start, s.end, s.label, s.origin.value] for s in self.removed],
            "added": [[s.start, s.end, s.label, s.origin.value] for s in self.added],
        }
        if self.status is not None:
            payload["status_change"] = list(self.status)
        return payload

    @classmethod
    def from_payload(cls, payload: dict) -> Change:
        """Read the JSON form back."""

        def spans(key: str) -> tuple[Span, ...]:
            return tuple(Span(s, e, label, Origin(o)) for s, e, label, o in payload.get(key, []))

        status = payload.get("status_change")
        return cls(
            removed=spans("removed"),
            added=spans("added"),
            status=(str(status[0]), str(status[1])) if status else None,
        )


class EditRefused(Exception):
    """An edit that cannot be made here; the message says why (shown to the user)."""


def _sort_key(span: Span) -> tuple[int, int, str]:
    return (span.start, span.end, span.label)


def apply_change(spans: Iterable[Span], change: Change) -> list[Span]:
    """``spans`` with ``change`` applied (spans are identified by start, end and label)."""
    removed = {s.key for s in change.removed}
    kept = [s for s in spans if s.key not in removed]
    added = {s.key: s for s in change.added}
    kept = [s for s in kept if s.key not in added]
    return sorted(kept + list(added.values()), key=_sort_key)


def _edited(origin: Origin) -> Origin:
    return Origin.MANUAL if origin is Origin.MANUAL else Origin.EDITED


class Editor:
    """Cursor, selection and spans of one article, and the edits the keys make.

    The cursor is a token index. The selection runs from ``anchor`` to the cursor when an
    anchor is set. The current span is the span under the cursor (Tab moves between spans).
    Edit methods return the Change they made (possibly empty) and update the spans; the
    caller stores the change. They raise EditRefused when an edit makes no sense here.
    """

    def __init__(self, text: str, tokens: Sequence[tuple[int, int]], spans: Iterable[Span]):
        self.text = text
        self.tokens: list[tuple[int, int]] = list(tokens)
        self._starts = [t[0] for t in self.tokens]
        self.spans: list[Span] = sorted(spans, key=_sort_key)
        self.cursor = 0
        self.anchor: int | None = None
        self.current: Span | None = None
        self._follow_cursor()

    # --- queries -------------------------------------------------------------------

    def token_at_char(self, offset: int) -> int | None:
        """The index of the token holding (or nearest after) character ``offset``."""
        if not self.tokens:
            return None
        index = bisect.bisect_right(self._starts, offset) - 1
        if index < 0:
            return 0
        if offset >= self.tokens[index][1] and index + 1 < len(self.tokens):
            return index + 1
        return index

    def selection(self) -> tuple[int, int] | None:
        """The selected tokens as (first, last) indexes, or None."""
        if self.anchor is None:
            return None
        return (min(self.anchor, self.cursor), max(self.anchor, self.cursor))

    def selection_chars(self) -> tuple[int, int] | None:
        """The selected characters as [start, end), or None."""
        sel = self.selection()
        if sel is None:
            return None
        return self.tokens[sel[0]][0], self.tokens[sel[1]][1]

    def cursor_chars(self) -> tuple[int, int] | None:
        """The characters of the cursor token, or None in an empty article."""
        return self.tokens[self.cursor] if self.tokens else None

    def spans_over(self, start: int, end: int) -> list[Span]:
        """Spans sharing at least one character with [start, end)."""
        return [s for s in self.spans if s.start < end and start < s.end]

    def pending(self) -> list[Span]:
        """Suggestions not yet confirmed."""
        return [s for s in self.spans if s.origin is Origin.SUGGESTED]

    # --- moving ----------------------------------------------------------------------

    def _follow_cursor(self) -> None:
        chars = self.cursor_chars()
        if chars is None:
            self.current = None
            return
        over = self.spans_over(*chars)
        if self.current in over:
            return
        self.current = min(over, key=lambda s: (s.end - s.start, s.start)) if over else None

    def _clamp(self, index: int) -> int:
        return max(0, min(len(self.tokens) - 1, index)) if self.tokens else 0

    def move(self, delta: int) -> None:
        """Move the cursor by ``delta`` tokens and drop the selection."""
        self.anchor = None
        self.cursor = self._clamp(self.cursor + delta)
        self._follow_cursor()

    def move_to_char(self, offset: int) -> None:
        """Put the cursor on the token at character ``offset`` (a mouse click)."""
        index = self.token_at_char(offset)
        if index is not None:
            self.anchor = None
            self.cursor = index
            self.current = None
            self._follow_cursor()

    def extend(self, delta: int) -> None:
        """Grow or shrink the selection by ``delta`` tokens (anchored where it started)."""
        if not self.tokens:
            return
        if self.anchor is None:
            self.anchor = self.cursor
        self.cursor = self._clamp(self.cursor + delta)
        self._follow_cursor()

    def select_chars(self, start: int, end: int) -> None:
        """Select the tokens covering characters [start, end) (a mouse drag)."""
        first, last = self.token_at_char(start), self.token_at_char(max(start, end - 1))
        if first is None or last is None:
            return
        self.anchor, self.cursor = first, last
        self._follow_cursor()

    def clear_selection(self) -> None:
        """Drop the selection, keeping the cursor."""
        self.anchor = None

    def goto_span(self, span: Span) -> None:
        """Make ``span`` current and put the cursor on its first token."""
        index = self.token_at_char(span.start)
        self.anchor = None
        if index is not None:
            self.cursor = index
        self.current = span

    def next_span(self, step: int = 1) -> None:
        """Make the next (step=1) or previous (step=-1) span current, wrapping around."""
        if not self.spans:
            return
        if self.current in self.spans:
            index = (self.spans.index(self.current) + step) % len(self.spans)
        else:
            chars = self.cursor_chars() or (0, 0)
            after = [i for i, s in enumerate(self.spans) if s.start >= chars[0]]
            if step > 0:
                index = after[0] if after else 0
            else:
                before = [i for i, s in enumerate(self.spans) if s.start < chars[0]]
                index = before[-1] if before else len(self.spans) - 1
        self.goto_span(self.spans[index])

    # --- editing -----------------------------------------------------------------------

    def apply(self, change: Change) -> None:
        """Apply a change (an edit, or an undo/redo of one), keeping the cursor sensible:
        the current span stays current if it survived; else a span the change added
        becomes current (the cursor moves to it); else the span under the cursor."""
        before = self.current
        self.spans = apply_change(self.spans, change)
        by_key = {s.key: s for s in self.spans}
        if before is not None and before.key in by_key:
            self.current = by_key[before.key]
        elif change.added:
            near = [s for s in change.added if before is not None and s.overlaps(before)]
            self.goto_span(by_key[(near or list(change.added))[0].key])
        else:
            self.current = None
            self._follow_cursor()

    def _commit(self, change: Change) -> Change:
        if change:
            self.apply(change)
        return change

    def label(self, name: str) -> Change:
        """Give the selection (or else the current span, or else the cursor token) a label."""
        sel = self.selection_chars()
        if sel is None and self.current is not None:
            span = self.current
            if span.label == name:
                if span.origin is not Origin.SUGGESTED:
                    return Change()
                new = replace(span, origin=Origin.ACCEPTED)
            else:
                origin = Origin.MANUAL if span.origin is Origin.MANUAL else Origin.EDITED
                new = replace(span, label=name, origin=origin)
            return self._commit(Change(removed=(span,), added=(new,)))
        if sel is None:
            sel = self.cursor_chars()
            if sel is None:
                raise EditRefused("this article has no text to label")
        start, end = sel
        self.anchor = None
        exact = [s for s in self.spans if s.start == start and s.end == end]
        if exact:
            self.current = exact[0]
            return self.label(name)
        over = tuple(self.spans_over(start, end))
        return self._commit(Change(removed=over, added=(Span(start, end, name, Origin.MANUAL),)))

    def confirm(self) -> Change:
        """Accept the current suggestion as it is."""
        span = self.current
        if span is None:
            raise EditRefused("no current span to confirm")
        if span.origin is not Origin.SUGGESTED:
            return Change()
        return self._commit(Change(removed=(span,), added=(replace(span, origin=Origin.ACCEPTED),)))

    def take(self) -> Change:
        """Review: take the current span as gold, rejecting the pending spans that overlap
        it (the other sides of that disagreement)."""
        span = self.current
        if span is None:
            raise EditRefused("no current span to take")
        rivals = tuple(s for s in self.pending() if s.key != span.key and s.overlaps(span))
        removed, added = rivals, ()
        if span.origin is Origin.SUGGESTED:
            removed, added = (span, *rivals), (replace(span, origin=Origin.ACCEPTED),)
        return self._commit(Change(removed=removed, added=added))

    def confirm_all(self) -> Change:
        """Accept every pending suggestion."""
        return self._commit(self.finishing_change())

    def delete(self) -> Change:
        """Remove the current span (a removed suggestion stays removed)."""
        span = self.current
        if span is None:
            raise EditRefused("no current span to delete")
        return self._commit(Change(removed=(span,)))

    def resize(self, edge: str, delta: int) -> Change:
        """Move the current span's start (edge="start") or end by ``delta`` tokens."""
        span = self.current
        if span is None:
            raise EditRefused("no current span to resize")
        first = self.token_at_char(span.start)
        last = self.token_at_char(span.end - 1)
        if first is None or last is None:
            raise EditRefused("this span lies outside the tokens")
        if edge == "start":
            first += delta
        else:
            last += delta
        if first < 0 or last >= len(self.tokens):
            raise EditRefused("the span is already at the edge of the text")
        if first > last:
            raise EditRefused("a span needs at least one token")
        start, end = self.tokens[first][0], self.tokens[last][1]
        others = [s for s in self.spans_over(start, end) if s != span]
        if others:
            raise EditRefused(f"would overlap the {others[0].label} span next to it")
        new = Span(start, end, span.label, _edited(span.origin))
        if new.key == span.key:
            return Change()
        return self._commit(Change(removed=(span,), added=(new,)))

    def finishing_change(self) -> Change:
        """The change that marks the article done: pending suggestions become accepted."""
        pending = tuple(self.pending())
        return Change(
            removed=pending, added=tuple(replace(s, origin=Origin.ACCEPTED) for s in pending)
        )

    def set_tokens(self, tokens: Sequence[tuple[int, int]]) -> None:
        """Swap in better tokens (spaCy's, when they arrive), keeping the cursor's place."""
        chars = self.cursor_chars()
        self.tokens = list(tokens)
        self._starts = [t[0] for t in self.tokens]
        self.anchor = None
        if chars is not None and self.tokens:
            self.cursor = self.token_at_char(chars[0]) or 0
        else:
            self.cursor = 0
        self._follow_cursor()
