from __future__ import annotations

import json
import re
import subprocess
import sys

import click
import pytest
import typer
from typer.testing import CliRunner

from annotator import __version__
from annotator.cli import app, load_commands
from tests.conftest import REPO, SEEDS, dump, need

load_commands()  # every verb registered, as `annotator --help` does
runner = CliRunner()


def _commands() -> dict[str, click.Command]:
    return typer.main.get_command(app).commands  # type: ignore[attr-defined]


def test_cli_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"annotator {__version__}"


def test_cli_every_command_has_complete_help():
    for name, command in _commands().items():
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help and len(command.help) > 30, f"{name} needs a real description"
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert param.help, f"{name} {param.opts} has no help"


def test_cli_every_command_is_in_the_readme():
    readme = (REPO / "README.md").read_text()
    for name in _commands():
        assert re.search(rf"annotator {name}\b", readme), f"README does not show `annotator {name}`"


def test_cli_import_then_stats(tmp_path):
    db = tmp_path / "c.db"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Title A\nAssad's forces in Idlib")
    (tmp_path / "in" / "b.jsonl").write_text(json.dumps({"text": "[b]not markup[/b]"}) + "\n")
    result = runner.invoke(app, ["import", "--db", str(db), str(tmp_path / "in")])
    assert result.exit_code == 0, result.output
    assert (
        "imported 2 articles from 2 files: 0 already stored (duplicates), 0 empty skipped"
        in result.output
    )
    again = runner.invoke(app, ["import", "--db", str(db), str(tmp_path / "in")])
    assert "nothing new" in again.output
    stats = runner.invoke(app, ["stats", "--db", str(db), "--json"])
    assert json.loads(stats.output)["articles"] == 2
    table = runner.invoke(app, ["stats", "--db", str(db)])
    assert re.search(r"articles\s+│\s+2", table.output)


def test_cli_db_from_environment(tmp_path, monkeypatch):
    db = tmp_path / "env.db"
    monkeypatch.setenv("ANNOTATOR_DB", str(db))
    (tmp_path / "a.txt").write_text("x\ny")
    assert runner.invoke(app, ["import", str(tmp_path / "a.txt")]).exit_code == 0
    assert db.exists()


def test_cli_bad_input_is_one_line_and_exit_1(tmp_path):
    db = tmp_path / "c.db"
    good = tmp_path / "good.txt"
    good.write_text("fine\ntext")
    runner.invoke(app, ["import", "--db", str(db), str(good)])
    before = dump(db)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"title": "no text"}\n')
    # a real process, to see exactly what a user sees on stderr
    proc = subprocess.run(
        [sys.executable, "-m", "annotator", "import", "--db", str(db), str(bad)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"error: {bad}:2: record has no 'text'"
    assert "Traceback" not in proc.stderr
    assert dump(db) == before


def test_cli_error_messages_cannot_carry_escape_sequences(tmp_path):
    evil = tmp_path / "\x1b[31mred.txt"
    evil.write_bytes(b"\xff\xfe")
    result = runner.invoke(app, ["import", "--db", str(tmp_path / "c.db"), str(evil)])
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\u241b[31mred.txt" in result.output


def test_cli_schemes_lists_and_checks(tmp_path):
    listing = runner.invoke(app, ["schemes"])
    assert "conflict" in listing.output and "ontonotes" in listing.output
    broken = tmp_path / "broken.toml"
    broken.write_text('[scheme]\nname="b"\n[[labels]]\nname="A"\ncolour="nope"\n')
    result = runner.invoke(app, ["schemes", str(broken)])
    assert result.exit_code == 1 and "unknown colour 'nope'" in result.output


def test_cli_import_seeds(tmp_path):
    seeds = need(SEEDS)
    result = runner.invoke(app, ["import", "--db", str(tmp_path / "s.db"), str(seeds)])
    assert result.exit_code == 0
    assert f"imported {len(list(seeds.glob('*.txt')))} articles" in result.output


@pytest.mark.parametrize(
    "argv",
    [
        ["--annotator", "ana"],
        ["-a", "ana", "--db", "x.db"],
        ["--db", "sqlite:///y.db", "--annotator=bob", "--no-suggest"],
        ["--annotator", "ana", "--scheme", "ontonotes", "--suggest"],
        ["--no-suggest", "--suggest", "-a", "cy"],
        ["-a", "ana", "--retrain-every", "25"],
        ["-a", "ana", "--order", "uncertain", "--retrain-every", "5"],
    ],
)
def test_cli_quick_annotate_parses_like_typer(argv):
    """`annotator annotate` skips typer at start-up; both parsers must agree."""
    from annotator.cli import quick

    quick_args = quick.parse(argv)
    ctx = _commands()["annotate"].make_context("annotate", list(argv))
    assert quick_args is not None
    assert (
        quick_args.annotator,
        quick_args.db,
        quick_args.scheme,
        quick_args.suggest,
        quick_args.retrain_every,
        quick_args.order,
    ) == (
        ctx.params["annotator"],
        ctx.params["db"],
        ctx.params["scheme"],
        ctx.params["suggest"],
        ctx.params["retrain_every"],
        ctx.params["order"],
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--annotator"],
        ["--who", "ana"],
        ["-a", "ana", "extra"],
        [],
        ["-a", "ana", "--order", "random"],
    ],
)
def test_cli_quick_annotate_hands_the_rest_to_typer(argv):
    from annotator.cli import quick

    assert quick.parse(argv) is None


def test_cli_annotate_help_and_errors_still_come_from_typer():
    proc = subprocess.run(
        [sys.executable, "-m", "annotator", "annotate", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "--annotator" in proc.stdout and "--no-suggest" in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "annotator", "annotate"], capture_output=True, text=True
    )
    assert proc.returncode == 2 and "--annotator" in proc.stderr


def test_cli_annotate_bad_name_is_one_line_on_the_quick_path(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "annotator",
            "annotate",
            "--db",
            str(tmp_path / "x.db"),
            "-a",
            "two words",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert (
        proc.stderr.strip()
        == "error: annotator name 'two words' contains spaces or control characters"
    )
