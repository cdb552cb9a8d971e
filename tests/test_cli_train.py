"""`annotator train`, `train-curve`, `evaluate` and the acceptance tables of `stats`, run as
a user runs them (a real process on a real SQLite file; tiny training runs)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.domain.spans import Origin, Span
from tests.exchange import Annotation, Article, new_store, populate
from tests.synthetic import make_task

ANNOTATOR = [sys.executable, "-m", "annotator"]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*ANNOTATOR, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """news.db: 40 generated articles, 30 finished by ana with the true entities."""
    folder = tmp_path_factory.mktemp("project")
    task = make_task(40)
    store = new_store(folder, "news.db")
    populate(
        store,
        [Article(t.text, t.title) for t in task],
        [
            Annotation(i, "ana", [Span(s, e, label, Origin.MANUAL) for s, e, label in t.truth])
            for i, t in enumerate(task[:30])
        ],
    )
    store.dispose()
    return folder


def test_cli_train_use_then_evaluate_the_new_source(project):
    result = _run(
        "train", "--db", "news.db", "--source", "ana", "--max-steps", "20", "--use", cwd=project
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("training on 30 articles from ana (24 train, 6 dev), ")
    assert lines[1].split() == ["step", "loss", "dev", "F1", "P", "R"]
    assert [line.split()[0] for line in lines[2:5]] == ["0", "10", "20"]
    saved = next(line for line in lines if line.startswith("saved run "))
    run = saved.split()[2].rstrip(":")
    source = saved.rsplit("(", 1)[1].rstrip(")")
    assert source == f"model:news@{Path(run).name}"
    assert (project / run / "model-best" / "meta.json").is_file()
    assert lines[-1].startswith(f"now suggesting with {source}: 40 articles suggested")

    table = _run("evaluate", "--db", "news.db", "--against", "ana", cwd=project)
    assert table.returncode == 0, table.stderr
    assert f"{source} against ana (30 articles)" in table.stdout
    rows = list(
        csv.DictReader(
            io.StringIO(
                _run(
                    "evaluate",
                    "--db",
                    "news.db",
                    "--against",
                    "ana",
                    "--format",
                    "csv",
                    "--source",
                    source,
                    cwd=project,
                ).stdout
            )
        )
    )
    assert rows[-1]["label"] == "all" and rows[-1]["reference"] == str(
        sum(int(r["reference"]) for r in rows[:-1])
    )
    data = json.loads(
        _run(
            "evaluate", "--db", "news.db", "--against", "ana", "--format", "json", cwd=project
        ).stdout
    )
    measured = data["sources"][source]
    gate = _run(
        "evaluate",
        "--db",
        "news.db",
        "--against",
        "ana",
        "--source",
        source,
        "--fail-under",
        f"f1={min(1.0, (measured['f1'] or 0) + 0.01):.2f}",
        cwd=project,
    )
    assert gate.returncode == 1
    assert gate.stderr.splitlines()[-1].startswith(f"error: {source}: f1 = ")
    assert "is under" in gate.stderr and "Traceback" not in gate.stderr
    passing = _run(
        "evaluate",
        "--db",
        "news.db",
        "--against",
        "ana",
        "--source",
        source,
        "--fail-under",
        "f1=0",
        "--format",
        "json",
        cwd=project,
    )
    assert passing.returncode == 0, passing.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--source", "gold"], "error: too little data to train: 0 finished articles"),
        (["train", "--source", "zoe"], "error: no annotator 'zoe' to train on"),
        (["train", "--source", "ana", "--max-steps", "0"], "error: --max-steps must be at least 1"),
        (["train", "--source", "ana", "--base", "qq"], "error: --base 'qq' is neither"),
        (["evaluate", "--fail-under", "f1"], "error: --fail-under 'f1': expected MEASURE=VALUE"),
        (["evaluate", "--fail-under", "kappa=0.5"], "error: --fail-under 'kappa=0.5': unknown"),
        (["evaluate"], "error: nothing to evaluate against: no finished annotations from gold"),
        (["train-curve", "--source", "gold"], "error: too little data to train"),
    ],
)
def test_cli_train_and_evaluate_refuse_in_one_line(project, args, message):
    result = _run(args[0], "--db", "news.db", *args[1:], cwd=project)
    assert result.returncode == 1
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not list((project / "models").glob(".*.tmp")) if (project / "models").exists() else True


@pytest.mark.slow
def test_cli_train_curve_prints_four_points_and_a_verdict(project):
    result = _run(
        "train-curve", "--db", "news.db", "--source", "ana", "--max-steps", "10", cwd=project
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    points = [line for line in lines if line.strip().split()[1:2] == ["%"]]
    assert [p.split()[0] for p in points] == ["25", "50", "75", "100"]
    assert [p.split()[2] for p in points] == ["6", "12", "18", "24"]
    assert lines[-1].startswith(("still improving:", "flat:"))
    assert "dev F1 by label:" in lines


def test_cli_stats_shows_acceptance_only_with_seeded_work(project):
    result = _run("stats", "--db", "news.db", "--json", cwd=project)
    assert result.returncode == 0, result.stderr
    acceptance = json.loads(result.stdout)["acceptance"]
    # The finished work was imported, never seeded from suggestions.
    assert acceptance["annotations"] == 0 and acceptance["by_source"] == {}


def test_cli_suggest_with_a_new_version_replaces_the_old_one_where_unopened(tmp_path):
    from sqlalchemy import select

    from annotator.services.annotating import AnnotationSession
    from annotator.store.engine import open_store
    from annotator.store.models import Suggestion
    from tests.pipelines import save_trained_ner

    texts = ["Fighting went on in Idlib on Monday.", "Aid reached Aleppo on Sunday."] * 3
    store = new_store(tmp_path, "news.db")
    ids = populate(store, [Article(f"{t} ({i})") for i, t in enumerate(texts)], [])
    store.dispose()
    v1 = save_trained_ner(tmp_path / "v1", name="news", version="1")
    v2 = save_trained_ner(tmp_path / "v2", name="news", version="2")
    first = _run("suggest", "--db", "news.db", "--no-patterns", "--model", str(v1), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    store = open_store(tmp_path / "news.db")
    with store.read() as session:
        before = session.execute(select(Suggestion.article_id)).all()
    replaceable = len([a for (a,) in before if a != ids[0]])
    assert replaceable
    AnnotationSession(store, "ana").load(ids[0])  # ana opened the first article
    second = _run("suggest", "--db", "news.db", "--no-patterns", "--model", str(v2), cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    with store.read() as session:
        rows = session.execute(select(Suggestion.article_id, Suggestion.source)).all()
    store.dispose()
    old = [a for a, s in rows if s == "model:news@1"]
    assert set(old) == {ids[0]}
    assert {a for a, s in rows if s == "model:news@2"} == set(ids)
    assert f"replaced {replaceable} suggestions of older versions" in second.stdout
    assert f"in {len(ids) - 1} articles nobody has opened" in second.stdout


def test_cli_train_terminated_leaves_no_run_folder(project, tmp_path):
    import signal
    import time

    out = tmp_path / "runs"
    child = subprocess.Popen(
        [
            *ANNOTATOR,
            "train",
            "--db",
            "news.db",
            "--source",
            "ana",
            "--out",
            str(out),
            "--max-steps",
            "5000",
        ],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not list(out.glob(".*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(out.glob(".*.tmp")), "the run never started"
    time.sleep(1)
    child.send_signal(signal.SIGTERM)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130
    assert stderr.strip().splitlines()[-1] == (
        "interrupted: nothing of the unfinished step was stored"
    )
    assert list(out.iterdir()) == []


def test_cli_annotate_refuses_a_bad_retrain_interval(project):
    result = _run("annotate", "--db", "news.db", "-a", "ana", "--retrain-every", "0", cwd=project)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: --retrain-every must be at least 1, got 0"
