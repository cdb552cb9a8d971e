"""Undo and redo stacks of one annotator's work on one article, rebuilt from the event log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from annotator.domain.editing import Change

EDIT, UNDO, REDO = "edit", "undo", "redo"
STATUS = "status"  # finishing an article; undoable when its payload has "status_change"


@dataclass
class History:
    """Edits by event id, and which of them can be undone or redone now.

    Finishing an article (done, skipped, flagged) is an edit too: its change turns pending
    suggestions into accepted spans and moves the status, so undoing it reopens the
    article exactly as it was. Undo applies the inverse of the newest undoable edit and
    logs an "undo" event naming it; redo re-applies the newest undone edit and logs "redo". A new edit clears redo.
    Because the stacks are rebuilt by replaying the log, they survive restarts.
    """

    changes: dict[int, Change] = field(default_factory=dict)
    undo: list[int] = field(default_factory=list)
    redo: list[int] = field(default_factory=list)

    @classmethod
    def replay(cls, events: Iterable[tuple[int, str, dict[str, Any]]]) -> History:
        """Rebuild from (event id, action, payload) in log order; other actions are ignored."""
        history = cls()
        for event_id, action, payload in events:
            if action == EDIT or (action == STATUS and "status_change" in payload):
                history.record(event_id, Change.from_payload(payload))
            elif action == UNDO and payload.get("of") in history.undo:
                history.undo.remove(payload["of"])
                history.redo.append(payload["of"])
            elif action == REDO and payload.get("of") in history.redo:
                history.redo.remove(payload["of"])
                history.undo.append(payload["of"])
        return history

    def record(self, event_id: int, change: Change) -> None:
        """A new edit: it can be undone, and nothing can be redone any more."""
        self.changes[event_id] = change
        self.undo.append(event_id)
        self.redo.clear()

    def take_undo(self) -> tuple[int, Change] | None:
        """Pop the newest undoable edit: (its event id, the change that undoes it)."""
        if not self.undo:
            return None
        event_id = self.undo.pop()
        self.redo.append(event_id)
        return event_id, self.changes[event_id].inverse()

    def take_redo(self) -> tuple[int, Change] | None:
        """Pop the newest undone edit: (its event id, the change that redoes it)."""
        if not self.redo:
            return None
        event_id = self.redo.pop()
        self.undo.append(event_id)
        return event_id, self.changes[event_id]
