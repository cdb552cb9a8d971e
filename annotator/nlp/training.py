"""Training a spaCy NER pipeline with spaCy's own training loop: the config (from spaCy's
``init config`` defaults, or starting from a pipeline's ``ner``), the run, and the progress
of each evaluation step reported to a callback."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.domain.errors import InputError
from annotator.domain.text import visible

if TYPE_CHECKING:
    from thinc.api import Config

LOGGER = "annotator.ProgressLogger.v1"
CONSOLE_LOGGER = {"@loggers": "spacy.ConsoleLogger.v1", "progress_bar": False}
DEFAULT_MAX_STEPS = 1000


@dataclass(frozen=True)
class Step:
    """One step of the training loop; the dev scores are there at evaluation steps only."""

    step: int
    epoch: int = 0
    loss: float | None = None  # the ner loss summed since the previous evaluation
    f1: float | None = None
    precision: float | None = None
    recall: float | None = None
    per_label: dict[str, float] = field(default_factory=dict)  # dev F1 by label
    seconds: float = 0.0


StepCallback = Callable[[Step], None]
_listeners: list[StepCallback] = []  # the callback of the run under way (one per process)


def _register_logger() -> None:
    """Register (once) the spaCy logger that hands every step to the run's callback."""
    import spacy

    if LOGGER in spacy.registry.loggers:
        return

    @spacy.registry.loggers(LOGGER)
    def progress_logger():  # noqa: ANN202 - spaCy's logger protocol
        def setup(nlp, stdout=None, stderr=None):
            state = {"step": 0}

            def log_step(info: dict[str, Any] | None) -> None:
                state["step"] += 1
                if info is None:
                    step = Step(step=state["step"])
                else:
                    state["step"] = int(info["step"])
                    scores = info.get("other_scores") or {}
                    per_type = scores.get("ents_per_type") or {}
                    step = Step(
                        step=int(info["step"]),
                        epoch=int(info.get("epoch", 0)),
                        loss=float(sum((info.get("losses") or {}).values())),
                        f1=_number(scores.get("ents_f")),
                        precision=_number(scores.get("ents_p")),
                        recall=_number(scores.get("ents_r")),
                        per_label={k: float(v.get("f", 0.0)) for k, v in per_type.items()},
                        seconds=float(info.get("seconds", 0.0)),
                    )
                for listener in _listeners:
                    listener(step)

            def finalize() -> None:
                return None

            return log_step, finalize

        return setup


def _number(value: Any) -> float | None:
    return (
        None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
    )


def schedule(max_steps: int | None) -> tuple[int, int, int]:
    """(max steps, evaluation frequency, patience) for a run: at most ``max_steps``
    (default DEFAULT_MAX_STEPS), evaluating ten times over the run (every 10 to 100 steps),
    and stopping when five evaluations in a row did not improve the dev score."""
    steps = DEFAULT_MAX_STEPS if max_steps is None else max_steps
    if steps < 1:
        raise InputError(f"--max-steps must be at least 1, got {steps}")
    every = max(1, min(100, max(10, steps // 10), steps))
    return steps, every, 5 * every


def base_kind(base: str) -> str:
    """ "lang" when ``base`` is a spaCy language code, "pipeline" when it is an installed
    pipeline package or a pipeline folder; anything else is a one-line InputError."""
    import spacy

    path = Path(base).expanduser()
    if path.exists():
        if not (path / "config.cfg").is_file():
            raise InputError("--base: not a spaCy pipeline folder (no config.cfg)", path=path)
        return "pipeline"
    if spacy.util.is_package(base):
        return "pipeline"
    try:
        spacy.util.get_lang_class(base)
    except Exception:  # noqa: BLE001 - ImportError or spaCy's own error for an unknown code
        raise InputError(
            f"--base {visible(base)!r} is neither a spaCy language code (en, de, ...) nor an "
            "installed pipeline or a pipeline folder"
        ) from None
    return "lang"


def make_config(*, base: str, max_steps: int | None, seed: int) -> tuple[Config, str]:
    """The training config and the language of the pipeline: spaCy's ``init config``
    defaults for a CPU ner (tok2vec + ner), or, with a pipeline as ``base``, its ner
    sourced so that training starts from its weights (and its own labels stay)."""
    from spacy.cli.init_config import init_config

    kind = base_kind(base)
    if kind == "lang":
        lang = base
        source = None
    else:
        lang, pipes = _pipeline_facts(base)
        if "ner" not in pipes:
            raise InputError(f"--base {visible(base)!r} has no ner component to start from")
        source = (
            str(Path(base).expanduser().resolve()) if Path(base).expanduser().exists() else base
        )
    config = init_config(lang=lang, pipeline=["ner"], optimize="efficiency", gpu=False)
    if source is not None:
        _source_ner(config, base, source)
    steps, every, patience = schedule(max_steps)
    config["system"]["seed"] = seed
    config["training"]["max_steps"] = steps
    config["training"]["eval_frequency"] = every
    config["training"]["patience"] = patience
    config["training"]["logger"] = dict(CONSOLE_LOGGER)
    return config, lang


def _pipeline_facts(base: str) -> tuple[str, list[str]]:
    """The language and components of a pipeline, read from its config without loading it."""
    import spacy

    path = Path(base).expanduser()
    if not path.exists():
        path = spacy.util.get_package_path(base)
        # A package holds its pipeline in a versioned sub-folder.
        path = next((p.parent for p in path.glob("*/config.cfg")), path)
    config = spacy.util.load_config(path / "config.cfg")
    return str(config["nlp"]["lang"]), list(config["nlp"]["pipeline"])


def _source_ner(config: Config, base: str, source: str) -> None:
    """Make the config's ner the base pipeline's: copied with its weights, then trained
    further (spaCy adds the new labels as it meets them in the training data)."""
    import spacy

    nlp = spacy.load(source)
    if "tok2vec" in nlp.pipe_names and _listens(nlp):
        # The ner shares the pipeline's tok2vec: take both.
        config["nlp"]["pipeline"] = ["tok2vec", "ner"]
        config["components"]["tok2vec"] = {"source": source}
    else:
        config["nlp"]["pipeline"] = ["ner"]
        config["components"].pop("tok2vec", None)
    config["components"]["ner"] = {"source": source}


def _listens(nlp) -> bool:
    from spacy.pipeline.tok2vec import Tok2VecListener

    ner = nlp.get_pipe("ner")
    return any(isinstance(node, Tok2VecListener) for node in ner.model.walk())


@dataclass
class TrainResult:
    """What a run produced: the best pipeline's folder, its dev scores, the steps seen."""

    best: Path
    last: Path
    f1: float | None
    precision: float | None
    recall: float | None
    per_label: dict[str, dict[str, float]]
    steps: list[Step]


def train(
    config: Config,
    *,
    train_path: Path,
    dev_path: Path,
    output: Path,
    name: str,
    version: str,
    on_step: StepCallback | None = None,
) -> TrainResult:
    """Train with spaCy's own loop (``init_nlp`` and ``spacy.training.loop.train``, what
    ``spacy train`` runs) into ``output`` (model-best/, model-last/), naming the pipeline
    ``name`` ``version`` in its meta. Every step goes to ``on_step``."""
    import spacy
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import train as train_loop

    _register_logger()
    run_config = spacy.util.load_config_from_str(config.to_str(), interpolate=False)
    run_config["paths"]["train"] = str(train_path)
    run_config["paths"]["dev"] = str(dev_path)
    run_config["training"]["logger"] = {"@loggers": LOGGER}
    steps: list[Step] = []

    def listen(step: Step) -> None:
        if step.f1 is not None:
            steps.append(step)
        if on_step is not None:
            on_step(step)

    _listeners[:] = [listen]
    try:
        nlp = init_nlp(run_config, use_gpu=-1)
        nlp.meta["name"] = name
        nlp.meta["version"] = version
        train_loop(nlp, output, use_gpu=-1, stdout=io.StringIO(), stderr=io.StringIO())
    finally:
        _listeners.clear()
    best, last = output / "model-best", output / "model-last"
    for folder in (best, last):
        _plain_logger(folder)
    meta = spacy.util.load_meta(best / "meta.json")
    performance = meta.get("performance") or {}
    return TrainResult(
        best=best,
        last=last,
        f1=_number(performance.get("ents_f")),
        precision=_number(performance.get("ents_p")),
        recall=_number(performance.get("ents_r")),
        per_label={k: dict(v) for k, v in (performance.get("ents_per_type") or {}).items()},
        steps=steps,
    )


def _plain_logger(folder: Path) -> None:
    """Put spaCy's console logger back into a saved pipeline's config, so that the folder
    trains again with plain ``spacy train`` (our logger exists only in this process)."""
    import spacy

    path = folder / "config.cfg"
    if not path.is_file():
        return
    config = spacy.util.load_config(path, interpolate=False)
    config["training"]["logger"] = dict(CONSOLE_LOGGER)
    path.write_text(config.to_str(), encoding="utf-8")


def save_config(config: Config, path: Path) -> None:
    """Write a training config (as ``spacy train`` reads it)."""
    path.write_text(config.to_str(), encoding="utf-8")
