"""Finding label schemes by name or path: ./labels, $ANNOTATOR_LABELS, the bundled ones."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from annotator.domain.errors import SchemeError
from annotator.domain.scheme import (
    NAMED_COLOURS,
    POSITION_KEYS,
    Label,
    LabelScheme,
    load_scheme,
)

# The built-in schemes ship inside the package: annotator/labels is a symbolic link to the
# repository's labels/ folder (one copy in git), which the wheel build follows and copies.
BUNDLED_LABELS = Path(__file__).resolve().parent.parent / "labels"
DEFAULT_SCHEME = "conflict"

BUILT_IN = "built in"


@dataclass(frozen=True)
class LabelFolder:
    """A folder searched for ``NAME.toml`` and what it is: built in, ./labels or
    $ANNOTATOR_LABELS (``origin`` says which, for `annotator schemes`)."""

    path: Path
    origin: str


def label_folders() -> list[LabelFolder]:
    """Folders searched for ``NAME.toml``, first match wins: $ANNOTATOR_LABELS, ./labels,
    then the built-in schemes. A folder that is the built-in one (./labels in a checkout)
    counts as built in."""
    folders = []
    if os.environ.get("ANNOTATOR_LABELS"):
        folders.append(LabelFolder(Path(os.environ["ANNOTATOR_LABELS"]), "$ANNOTATOR_LABELS"))
    folders.append(LabelFolder(Path.cwd() / "labels", "./labels"))
    folders.append(LabelFolder(BUNDLED_LABELS, BUILT_IN))
    bundled = BUNDLED_LABELS.resolve()
    unique: list[LabelFolder] = []
    seen: set[Path] = set()
    for folder in folders:
        resolved = folder.path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        origin = BUILT_IN if resolved == bundled else folder.origin
        unique.append(LabelFolder(folder.path, origin))
    return unique


def label_dirs() -> list[Path]:
    """The paths of label_folders(), in the order searched."""
    return [folder.path for folder in label_folders()]


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
        f"{', '.join(shown_path(d) for d in label_dirs())})"
    )


def shown_path(path: str | Path) -> str:
    """``path`` relative to the working folder when it lies inside it; a built-in file as
    ``annotator/labels/NAME`` (inside the installed package); else as it is."""
    path = Path(path)
    for base in (Path.cwd(), BUNDLED_LABELS.parent.parent):
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            pass
        try:
            return str(path.absolute().relative_to(base.absolute()))
        except ValueError:
            pass
    return str(path)


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


@dataclass(frozen=True)
class FoundScheme:
    """A scheme file found in the label folders: where, from which origin, and the
    origins it overrides (a ./labels scheme of a built-in name, say)."""

    name: str
    path: Path
    origin: str
    overrides: tuple[str, ...] = ()


def found_schemes() -> list[FoundScheme]:
    """Every scheme name in the label folders with the file that wins, sorted by name."""
    found: dict[str, FoundScheme] = {}
    for folder in label_folders():
        if not folder.path.is_dir():
            continue
        for path in sorted(folder.path.glob("*.toml")):
            first = found.get(path.stem)
            if first is None:
                found[path.stem] = FoundScheme(path.stem, path, folder.origin)
            elif folder.origin not in first.overrides:
                found[path.stem] = FoundScheme(
                    first.name, first.path, first.origin, (*first.overrides, folder.origin)
                )
    return [found[name] for name in sorted(found)]


def available_schemes() -> dict[str, Path]:
    """Scheme names found in label_dirs(), mapped to the files that win."""
    return {scheme.name: scheme.path for scheme in found_schemes()}


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
