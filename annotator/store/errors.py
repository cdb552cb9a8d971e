"""Which database failures are worth trying again."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError, OperationalError

# SQLite says these while another process holds the write lock, the disk is full or a
# read-only file was made writable again: a later attempt can succeed.
_SQLITE_TRANSIENT = ("locked", "busy", "disk is full", "disk i/o error", "readonly", "read-only")


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` is a failure that may pass if the same write is tried again: a
    lock held by another process, a full disk, a lost connection to the server."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        orig = exc.orig
        if isinstance(orig, sqlite3.OperationalError):
            text = str(orig).lower()
            return any(word in text for word in _SQLITE_TRANSIENT)
        return True  # PostgreSQL: connection lost, server shutting down, lock timeouts
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return any(word in text for word in _SQLITE_TRANSIENT)
    return False
