"""Error types whose message is one clear line naming the file, line or record at fault."""

from __future__ import annotations

from pathlib import Path


class AnnotatorError(Exception):
    """Base of every error the tool reports to a user as a single line (no traceback)."""


class InputError(AnnotatorError):
    """Bad input data: a file, a line in it, or a record; the message names where."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None):
        self.path = str(path) if path is not None else None
        self.line = line
        self.reason = message
        where = ""
        if self.path is not None:
            where = self.path if line is None else f"{self.path}:{line}"
            where += ": "
        super().__init__(f"{where}{message}")


class SchemeError(AnnotatorError):
    """An invalid label scheme (duplicate label or hotkey, unknown colour, ...)."""


class StoreError(AnnotatorError):
    """The database cannot be used: wrong schema version, not an annotator database, ..."""


class ConflictError(AnnotatorError):
    """Another process changed the same annotation since we last read it."""


class ExportError(AnnotatorError):
    """Stored data that the chosen export format cannot hold as it is (a span that does not
    align with tokens, overlapping spans for NER, ...); the message names article and span."""
