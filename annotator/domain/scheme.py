"""Label schemes: labels with description, colour and hotkey, loaded from TOML and checked."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.domain.errors import SchemeError

# Keys the annotation screen binds itself; a scheme may not take them as label hotkeys.
RESERVED_KEYS = frozenset("a s f u p n q h l j k A / ? [ ] { } space tab e w W b r".split())
POSITION_KEYS = "1234567890"  # the N-th label answers to the N-th of these keys

NAMED_COLOURS = {
    "red": "#e05252",
    "orange": "#e8923a",
    "amber": "#e0b030",
    "yellow": "#d8d040",
    "lime": "#9ccc3c",
    "green": "#4caf50",
    "teal": "#2aa198",
    "cyan": "#3cc0d0",
    "sky": "#5aa9e6",
    "blue": "#4a7be0",
    "indigo": "#6a5acd",
    "violet": "#9b6ad0",
    "purple": "#a04ab0",
    "magenta": "#d050a0",
    "pink": "#f080b0",
    "brown": "#a0703c",
    "olive": "#8a8a30",
    "grey": "#9a9a9a",
    "gray": "#9a9a9a",
    "white": "#f0f0f0",
}
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_LABEL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")


@dataclass(frozen=True, slots=True)
class Label:
    """One entity label: its name, what it is for, its colour (#rrggbb) and its hotkey."""

    name: str
    description: str
    colour: str
    key: str


@dataclass(frozen=True, slots=True)
class LabelScheme:
    """An ordered set of labels, an optional pattern file, and maps to other schemes."""

    name: str
    description: str
    labels: tuple[Label, ...]
    patterns: Path | None = None
    map_to: dict[str, dict[str, str]] = field(default_factory=dict)
    path: Path | None = None

    @property
    def names(self) -> list[str]:
        """Label names in scheme order."""
        return [label.name for label in self.labels]

    def label(self, name: str) -> Label | None:
        """The label called ``name``, or None."""
        for label in self.labels:
            if label.name == name:
                return label
        return None

    def by_key(self, key: str) -> Label | None:
        """The label whose hotkey or position key is ``key``, or None."""
        if not key:
            return None  # labels past the tenth may have no key at all
        for index, label in enumerate(self.labels):
            if label.key == key or (index < len(POSITION_KEYS) and POSITION_KEYS[index] == key):
                return label
        return None

    def colour_of(self, name: str, default: str = "#9a9a9a") -> str:
        """The colour of label ``name``; labels outside the scheme get a neutral grey."""
        label = self.label(name)
        return label.colour if label else default


def normalise_colour(value: str) -> str | None:
    """``#rgb``/``#rrggbb``/a known name as lowercase ``#rrggbb``, or None if unknown."""
    value = value.strip()
    if _HEX.match(value):
        if len(value) == 4:
            value = "#" + "".join(c * 2 for c in value[1:])
        return value.lower()
    return NAMED_COLOURS.get(value.lower())


def parse_scheme(data: dict[str, Any], origin: str, base_dir: Path | None = None) -> LabelScheme:
    """Build and validate a scheme from parsed TOML; ``origin`` names it in errors."""
    meta = data.get("scheme", {})
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise SchemeError(f"{origin}: missing [scheme] name")
    raw_labels = data.get("labels")
    if not isinstance(raw_labels, list) or not raw_labels:
        raise SchemeError(f"{origin}: a scheme needs at least one [[labels]] entry")
    labels: list[Label] = []
    seen_names: dict[str, int] = {}
    seen_keys: dict[str, str] = {}
    for index, raw in enumerate(raw_labels):
        where = f"{origin}: label #{index + 1}"
        if not isinstance(raw, dict):
            raise SchemeError(f"{where}: must be a table")
        name = raw.get("name")
        if not isinstance(name, str) or not _LABEL_NAME.match(name):
            raise SchemeError(f"{where}: invalid name {name!r} (letters, digits, _ and -)")
        where = f"{origin}: label {name}"
        if name in seen_names:
            raise SchemeError(f"{where}: duplicate label (also label #{seen_names[name] + 1})")
        seen_names[name] = index
        colour_raw = raw.get("colour", raw.get("color"))
        if not isinstance(colour_raw, str):
            raise SchemeError(f"{where}: missing colour")
        colour = normalise_colour(colour_raw)
        if colour is None:
            raise SchemeError(
                f"{where}: unknown colour {colour_raw!r} (use #rrggbb or one of "
                f"{', '.join(sorted(NAMED_COLOURS))})"
            )
        position_key = POSITION_KEYS[index] if index < len(POSITION_KEYS) else ""
        key = raw.get("key", position_key)
        if key == "":
            raise SchemeError(f"{where}: labels after the tenth need an explicit hotkey")
        if not isinstance(key, str) or len(key) != 1 or key.isspace():
            raise SchemeError(f"{where}: hotkey must be one character, got {key!r}")
        if key in RESERVED_KEYS:
            raise SchemeError(f"{where}: hotkey {key!r} is reserved by the annotation screen")
        if key in POSITION_KEYS and key != position_key:
            raise SchemeError(
                f"{where}: hotkey {key!r} is the position key of label #{POSITION_KEYS.index(key) + 1}"
            )
        if key in seen_keys:
            raise SchemeError(f"{where}: duplicate hotkey {key!r} (also {seen_keys[key]})")
        seen_keys[key] = name
        description = raw.get("description", "")
        if not isinstance(description, str):
            raise SchemeError(f"{where}: description must be text")
        labels.append(Label(name=name, description=description, colour=colour, key=key))

    patterns = None
    if meta.get("patterns"):
        patterns = Path(meta["patterns"])
        if base_dir is not None and not patterns.is_absolute():
            patterns = base_dir / patterns
    map_to: dict[str, dict[str, str]] = {}
    raw_maps = data.get("map_to", {})
    if not isinstance(raw_maps, dict):
        raise SchemeError(f"{origin}: [map_to] must be a table of tables")
    for target, mapping in raw_maps.items():
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise SchemeError(f"{origin}: [map_to.{target}] must map label names to label names")
        unknown = [k for k in mapping if k not in seen_names]
        if unknown:
            raise SchemeError(f"{origin}: [map_to.{target}] maps unknown labels {unknown}")
        map_to[target] = dict(mapping)
    return LabelScheme(
        name=meta["name"],
        description=str(meta.get("description", "")),
        labels=tuple(labels),
        patterns=patterns,
        map_to=map_to,
    )


def load_scheme(path: Path) -> LabelScheme:
    """Read and validate a scheme TOML file; any problem is a one-line SchemeError."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SchemeError(f"{path}: cannot read scheme ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SchemeError(f"{path}: scheme is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SchemeError(f"{path}: invalid TOML ({exc})") from None
    scheme = parse_scheme(data, str(path), path.parent)
    return LabelScheme(
        name=scheme.name,
        description=scheme.description,
        labels=scheme.labels,
        patterns=scheme.patterns,
        map_to=scheme.map_to,
        path=path,
    )
