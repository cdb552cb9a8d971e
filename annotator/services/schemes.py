"""Finding label schemes by name or path: ./labels, $ANNOTATOR_LABELS, the bundled ones."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from annotator.domain.errors import SchemeError
from annotator.domain.scheme import (
    NAMED_COLOURS,
    POSITION_KEYS,
    Label,
    LabelScheme,
    load_scheme,
)

BUNDLED_LABELS = Path(__file__).resolve().parent.parent.parent / "labels"
DEFAULT_SCHEME = "conflict"


def label_dirs() -> list[Path]:
    """Folders searched for ``NAME.toml``, first match wins."""
    dirs = []
    if os.environ.get("ANNOTATOR_LABELS"):
        dirs.append(Path(os.environ["ANNOTATOR_LABELS"]))
    dirs.append(Path.cwd() / "labels")
    dirs.append(BUNDLED_LABELS)
    unique: list[Path] = []
    for d in dirs:
        if d.resolve() not in [u.resolve() for u in unique]:
            unique.append(d)
    return unique


def find_scheme(name_or_path: str | Path | None = None) -> LabelScheme:
    """The scheme called ``name_or_path`` (a TOML path, or a name looked up in label_dirs())."""
    wanted = str(name_or_path or DEFAULT_SCHEME)
    candidate = Path(wanted)
    if candidate.suffix == ".toml" or candidate.exists():
        return load_scheme(candidate)
    for folder in label_dirs():
        path = folder / f"{wanted}.toml"
        if path.exists():
            return load_scheme(path)
    raise SchemeError(
        f"no label scheme {wanted!r} (looked for {wanted}.toml in "
        f"{', '.join(str(d) for d in label_dirs())})"
    )


DATA_SCHEME = "labels-in-the-data"


def scheme_from_labels(names: Sequence[str]) -> LabelScheme:
    """A scheme made of the labels stored annotations use (imported from another tool,
    say), in the order given: colours from the named palette in turn, the first ten
    labels on keys 1..9 and 0, the others without a key."""
    palette = [colour for name, colour in NAMED_COLOURS.items() if name not in _NEUTRAL]
    labels = tuple(
        Label(
            name=name,
            description="a label of the stored annotations",
            colour=palette[index % len(palette)],
            key=POSITION_KEYS[index] if index < len(POSITION_KEYS) else "",
        )
        for index, name in enumerate(names)
    )
    return LabelScheme(
        name=DATA_SCHEME, description="the labels the stored annotations use", labels=labels
    )


_NEUTRAL = {"grey", "gray", "white"}


def scheme_for(
    given: str | None, project: str | None, data_labels: Sequence[str] = ()
) -> LabelScheme:
    """The scheme a screen uses: the one asked for, else the project's (what `annotator
    suggest` last used). A project that never said gets the default scheme, unless the
    stored annotations (``data_labels``, in the order wanted) use labels it lacks: data
    imported from another tool then comes with a scheme of its own labels."""
    if given:
        return find_scheme(given)
    if project:
        return find_scheme(project)
    scheme = find_scheme(DEFAULT_SCHEME)
    if data_labels and not set(data_labels) <= set(scheme.names):
        return scheme_from_labels(data_labels)
    return scheme


def available_schemes() -> dict[str, Path]:
    """Scheme names found in label_dirs(), mapped to their files."""
    found: dict[str, Path] = {}
    for folder in label_dirs():
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                found.setdefault(path.stem, path)
    return found


def model_label_map(target: LabelScheme) -> dict[str, str]:
    """Labels of other schemes mapped into ``target`` (their ``[map_to.<target>]`` tables)."""
    mapping: dict[str, str] = {}
    for path in available_schemes().values():
        try:
            other = load_scheme(path)
        except SchemeError:
            continue
        for source, dest in other.map_to.get(target.name, {}).items():
            if target.label(dest) is None:
                raise SchemeError(f"{path}: [map_to.{target.name}] maps {source} to unknown {dest}")
            mapping.setdefault(source, dest)
    return mapping
