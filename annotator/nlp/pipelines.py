"""Loading spaCy pipelines: an installed package or a pipeline folder, and naming them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from annotator.domain.errors import InputError
from annotator.domain.patterns import model_source
from annotator.domain.text import visible

if TYPE_CHECKING:
    from spacy.language import Language


def load_pipeline(name_or_path: str) -> Language:
    """The spaCy pipeline ``name_or_path``: a pipeline folder (one with config.cfg, as
    ``nlp.to_disk()`` and ``spacy train`` write it) or an installed pipeline package.

    Anything else, or a pipeline that fails to load, is a one-line InputError.
    """
    import spacy

    path = Path(name_or_path).expanduser()
    if path.exists():
        if not path.is_dir():
            raise InputError("not a spaCy pipeline folder (it is a file)", path=path)
        if not (path / "config.cfg").is_file():
            hint = next(
                (
                    f"; did you mean {path / sub}?"
                    for sub in ("model-best", "model-last")
                    if (path / sub / "config.cfg").is_file()
                ),
                "",
            )
            raise InputError(f"not a spaCy pipeline folder (no config.cfg){hint}", path=path)
        where = str(path)
        target: str | Path = path
    elif spacy.util.is_package(name_or_path):
        where = name_or_path
        target = name_or_path
    else:
        raise InputError(
            f"no spaCy pipeline {visible(name_or_path)!r}: not an installed package or a "
            "pipeline folder"
        )
    try:
        return spacy.load(target)
    except Exception as exc:  # noqa: BLE001 - any failure is the pipeline's, said in one line
        reason = visible(
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        )
        raise InputError(f"cannot load spaCy pipeline ({reason})", path=where) from None


def blank_pipeline(lang: str = "en") -> Language:
    """An empty pipeline with the tokenizer of language ``lang`` (no downloads needed)."""
    import spacy

    try:
        return spacy.blank(lang)
    except Exception:  # noqa: BLE001 - spaCy raises ImportError or its own errors here
        raise InputError(f"spaCy has no language {visible(lang)!r}") from None


def pipeline_source(nlp: Language) -> str:
    """The source id of a loaded pipeline: ``model:<meta name>@<meta version>``."""
    return model_source(str(nlp.meta.get("name", "")), str(nlp.meta.get("version", "")))


def has_default_meta(nlp: Language) -> bool:
    """True when the pipeline still has spaCy's default name and version, so two different
    models saved that way cannot be told apart by their source id."""
    return nlp.meta.get("name") == "pipeline" and nlp.meta.get("version") == "0.0.0"


def tokenizer_source(lang: str) -> str:
    """The id of spaCy's rule-based tokenizer for ``lang`` in the installed spaCy version."""
    import spacy

    return f"spacy:{lang}@{spacy.__version__}"
