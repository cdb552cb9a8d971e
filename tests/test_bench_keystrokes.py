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
    command = f"{sys.executable} -m annotator annotate --db {copy} --annotator other --no-suggest"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40", command], check=True
    )
    try:
        time.sleep(3)
        for keys in json.loads(out.read_text()).values():
            for key in keys:
                if key.startswith("text:"):
                    subprocess.run(["tmux", "send-keys", "-t", name, "-l", key[5:]], check=True)
                else:
                    subprocess.run(["tmux", "send-keys", "-t", name, key], check=True)
                time.sleep(0.4 if key in ("/", "a") else 0.05)
        time.sleep(2)
        subprocess.run(["tmux", "send-keys", "-t", name, "q"], check=True)
        time.sleep(3)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    assert bench.stored_spans(copy, "other") == bench.stored_spans(db, "keys-bench")
