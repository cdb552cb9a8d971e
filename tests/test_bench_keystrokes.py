"""The keystroke benchmark on a small generated corpus: every article must verify (the
stored annotation equals the hidden truth); and its keys, replayed in tmux into another
annotator on a copy of the database, give the same annotations."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_keystrokes as bench  # noqa: E402


def test_bench_keystrokes_generated_corpus_verifies(tmp_path, capsys):
    out = tmp_path / "keys.json"
    code = bench.main(
        [
            "--generate",
            "2",
            "--sources",
            "patterns",
            "--keep",
            str(tmp_path),
            "--json",
            "--keys-out",
            str(out),
        ]
    )
    report = json.loads(capsys.readouterr().out)
    run = report["runs"]["generated 2, patterns"]
    assert code == 0 and run["failed"] == []
    assert run["verified"] == run["articles"] == 2
    keys = json.loads(out.read_text())
    assert len(keys) == 2 and all(k[-1] == "a" for k in keys.values())


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_bench_keystrokes_keys_replayed_in_tmux_give_the_same_annotations(tmp_path, capsys):
    out = tmp_path / "keys.json"
    assert (
        bench.main(
            [
                "--generate",
                "2",
                "--sources",
                "patterns",
                "--keep",
                str(tmp_path),
                "--keys-out",
                str(out),
            ]
        )
        == 0
    )
    capsys.readouterr()
    db = tmp_path / "generated" / "patterns.db"
    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)
    name = f"bench-keys-{time.monotonic_ns()}"
    tmux = ["tmux", "-L", name]  # a server of its own (see tests/tui/test_tui_tmux.py)
    # COLUMNS / LINES (a tmux server started under pytest has them: 80x24) would make the
    # app draw at that size in the 120x40 window; jump hints name the words in view.
    command = (
        f"env -u COLUMNS -u LINES {sys.executable} -m annotator annotate --db {copy}"
        " --annotator other --no-suggest"
    )
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", name, "-x", "120", "-y", "40", command], check=True
    )
    try:
        time.sleep(3)
        for keys in json.loads(out.read_text()).values():
            for key in keys:
                if key.startswith("text:"):
                    subprocess.run([*tmux, "send-keys", "-t", name, "-l", key[5:]], check=True)
                else:
                    subprocess.run([*tmux, "send-keys", "-t", name, key], check=True)
                time.sleep(0.4 if key in ("/", "a") else 0.05)
        time.sleep(2)
        subprocess.run([*tmux, "send-keys", "-t", name, "q"], check=True)
        time.sleep(3)
    finally:
        subprocess.run([*tmux, "kill-session", "-t", name], capture_output=True)
    replayed, planned = bench.stored_spans(copy, "other"), bench.stored_spans(db, "keys-bench")
    differ = {
        k: (replayed[k][0], sorted(replayed[k][1] ^ planned[k][1]))
        for k in planned
        if replayed.get(k) != planned[k] and k in replayed
    }
    assert replayed == planned, (differ, out.read_text())


def test_bench_keystrokes_verifies_articles_whose_furniture_the_import_trimmed(tmp_path, capsys):
    # Two articles share a paragraph: the import trims it from both as site furniture, so
    # the stored texts differ from the gold's; the benchmark matches them by that trimming
    # and maps the gold offsets (it used to skip them as "not in the gold file").
    articles = bench.generate(3, seed=5)
    shared = articles[0]["text"].split("\n\n")[1]
    offset = articles[0]["text"].index(shared)
    for target in (articles[1], articles[2]):
        base = len(target["text"]) + 2
        target["text"] += "\n\n" + shared
        target["spans"] += [
            {
                "start": s["start"] - offset + base,
                "end": s["end"] - offset + base,
                "label": s["label"],
            }
            for s in articles[0]["spans"]
            if offset <= s["start"] and s["end"] <= offset + len(shared)
        ]
    db, gold = bench.build(tmp_path / "generated", articles, "patterns")
    stored = {text for _, (text, _) in _texts(db).items()}
    assert {a["text"] for a in articles} - stored, "the import trimmed nothing: no test"
    code = bench.main(["--db", str(db), "--gold", str(gold), "--json", "--scheme", "conflict"])
    captured = capsys.readouterr()
    run = json.loads(captured.out)["runs"][str(db)]
    assert code == 0 and run["failed"] == [] and run["verified"] == run["articles"] == 3
    assert "3 gold article(s) matched" in captured.err


def _texts(db: Path) -> dict[int, tuple[str, dict]]:
    from sqlmodel import select

    from annotator.store.engine import open_store
    from annotator.store.models import Article

    store = open_store(db)
    try:
        with store.read() as session:
            return {a.id: (a.text, a.meta) for a in session.exec(select(Article))}
    finally:
        store.dispose()
