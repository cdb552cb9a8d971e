"""Installed use: the schemes ship inside the package (the wheel holds them), ./labels and
$ANNOTATOR_LABELS add or override, and a failed demo leaves no database behind."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.cli import app, load_commands
from annotator.domain.errors import SchemeError
from annotator.services.demo import build_demo
from annotator.services.schemes import (
    BUILT_IN,
    BUNDLED_LABELS,
    find_scheme,
    found_schemes,
    shown_path,
)
from tests.conftest import REPO

load_commands()
runner = CliRunner()


def test_install_bundled_labels_are_the_repository_labels():
    """One copy in git: the package's labels folder is a link to the repository's."""
    assert BUNDLED_LABELS.parent.name == "annotator"
    assert (REPO / "annotator" / "labels").is_symlink()
    assert BUNDLED_LABELS.resolve() == (REPO / "labels").resolve()
    assert (BUNDLED_LABELS / "conflict.toml").is_file()


def test_install_schemes_found_from_an_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANNOTATOR_LABELS", raising=False)
    found = {s.name: s for s in found_schemes()}
    assert set(found) >= {"conflict", "ontonotes"}
    assert found["conflict"].origin == BUILT_IN and found["conflict"].overrides == ()
    scheme = find_scheme("conflict")
    assert scheme.patterns is not None and scheme.patterns.is_file()


def _scheme_file(folder: Path, name: str, label: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(
        f'[scheme]\nname = "{name}"\ndescription = "test"\n'
        f'[[labels]]\nname = "{label}"\ndescription = "x"\ncolour = "red"\nkey = "1"\n'
    )
    return path


def test_install_local_and_env_labels_add_and_override(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _scheme_file(tmp_path / "labels", "conflict", "LOCAL")
    _scheme_file(tmp_path / "labels", "mine", "MINE")
    _scheme_file(tmp_path / "elsewhere", "mine", "ENV")
    monkeypatch.setenv("ANNOTATOR_LABELS", str(tmp_path / "elsewhere"))
    found = {s.name: s for s in found_schemes()}
    assert found["conflict"].origin == "./labels"
    assert found["conflict"].overrides == (BUILT_IN,)
    assert found["mine"].origin == "$ANNOTATOR_LABELS"
    assert found["mine"].overrides == ("./labels",)
    assert found["ontonotes"].origin == BUILT_IN
    assert find_scheme("conflict").names == ["LOCAL"]
    assert find_scheme("mine").names == ["ENV"]
    assert shown_path(found["conflict"].path) == "labels/conflict.toml"
    listing = runner.invoke(app, ["schemes"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0, listing.output
    rows = {line.split("│")[1].strip(): line for line in listing.output.splitlines() if "│" in line}
    assert "./labels (over built in)" in rows["conflict"]
    assert "labels/conflict.toml" in rows["conflict"]
    assert "$ANNOTATOR_LABELS (over ./labels)" in rows["mine"]
    assert "built in" in rows["ontonotes"]


def test_install_no_scheme_anywhere_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("annotator.services.schemes.BUNDLED_LABELS", tmp_path / "none")
    result = runner.invoke(app, ["schemes"])
    assert result.exit_code == 1
    assert result.output.startswith("error: no label schemes found")
    with pytest.raises(SchemeError, match="no label scheme 'conflict'"):
        find_scheme("conflict")


def test_install_demo_from_an_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = build_demo(Path("demo.db"))
    assert report.imported.imported == 10 and report.suggestions > 0
    again = build_demo(Path("demo.db"))
    assert again.imported.imported == 0 and again.imported.duplicates == 10
    assert again.suggested_articles == 0


def test_install_failed_demo_leaves_nothing_behind(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "conflict.toml").write_text("not toml\n")
    result = runner.invoke(app, ["demo", "--no-tui"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "conflict.toml" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels"]


@pytest.mark.slow
def test_install_wheel_carries_schemes_and_data(tmp_path):
    """The wheel built from this tree holds the schemes and pattern file inside annotator/."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("annotator-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (p.name for p in (REPO / "labels").iterdir()):
        assert f"annotator/labels/{name}" in names
    assert "annotator/data/demo_articles.jsonl" in names
    assert not any(name.startswith("labels/") for name in names)
