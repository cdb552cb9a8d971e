from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotator.nlp.suggester import SuggestConfig
from annotator.services.importing import import_articles
from annotator.services.suggesting import build_suggester, project_config, suggest_articles
from annotator.store.engine import open_store
from tests.conftest import REPO, SEEDS, dump, need
from tests.pipelines import save_fake_model

ANNOTATOR = [sys.executable, "-m", "annotator"]


def default_sigint() -> None:
    """In the child before it runs: SIGINT back to its default. A test suite started in
    the background of a shell (``cmd &``) inherits SIGINT ignored, and Python then keeps
    it ignored: the interrupt these tests send would never arrive."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ANNOTATOR, *args], capture_output=True, text=True, cwd=cwd or REPO, timeout=600
    )


def _make_db(path: Path, texts: list[str]) -> None:
    source = path.with_suffix(".jsonl")
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    store = open_store(path)
    try:
        import_articles(store, [source])
    finally:
        store.dispose()


def _texts(n: int) -> list[str]:
    return [
        f"Report {i}. Regime forces shelled Idlib and Hama on Monday; {i % 50} civilians "
        f"were killed near Saraqeb, the White Helmets said. " * 6
        for i in range(n)
    ]


def _table_rows(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        return {
            "suggestion": sorted(
                conn.execute('SELECT article_id, source, start, "end", label FROM suggestion')
            ),
            "run": sorted(conn.execute("SELECT article_id, source, count FROM suggestionrun")),
            "tokens": sorted(conn.execute("SELECT article_id, tokenizer, offsets FROM tokens")),
        }
    finally:
        conn.close()


def _count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def _reference(tmp_path: Path, texts: list[str]) -> dict[str, list[tuple]]:
    """What one uninterrupted run in this process stores for these texts."""
    db = tmp_path / "reference.db"
    _make_db(db, texts)
    store = open_store(db)
    try:
        suggest_articles(store, build_suggester(SuggestConfig()), helper=False)
    finally:
        store.dispose()
    return _table_rows(db)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _gone(pids: list[int], within: float = 20.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        alive = [p for p in pids if Path(f"/proc/{p}").exists() and _state(p) != "Z"]
        if not alive:
            return True
        time.sleep(0.1)
    return False


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_cli_suggest_on_the_seeds_then_nothing_to_do(tmp_path):
    need(SEEDS)
    db = tmp_path / "news.db"
    assert _run("import", "--db", str(db), str(SEEDS)).returncode == 0
    first = _run("suggest", "--db", str(db))
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0].startswith("patterns: patterns:")
    assert "conflict.patterns.jsonl" in lines[0]
    assert lines[1].startswith("suggested for 5 articles (0 done before) in ")
    assert any(line.split() and line.split()[0] == "LOCATION" for line in lines[2:])
    stored = _table_rows(db)
    assert len(stored["run"]) == 5 and len(stored["tokens"]) == 5
    total = int(lines[1].rsplit(": ", 1)[1].split()[0])
    assert total == len(stored["suggestion"])
    before = dump(db)
    second = _run("suggest", "--db", str(db))
    assert second.returncode == 0
    assert "nothing to do: all 5 articles already have these suggestions" in second.stdout
    assert dump(db) == before
    store = open_store(db)
    try:
        assert project_config(store) == SuggestConfig()
    finally:
        store.dispose()


def test_cli_suggest_with_a_model_reports_dropped_labels(tmp_path):
    db = tmp_path / "c.db"
    _make_db(db, ["Syrian and Russian jets hit Idlib.", "Human Rights Watch spoke."])
    model = save_fake_model(tmp_path / "models" / "fake")
    result = _run("suggest", "--db", str(db), "--model", "models/fake", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "model:    model:fake@1.2.3 (models/fake); labels used: GPE->LOCATION, ORG, PERSON;" in (
        result.stdout
    )
    assert "dropped model labels (not in scheme conflict): NORP 2" in result.stdout
    assert "by source: model:fake@1.2.3 2, patterns:" in result.stdout
    store = open_store(db)
    try:
        config = project_config(store)
    finally:
        store.dispose()
    assert config.model == str(model.resolve())  # stored absolute: works from any folder


def test_cli_suggest_warns_about_default_model_meta(tmp_path):
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "GPE", "pattern": "Idlib"}])
    nlp.to_disk(tmp_path / "plain")
    db = tmp_path / "c.db"
    _make_db(db, ["Idlib"])
    result = _run("suggest", "--db", str(db), "--no-patterns", "--model", str(tmp_path / "plain"))
    assert result.returncode == 0, result.stderr
    assert "note: the model has spaCy's default name and version" in result.stderr


@pytest.mark.parametrize(
    ("content", "where", "message"),
    [
        (b'{"label": "LOCATION", "pattern": "Idlib"}\n\xe9t\xe9\n', ":2:", "not UTF-8"),
        (b'{"label": "LOCATION", "pattern": "Idlib"}\n{"label"\n', ":2:", "invalid JSON"),
        (b'{"pattern": "Idlib"}\n', ":1:", "pattern has no 'label'"),
        (b'{"label": "LOCATION"}\n', ":1:", "no 'pattern'"),
        (b'\n{"label": "GPE", "pattern": "Idlib"}\n', ":2:", "label 'GPE' is not in the scheme"),
        (b'{"label": "DATE", "pattern": [{"LOWR": "monday"}]}\n', ":1:", "invalid token pattern"),
    ],
)
def test_cli_suggest_broken_pattern_file_is_one_line_and_stores_nothing(
    tmp_path, content, where, message
):
    db = tmp_path / "c.db"
    _make_db(db, ["Shelling in Idlib."])
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(content)
    before = dump(db)
    result = _run("suggest", "--db", str(db), "--patterns", str(bad))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: {bad}{where} ")
    assert message in result.stderr
    assert dump(db) == before


def test_cli_suggest_missing_model_is_one_line_and_stores_nothing(tmp_path):
    db = tmp_path / "c.db"
    _make_db(db, ["Shelling in Idlib."])
    before = dump(db)
    result = _run("suggest", "--db", str(db), "--model", "en_core_web_sm_absent", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "error: no spaCy pipeline 'en_core_web_sm_absent': not an installed package or a "
        "pipeline folder\n"
    )
    assert dump(db) == before


def test_cli_suggest_contradicting_options(tmp_path):
    result = _run("suggest", "--db", str(tmp_path / "c.db"), "--no-patterns", "--patterns", "x")
    assert result.returncode == 2
    assert "--patterns and --no-patterns contradict each other" in result.stderr


def test_cli_suggest_empty_database(tmp_path):
    from annotator.store.engine import open_store

    open_store(tmp_path / "empty.db").dispose()  # a database without articles
    result = _run("suggest", "--db", str(tmp_path / "empty.db"))
    assert result.returncode == 0
    assert "no articles in the database: import some first (annotator import)" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])
def test_cli_suggest_interrupted_run_resumes_where_it_stopped(tmp_path, how):
    texts = _texts(4000)
    db = tmp_path / "run.db"
    _make_db(db, texts)
    proc = subprocess.Popen(
        [*ANNOTATOR, "suggest", "--db", str(db)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )
    helpers: list[int] = []
    deadline = time.monotonic() + 120
    while _count(db, "suggestionrun") == 0:  # wait for the first committed batch
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        helpers = _children(proc.pid) or helpers
        time.sleep(0.01)
    helpers = _children(proc.pid) or helpers
    assert helpers, "a run this size forks a helper process"
    os.kill(proc.pid, getattr(signal, how))
    _, err = proc.communicate(timeout=60)
    done = _count(db, "suggestionrun")
    assert 0 < done < len(texts)
    if how == "SIGINT":
        assert proc.returncode == 130
        assert "interrupted" in err
    else:
        assert proc.returncode == -signal.SIGKILL
    assert _gone(helpers), "the helper process outlived its parent"
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    again = _run("suggest", "--db", str(db))
    assert again.returncode == 0, again.stderr
    assert f"({done} done before)" in again.stdout
    assert _table_rows(db) == _reference(tmp_path, texts)


@pytest.mark.slow
def test_cli_suggest_two_runs_at_once_store_everything_once(tmp_path):
    texts = _texts(1200)
    db = tmp_path / "shared.db"
    _make_db(db, texts)
    runs = [
        subprocess.Popen(
            [*ANNOTATOR, "suggest", "--db", str(db)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in runs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    assert _table_rows(db) == _reference(tmp_path, texts)
