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
    return [m.span() for m in _FALLBACK_TOKEN.finditer(text)]


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
    """``spans`` with ``change`` applied (spans are identified by start, end and label),
    sorted by start, end and label."""
    return _applied(sorted(spans, key=_sort_key), change)


def _applied(spans: list[Span], change: Change) -> list[Span]:
    """apply_change for ``spans`` already sorted by _sort_key, by bisection: a new list,
    in time that grows with the change and not with the article (one key on an article of
    hundreds of spans rebuilt and sorted them all)."""
    added = {s.key: s for s in change.added}
    result = list(spans)
    for key in sorted({s.key for s in change.removed} | added.keys()):
        at = bisect.bisect_left(result, key, key=_sort_key)
        end = at
        while end < len(result) and result[end].key == key:
            end += 1
        del result[at:end]
    for span in added.values():
        bisect.insort(result, span, key=_sort_key)
    return result


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
        # Sorted by _sort_key; a change makes a new list (the view relies on it).
        self.spans: list[Span] = sorted(spans, key=_sort_key)
        self.cursor = 0
        self.anchor: int | None = None
        self.current: Span | None = None
        self._runs: list[tuple[int, int]] | None = None  # name runs of these tokens, once found
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

    def index_of(self, span: Span | None) -> int | None:
        """Where ``span`` (a span equal to it: same start, end and label) is in ``spans``,
        found by bisection (the spans are kept sorted by start, end and label)."""
        return None if span is None else self._find(span.key)

    def _find(self, key: tuple[int, int, str]) -> int | None:
        at = bisect.bisect_left(self.spans, key, key=_sort_key)
        return at if at < len(self.spans) and self.spans[at].key == key else None

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
        at = self.index_of(self.current)
        if at is not None:
            index = (at + step) % len(self.spans)
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
        self.current = self._put(change)
        if self.current is None and change.added:
            near = [s for s in change.added if before is not None and s.overlaps(before)]
            found = self._find((near or list(change.added))[0].key)
            assert found is not None  # _applied puts every added span in
            self.goto_span(self.spans[found])
        elif self.current is None:
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
        removed: tuple[Span, ...] = rivals
        added: tuple[Span, ...] = ()
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

    def find(self, query: str) -> tuple[int, int] | None:
        """The next match of ``query`` after the cursor (case-folded, wrapping round to the
        start), as a character range, or None when the text does not hold it."""
        text = self.text.casefold()
        needle = query.casefold()
        chars = self.cursor_chars() or (0, 0)
        position = text.find(needle, chars[0] + 1)
        if position < 0:
            position = text.find(needle)
        return None if position < 0 else (position, position + len(query))

    def set_tokens(self, tokens: Sequence[tuple[int, int]]) -> None:
        """Swap in better tokens (spaCy's, when they arrive), keeping the cursor's place
        and the selection's (each on the token holding its first character)."""
        chars = self.cursor_chars()
        anchor = self.tokens[self.anchor][0] if self.anchor is not None else None
        self.tokens = list(tokens)
        self._starts = [t[0] for t in self.tokens]
        self._runs = None
        self.anchor = None
        if chars is not None and self.tokens:
            self.cursor = self.token_at_char(chars[0]) or 0
            if anchor is not None:
                self.anchor = self.token_at_char(anchor)
        else:
            self.cursor = 0
        self._follow_cursor()

    def add_suggestions(self, change: Change) -> None:
        """Apply a change that brings suggestions (they arrived while the article was
        open) without moving the cursor or the selection: the person may be working
        there already. The current span stays current; else the span under the cursor
        becomes current."""
        self.current = self._put(change)
        if self.current is None:
            self._follow_cursor()

    def _put(self, change: Change) -> Span | None:
        """Apply ``change`` to the spans; returns the current span as it is now, or None
        when the change removed it."""
        before = self.current
        self.spans = _applied(self.spans, change)
        kept = self._find(before.key) if before is not None else None
        return None if kept is None else self.spans[kept]

    # --- names and mentions (keys that fix many spans at once) ----------------------------

    def _token_text(self, index: int) -> str:
        start, end = self.tokens[index]
        return self.text[start:end]

    def _joined(self, left: int, right: int) -> bool:
        """True when tokens ``left`` and ``right`` (adjacent) lie on one line."""
        return "\n" not in self.text[self.tokens[left][1] : self.tokens[right][0]]

    def _glued(self, left: int, right: int) -> bool:
        """True when nothing (not even a space) separates adjacent tokens."""
        return self.tokens[left][1] == self.tokens[right][0]

    def _is_capital(self, index: int) -> bool:
        word = self._token_text(index)
        return word[:1].isupper() and any(c.isalpha() for c in word)

    def _is_link(self, index: int) -> bool:
        """A token that may sit inside a name between two capitalised words: a hyphen or
        apostrophe glued to its neighbours, or a particle such as "al" or "of"."""
        word = self._token_text(index)
        if word in _GLUE:
            return (
                0 < index < len(self.tokens) - 1
                and self._glued(index - 1, index)
                and self._glued(index, index + 1)
            )
        return word in _PARTICLES

    def name_run(self, index: int) -> tuple[int, int] | None:
        """The run of capitalised tokens (with the hyphens and particles between them, on
        one line) that holds token ``index``, as (first, last) token indexes; a
        sentence-opening function word ("The", "On") is not part of it. None when the
        token is not in such a run."""
        if not self.tokens or not (self._is_capital(index) or self._is_link(index)):
            return None
        first = last = index
        while last + 1 < len(self.tokens) and self._joined(last, last + 1):
            nxt = last + 1
            if self._is_capital(nxt):
                last = nxt
                continue
            # links only count when a capitalised word follows them
            probe = nxt
            while (
                probe < len(self.tokens) and self._is_link(probe) and self._joined(probe - 1, probe)
            ):
                probe += 1
            if (
                probe > nxt
                and probe < len(self.tokens)
                and self._is_capital(probe)
                and self._joined(probe - 1, probe)
                and not (
                    first == last
                    and self._opens_sentence(first)
                    and self._token_text(nxt) not in _GLUE
                )
            ):
                last = probe
                continue
            break
        while first > 0 and self._joined(first - 1, first):
            prev = first - 1
            if self._is_capital(prev):
                first = prev
                continue
            probe = prev
            while probe >= 0 and self._is_link(probe) and self._joined(probe, probe + 1):
                probe -= 1
            if (
                probe < prev
                and probe >= 0
                and self._is_capital(probe)
                and self._joined(probe, probe + 1)
                and not (self._opens_sentence(probe) and self._token_text(prev) not in _GLUE)
            ):
                first = probe
                continue
            # a name may open with a glued particle: "al-Nusra"
            if self._is_link(prev) and self._token_text(prev) in _GLUE and first - 2 >= 0:
                if self._token_text(first - 2) in _PARTICLES and self._glued(first - 2, prev):
                    first -= 2
            break
        while (
            first <= last
            and (self._token_text(first).casefold() in _OPENERS or self._is_link(first))
            and not self._opens_glued(first, last)
        ):
            first += 1
        while last >= first and self._is_link(last):
            last -= 1
        if first > last or not any(self._is_capital(i) for i in range(first, last + 1)):
            return None
        if not first <= index <= last:
            return None
        return first, last

    def _opens_sentence(self, index: int) -> bool:
        """True for the first token of a line or of a sentence."""
        before = self.text[: self.tokens[index][0]].rstrip(" \t")
        return not before or before[-1] in '.!?\n:;"“”'

    def _opens_glued(self, first: int, last: int) -> bool:
        """True when the run opens with a particle glued by a hyphen to a capitalised
        word ("al-Nusra"), which belongs to the name."""
        return (
            first + 2 <= last
            and self._token_text(first) in _PARTICLES
            and self._token_text(first + 1) in _GLUE
            and self._glued(first, first + 1)
        )

    def name_runs(self) -> list[tuple[int, int]]:
        """Every run of capitalised tokens (see name_run), in text order."""
        if self._runs is None:
            runs: list[tuple[int, int]] = []
            for index in range(len(self.tokens)):
                if runs and index <= runs[-1][1] or not self._is_capital(index):
                    continue
                run = self.name_run(index)
                if run is not None and (not runs or run[0] > runs[-1][1]):
                    runs.append(run)
            self._runs = runs
        return self._runs

    def next_candidate(self, step: int = 1) -> tuple[int, int]:
        """Select the next (step=1) or previous run of capitalised tokens that no span
        touches, after (before) the cursor and wrapping around, so that a label key labels
        it; returns its characters. Refused when there is none."""
        if not self.tokens:
            raise EditRefused("this article has no text")
        runs = [
            run
            for run in self.name_runs()
            if not self.spans_over(self.tokens[run[0]][0], self.tokens[run[1]][1])
        ]
        if not runs:
            raise EditRefused("no capitalised name without a span left")
        low = min(self.anchor, self.cursor) if self.anchor is not None else self.cursor
        if step > 0:
            after = [r for r in runs if r[0] > low]
            run = after[0] if after else runs[0]
        else:
            before = [r for r in runs if r[0] < low]
            run = before[-1] if before else runs[-1]
        self.anchor, self.cursor = run[0], run[1]
        self._follow_cursor()
        return self.tokens[run[0]][0], self.tokens[run[1]][1]

    def fit(self) -> Change:
        """Fit the current span to the name it holds: drop leading determiners ("the"),
        grow over the whole run of capitalised tokens, and stop at the end of its line.
        Spans inside the new extent are replaced; the label stays."""
        span = self.current
        if span is None:
            raise EditRefused("no current span to fit")
        first = self.token_at_char(span.start)
        last = self.token_at_char(span.end - 1)
        if first is None or last is None:
            raise EditRefused("this span lies outside the tokens")
        while first < last and self._token_text(first).casefold() in _DETERMINERS:
            first += 1
        capitals = [i for i in range(first, last + 1) if self._is_capital(i)]
        if not capitals:
            raise EditRefused("this span holds no capitalised word to fit it to")
        start_run = self.name_run(capitals[0])
        if start_run is None:
            raise EditRefused("this span holds no name to fit it to")
        new_first, new_last = start_run
        for index in capitals[1:]:
            run = self.name_run(index)
            if run is None or not all(self._joined(i, i + 1) for i in range(new_first, run[1])):
                break
            new_last = max(new_last, run[1])
        start, end = self.tokens[new_first][0], self.tokens[new_last][1]
        others = [s for s in self.spans_over(start, end) if s != span]
        crossing = [s for s in others if s.start < start or s.end > end]
        if crossing:
            raise EditRefused(f"would overlap the {crossing[0].label} span next to it")
        new = Span(start, end, span.label, _edited(span.origin))
        if new.key == span.key:
            return Change()
        return self._commit(Change(removed=(span, *others), added=(new,)))

    def _at_tokens(self, start: int, end: int) -> bool:
        index = self.token_at_char(start)
        last = self.token_at_char(end - 1)
        return (
            index is not None
            and last is not None
            and self.tokens[index][0] == start
            and self.tokens[last][1] == end
        )

    def _occurrences(self, words: str) -> list[int]:
        """Start offsets of every occurrence of ``words`` that begins and ends on token
        boundaries."""
        found: list[int] = []
        position = self.text.find(words)
        while position >= 0:
            if self._at_tokens(position, position + len(words)):
                found.append(position)
            position = self.text.find(words, position + 1)
        return found

    def every_mention(self, last: Change) -> Change:
        """Do to every other mention what ``last`` did to one (the "label every mention"
        key). After a span got a label (or was added, confirmed, resized): every other
        occurrence of its words gets that span with that label, replacing spans inside it
        and spans that were the same as the one ``last`` replaced; occurrences inside a
        longer span are left alone. After a suggestion was removed: every other pending
        suggestion of the same words and label is removed too."""
        if len(last.added) > 1 or (not last.added and not last.removed):
            raise EditRefused("the last edit was not one span: nothing to repeat")
        if not last.added:
            removed: list[Span] = []
            for gone in last.removed:
                words = self.text[gone.start : gone.end]
                removed += [
                    s
                    for s in self.pending()
                    if s.label == gone.label and self.text[s.start : s.end] == words
                ]
            if not removed:
                raise EditRefused("no other mention of it is suggested")
            return self._commit(Change(removed=tuple(dict.fromkeys(removed))))
        made = last.added[0]
        if made.key not in {s.key for s in self.spans}:
            raise EditRefused("that span is gone")
        words = self.text[made.start : made.end]
        replaced = [s for s in last.removed if s.overlaps(made)]
        removed, added = [], []
        for position in self._occurrences(words):
            start, end = position, position + len(words)
            if (start, end) == (made.start, made.end):
                continue
            over = self.spans_over(start, end)
            if any(
                s.key == (start, end, made.label) and s.origin is not Origin.SUGGESTED for s in over
            ):
                continue
            same = [
                s
                for s in over
                for old in replaced
                if s.label == old.label
                and s.end - s.start == old.end - old.start
                and s.start - start == old.start - made.start
                and self.text[s.start : s.end] == self.text[old.start : old.end]
            ]
            if any(s.start < start or s.end > end for s in over if s not in same):
                continue
            exact = [s for s in over if (s.start, s.end) == (start, end)]
            if exact and exact[0].origin is Origin.SUGGESTED and exact[0].label == made.label:
                new = replace(exact[0], origin=Origin.ACCEPTED)
            elif exact:
                new = Span(start, end, made.label, _edited(exact[0].origin))
            elif same:
                new = Span(start, end, made.label, _edited(same[0].origin))
            else:
                new = Span(start, end, made.label, Origin.MANUAL)
            removed += over
            added.append(new)
        if not added:
            raise EditRefused(f"no other mention of “{words}” to label")
        return self._commit(Change(removed=tuple(dict.fromkeys(removed)), added=tuple(added)))


# Words and marks that join the parts of a name ("Jabal al-Zawiya", "Ministry of Defence").
_GLUE = frozenset({"-", "'", "’"})
_PARTICLES = frozenset("al el ad ar as ash at az an ibn bin bint abu umm of de du".split())
# Determiners a name does not start with.
_DETERMINERS = frozenset("the a an".split())
# Capitalised words that open sentences rather than names.
_OPENERS = frozenset(
    """the a an in on at after before but and or it its he she they we i this that these
    those there as by for from with when while meanwhile according since during if his her
    their our some many most one two three four five six seven eight nine ten no not
    yesterday today earlier later also then so what who where why how all both each other
    among between under over into near""".split()
)
