"""Finding label schemes by name or path: ./labels, $ANNOTATOR_LABELS, the bundled ones."""

from __future__ import annotations

import os
from pathlib import Path

from annotator.domain.errors import SchemeError
from annotator.domain.scheme import LabelScheme, load_scheme

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
