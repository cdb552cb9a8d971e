"""The README runs: every ```console block of the tour is executed in a temporary folder
(in order, so that one block's database is the next one's) and its output compared with
the README's after normalising times, dated folders, the interpreter and paths.

A block preceded by ``<!-- no-run -->`` is not run (screens, benchmarks). In a block, a
line ``...`` stands for any number of output lines; a command with a ``# comment`` and
no output shown is run but its output is not compared. The files the tour names are made
here: ``../shared`` is linked in (the test skips without it), broken inputs are written,
and ``./models/mine`` is trained with tests/pipelines.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED, need

NO_RUN = "<!-- no-run -->"


@dataclass
class Command:
    """One ``$ command`` of a block and the output the README shows after it."""

    line: int
    command: str
    expected: list[str] = field(default_factory=list)


def console_blocks(readme: str) -> list[list[Command]]:
    """The runnable console blocks of ``readme``, as lists of commands."""
    blocks: list[list[Command]] = []
    lines = readme.split("\n")
    index = 0
    while index < len(lines):
        if lines[index].strip() != "```console":
            index += 1
            continue
        before = next((lines[j].strip() for j in range(index - 1, -1, -1) if lines[j].strip()), "")
        index += 1
        block: list[Command] = []
        while index < len(lines) and lines[index].strip() != "```":
            text = lines[index]
            if text.startswith("$ "):
                block.append(Command(index + 1, text[2:]))
            elif block:
                block[-1].expected.append(text)
            index += 1
        if before != NO_RUN and block:
            blocks.append(block)
        index += 1
    return blocks


def normalise(text: str, work: Path) -> list[str]:
    """Output lines with what changes from run to run made fixed."""
    text = text.replace(str(work) + "/", "").replace(str(work), ".")
    text = re.sub(r"\S*/python3?(\.\d+)?(?= -m )", "python", text)
    text = re.sub(r"\b\d+(\.\d+)? s\b", "T s", text)
    text = re.sub(r"\b[\d,]+ articles/s\b", "R articles/s", text)
    text = re.sub(r"exports/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d", "exports/DATE", text)
    return [line.rstrip() for line in text.rstrip("\n").split("\n")] if text.strip() else []


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` is ``expected``, a ``...`` line standing for any lines."""
    if not expected:
        return not actual
    if expected[0].strip() == "...":
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and actual[0] == expected[0] and matches(expected[1:], actual[1:])


def _prepare(work: Path) -> None:
    """The files the tour uses: ../shared, broken inputs, a trained pipeline, brat.db."""
    from tests.pipelines import save_trained_ner

    (work.parent / "shared").symlink_to(SHARED)
    (work / "broken.jsonl").write_text(
        json.dumps({"text": "A fine article."}) + "\n" + json.dumps({"title": "no text"}) + "\n"
    )
    (work / "my.patterns.jsonl").write_text(
        json.dumps({"label": "LOCATION", "pattern": "Idlib"})
        + "\n"
        + json.dumps({"label": "GPE", "pattern": "Hama"})
        + "\n"
    )
    save_trained_ner(work / "models" / "mine")
    _run(
        "annotator import --db brat.db --format brat "
        "../shared/fixtures/multi-annotator-brat/example-project",
        work,
    )


INTERACTIVE = ("annotator annotate", "annotator review")


def _run(command: str, work: Path) -> str:
    # A screen would wait for keys that never come: such a block needs <!-- no-run -->.
    assert not command.strip().startswith(INTERACTIVE), f"interactive block runs: {command}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ANNOTATOR_", "PYTEST", "FORCE_COLOR"))
    }
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        COLUMNS="80",
        NO_COLOR="1",
        TERM="dumb",
    )
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result.stdout + result.stderr


@pytest.mark.slow
def test_readme_tour_runs_as_shown(tmp_path):
    need(SHARED / "corpus" / "seeds")
    need(SHARED / "fixtures")
    work = tmp_path / "tour"
    work.mkdir()
    _prepare(work)
    failures = []
    updates: dict[int, tuple[int, list[str]]] = {}
    for block in console_blocks((REPO / "README.md").read_text()):
        for command in block:
            raw = _run(command.command, work)
            output = normalise(raw, work)
            expected = normalise("\n".join(command.expected), work)
            if not expected and "#" in command.command:
                continue
            if not matches(expected, output):
                if "..." not in command.expected:
                    updates[command.line] = (len(command.expected), _shown(raw, work))
                failures.append(
                    f"README.md:{command.line}: $ {command.command}\n--- README\n"
                    + "\n".join(expected)
                    + "\n--- actual\n"
                    + "\n".join(output)
                )
    if failures and os.environ.get("README_UPDATE"):
        _update_readme(updates)
    assert not failures, "\n\n".join(failures)


def _shown(raw: str, work: Path) -> list[str]:
    """Output as the README shows it: paths of the temporary folder made relative."""
    raw = raw.replace(str(work) + "/", "").replace(str(work), ".")
    raw = re.sub(r"\S*/python3?(\.\d+)?(?= -m )", "python", raw)
    return [line.rstrip() for line in raw.rstrip("\n").split("\n")] if raw.strip() else []


def _update_readme(updates: dict[int, tuple[int, list[str]]]) -> None:
    """README_UPDATE=1: write the real output under each command whose output differs
    (for a maintainer to review with git diff; never in CI)."""
    path = REPO / "README.md"
    lines = path.read_text().split("\n")
    for line, (count, output) in sorted(updates.items(), reverse=True):
        lines[line : line + count] = output
    path.write_text("\n".join(lines))
