"""spaCy EntityRuler pattern files: one JSON object per line with ``label`` and ``pattern``."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from pathlib import Path

from annotator.domain.errors import InputError
from annotator.domain.patterns import PatternRule, PatternSet
from annotator.domain.text import visible
from annotator.formats.fileio import iter_lines
from annotator.formats.jsonl import parse_json_line

SUFFIXES = (".jsonl",)
_KEYS = {"label", "pattern", "id"}


def read_patterns(path: Path, labels: Collection[str]) -> PatternSet:
    """Read and check every rule of ``path``; the first bad line raises InputError naming it.

    A rule must have a ``label`` that is one of ``labels`` and a ``pattern``: a non-blank
    phrase, or a non-empty list of token objects (spaCy checks those further when the ruler
    is built). ``id`` is optional. Blank lines are skipped; a file without rules is an error.
    """
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise InputError(f"cannot read pattern file ({exc.strerror})", path=path) from None
    known = set(labels)
    rules: list[PatternRule] = []
    for number, line in iter_lines(path):
        if isinstance(line, InputError):
            raise line
        obj = parse_json_line(line, path, number)
        if obj is None:
            continue
        label = obj.get("label")
        if not isinstance(label, str) or not label:
            raise InputError("pattern has no 'label'", path=path, line=number)
        if label not in known:
            raise InputError(
                f"label {visible(label)!r} is not in the scheme (known: {', '.join(labels)})",
                path=path,
                line=number,
            )
        if "pattern" not in obj:
            raise InputError("pattern line has no 'pattern'", path=path, line=number)
        pattern = obj["pattern"]
        if isinstance(pattern, str):
            if not pattern.strip():
                raise InputError("'pattern' is an empty phrase", path=path, line=number)
        elif isinstance(pattern, list):
            if not pattern or not all(isinstance(token, dict) for token in pattern):
                raise InputError(
                    "'pattern' must be a phrase or a non-empty list of token objects",
                    path=path,
                    line=number,
                )
        else:
            raise InputError(
                f"'pattern' must be a phrase or a list of token objects, got "
                f"{type(pattern).__name__}",
                path=path,
                line=number,
            )
        rule_id = obj.get("id", "")
        if not isinstance(rule_id, str):
            raise InputError("'id' must be a string", path=path, line=number)
        unknown = sorted(set(obj) - _KEYS)
        if unknown:
            raise InputError(
                f"unknown keys {', '.join(map(repr, unknown))} (a pattern line has label, "
                "pattern and optionally id)",
                path=path,
                line=number,
            )
        rules.append(PatternRule(line=number, label=label, pattern=pattern, id=rule_id))
    if not rules:
        raise InputError("pattern file has no patterns", path=path)
    return PatternSet(path=path, digest=digest, rules=tuple(rules))
