from __future__ import annotations

import hashlib
import json

import pytest

from annotator.domain.errors import InputError
from annotator.formats.patterns import read_patterns
from annotator.services.schemes import find_scheme

LABELS = ["PERSON", "LOCATION", "WEAPON"]


def test_patterns_reads_rules_with_their_lines_and_the_file_digest(tmp_path):
    path = tmp_path / "p.jsonl"
    lines = [
        json.dumps({"label": "LOCATION", "pattern": "Idlib"}),
        "",
        json.dumps({"label": "WEAPON", "pattern": [{"LOWER": "tank"}], "id": "tank"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    patterns = read_patterns(path, LABELS)
    assert [(r.line, r.label, r.pattern, r.id) for r in patterns.rules] == [
        (1, "LOCATION", "Idlib", ""),
        (3, "WEAPON", [{"LOWER": "tank"}], "tank"),
    ]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert patterns.source == "patterns:" + digest[:12]
    assert patterns.labels == ["LOCATION", "WEAPON"]


def test_patterns_bundled_conflict_file_is_valid_for_its_scheme():
    scheme = find_scheme("conflict")
    assert scheme.patterns is not None
    patterns = read_patterns(scheme.patterns, scheme.names)
    assert len(patterns.rules) > 200
    assert set(patterns.labels) == set(scheme.names)  # every label has rules


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (b'{"label": "PERSON", "pattern": "Assad"}\n\xff\xfe\n', 2, "not UTF-8"),
        (b'{"label": "PERSON", "pattern": "Assad"}\n{"label": \n', 2, "invalid JSON"),
        (b'["PERSON", "Assad"]\n', 1, "expected a JSON object"),
        (b'{"pattern": "Assad"}\n', 1, "no 'label'"),
        (b'{"label": "", "pattern": "Assad"}\n', 1, "no 'label'"),
        (b'{"label": "PERSON"}\n', 1, "no 'pattern'"),
        (b'{"label": "GPE", "pattern": "Idlib"}\n', 1, "label 'GPE' is not in the scheme"),
        (b'{"label": "PERSON", "pattern": "  "}\n', 1, "empty phrase"),
        (b'{"label": "PERSON", "pattern": []}\n', 1, "non-empty list of token objects"),
        (b'{"label": "PERSON", "pattern": ["Assad"]}\n', 1, "non-empty list of token objects"),
        (b'{"label": "PERSON", "pattern": 7}\n', 1, "got int"),
        (b'{"label": "PERSON", "pattern": "Assad", "id": 3}\n', 1, "'id' must be a string"),
        (b'{"label": "PERSON", "patern": "x", "pattern": "Assad"}\n', 1, "unknown keys 'patern'"),
    ],
)
def test_patterns_bad_line_is_named(tmp_path, content, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_patterns(path, LABELS)
    assert caught.value.path == str(path)
    assert caught.value.line == line
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_patterns_file_without_rules_is_refused(tmp_path, content):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    with pytest.raises(InputError, match="has no patterns"):
        read_patterns(path, LABELS)


def test_patterns_missing_file_is_refused(tmp_path):
    with pytest.raises(InputError, match="cannot read pattern file"):
        read_patterns(tmp_path / "nope.jsonl", LABELS)
