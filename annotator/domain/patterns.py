"""Pattern rules as read from a pattern file, and the ids that name suggestion sources."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

PATTERNS_PREFIX = "patterns:"
MODEL_PREFIX = "model:"


@dataclass(frozen=True, slots=True)
class PatternRule:
    """One EntityRuler pattern: a phrase (str) or a token pattern (list of token dicts)."""

    line: int  # where it stands in its file, for error messages
    label: str
    pattern: str | list[dict[str, Any]]
    id: str = ""

    def as_spacy(self) -> dict[str, Any]:
        """The pattern as spaCy's rulers take it."""
        entry: dict[str, Any] = {"label": self.label, "pattern": self.pattern}
        if self.id:
            entry["id"] = self.id
        return entry


@dataclass(frozen=True, slots=True)
class PatternSet:
    """The rules of one pattern file, and the SHA-256 (hex) of the file's bytes."""

    path: Path
    digest: str
    rules: tuple[PatternRule, ...]

    @property
    def source(self) -> str:
        """The suggestion source these rules stand for: ``patterns:<12 hex digits>``."""
        return patterns_source(self.digest)

    @property
    def labels(self) -> list[str]:
        """The labels the rules use, sorted."""
        return sorted({rule.label for rule in self.rules})


def patterns_source(digest: str) -> str:
    """The source id of a pattern file whose SHA-256 is ``digest``: a changed file is a
    new source, so its suggestions are computed afresh."""
    return PATTERNS_PREFIX + digest[:12]


def model_source(name: str, version: str) -> str:
    """The source id of a model from its meta name and version: ``model:<name>@<version>``."""
    clean = ["".join(part.split()) or "unnamed" for part in (name, version)]
    return f"{MODEL_PREFIX}{clean[0]}@{clean[1]}"


def superseded_by(source: str, current: str) -> bool:
    """True when ``source`` is another version of the model ``current`` names (same
    ``model:<name>@``, other version): its suggestions are older than current's."""
    if not current.startswith(MODEL_PREFIX) or "@" not in current:
        return False
    prefix = current.split("@", 1)[0] + "@"
    return source != current and source.startswith(prefix)
