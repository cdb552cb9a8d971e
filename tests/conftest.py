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


def _postgres_bin() -> Path | None:
    import glob
    import shutil

    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL server (unix socket only) for this test session, or a skip.

    PostgreSQL refuses to run as root; as root the server runs as `nobody` (runuser).
    """
    import os
    import shutil
    import socket
    import subprocess

    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb) are not installed")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed")
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL")
        prefix = ["runuser", "-u", "nobody", "--"]
    import tempfile

    # Not under pytest's tmp folder: its parents are private to root, and the server's
    # user must reach the data folder and the socket.
    folder = Path(tempfile.mkdtemp(prefix="annotator-pg-"))
    folder.chmod(0o777)
    data = folder / "data"
    with socket.socket() as probe:  # a free port number names the socket file
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subprocess.run(
        [
            *prefix,
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "annotator",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *prefix,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(folder / "server.log"),
            "-o",
            f"-k {folder} -c listen_addresses='' -p {port}",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://annotator@/{{database}}?host={folder}&port={port}"
    finally:
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_store(postgres_url, request):
    """A fresh database on the session's PostgreSQL server, opened (migrated) as a Store."""
    import re

    from sqlalchemy import create_engine, text

    name = "t_" + re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:50]
    admin = create_engine(postgres_url.format(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    store = open_store(postgres_url.format(database=name))
    yield store
    store.dispose()
