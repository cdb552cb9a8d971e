"""The direction of imports is the architecture: check it, and keep heavy imports lazy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_architecture_import_linter_contracts_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "broken" not in proc.stdout.lower().replace("0 broken", "")


def _modules_after(statement: str) -> set[str]:
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(proc.stdout))


def test_architecture_core_imports_without_textual_or_spacy():
    loaded = _modules_after(
        "import annotator.domain.scheme, annotator.store.engine, annotator.store.queue, "
        "annotator.services.importing, annotator.formats.jsonl"
    )
    assert "textual" not in loaded
    assert "spacy" not in loaded


def test_architecture_cli_startup_loads_neither_spacy_textual_nor_sqlmodel():
    loaded = _modules_after("import annotator.cli")
    assert not {"spacy", "textual", "sqlmodel", "alembic"} & loaded


def test_architecture_exports_and_imports_load_no_orm():
    # Bulk verbs read and write with Core SQL: the ORM (SQLModel, pydantic) costs about
    # 0.4 s of start-up that an export or an annotated import does not need.
    loaded = _modules_after(
        "import annotator.services.exporting, annotator.services.importing, annotator.store.engine"
    )
    assert not {"sqlmodel", "pydantic", "sqlalchemy.orm"} & loaded
