"""Shared fixtures: real SQLite files in tmp folders, and the ../shared material when present."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from annotator.store.engine import Store, open_store

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "corpus" / "seeds"
FIXTURES = SHARED / "fixtures"


def need(path: Path) -> Path:
    """Skip the calling test cleanly when a ../shared resource is absent."""
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.db"


@pytest.fixture
def store(db_path: Path) -> Store:
    s = open_store(db_path)
    yield s
    s.dispose()


def dump(path: Path) -> list[str]:
    """Every row of every table (schema included) in a stable text form, to compare states."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()
