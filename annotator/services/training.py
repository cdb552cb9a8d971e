"""Train a NER model on the project's finished work and make it the suggester: choose the
training data (gold, one annotator, or all finished work), refuse data that cannot train,
build the DocBins with the export's builder, run spaCy's training into a run folder, and
re-suggest with the new version where nobody has started."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from annotator.domain.errors import InputError
from annotator.domain.patterns import MODEL_PREFIX
from annotator.domain.records import AnnotatedRecord, ArticleRecord
from annotator.domain.spans import Origin
from annotator.domain.split import train_dev_split
from annotator.domain.text import visible
from annotator.formats import docbin
from annotator.formats.common import SpanProblems
from annotator.nlp import training as nlp_training
from annotator.nlp.pipelines import blank_pipeline
from annotator.services.schemes import find_scheme
from annotator.store.annotations import stored_annotations
from annotator.store.engine import Store
from annotator.store.exports import selected_articles
from annotator.store.loop import drop_superseded
from annotator.store.queue import annotator_names

MODELS_DIR = Path("models")
# Fewer finished articles than this cannot give both a training and a dev part that say
# anything (a dev part of one or two articles makes every score 0 or 1).
MIN_ARTICLES = 10
SOURCES_HELP = "gold (adjudicated), all (gold, else an annotator's finished work) or a name"

StepCallback = Callable[[nlp_training.Step], None]


@dataclass
class TrainingData:
    """The examples a run trains and evaluates on, one version per article, and the split."""

    source: str
    records: list[AnnotatedRecord]
    hashes: dict[int, str]  # article id -> content hash
    train_ids: list[int]  # in the split's ranked order (the curve takes prefixes of it)
    dev_ids: list[int]
    labels: Counter[str] = field(default_factory=Counter)


def _check_source(session, source: str) -> None:
    if source in ("gold", "all"):
        return
    names = annotator_names(session)
    if source not in names:
        raise InputError(
            f"no annotator {visible(source)!r} to train on (use {SOURCES_HELP}; annotators: "
            f"{', '.join(visible(n) for n in names) or 'nobody yet'})"
        )


def _record(stored) -> AnnotatedRecord:
    article = ArticleRecord(
        text=stored.text,
        title=stored.title,
        source=stored.source,
        meta=stored.meta,
        external_id=stored.external_id,
        where=f"article {stored.article_id}",
    )
    return AnnotatedRecord(
        article=article,
        spans=[s for s in stored.spans if s.origin is not Origin.SUGGESTED],
        annotator=stored.annotator,
        status=stored.status,
        article_id=stored.article_id,
    )


def training_data(
    store: Store,
    *,
    source: str = "gold",
    scheme: str | None = "conflict",
    split: float = 0.8,
    seed: int = 0,
    min_articles: int = MIN_ARTICLES,
) -> TrainingData:
    """The finished ("done") annotations of ``source`` as training data, split by article
    with the export's seeded split. ``all`` takes an article's gold where it has one, else
    its annotators' finished work, which must agree.

    Refused with one line: too few articles (naming the minimum), labels the scheme does
    not have, and articles whose finished versions disagree (there is no single truth)."""
    with store.read() as session:
        _check_source(session, source)
        if source == "all":
            records = _gold_else_finished(session)
        else:
            records = [_record(s) for s in stored_annotations(session, source=source)]
        hashes = {
            row[0]: row[1]
            for row in selected_articles(
                session.connection(), source="gold" if source == "gold" else "all"
            )
        }
        hashes.update(
            {row[0]: row[1] for row in selected_articles(session.connection(), source="gold")}
        )
    who = {"gold": "the adjudicated gold", "all": "gold and finished work"}.get(
        source, f"annotator {visible(source)}"
    )
    with_entities = sum(1 for r in records if r.spans)
    if len(records) < min_articles or with_entities == 0:
        raise InputError(
            f"too little data to train: {len(records)} finished article"
            f"{'s' if len(records) != 1 else ''} from {who} ({with_entities} with entities); "
            f"training needs at least {min_articles} finished articles, some with entities"
        )
    labels: Counter[str] = Counter(span.label for r in records for span in r.spans)
    if scheme is not None:
        known = find_scheme(scheme)
        missing = sorted(set(labels) - set(known.names))
        if missing:
            first = {
                label: next(r.article_id for r in records if any(s.label == label for s in r.spans))
                for label in missing
            }
            raise InputError(
                f"labels in the training data are missing from scheme {known.name}: "
                + ", ".join(
                    f"{visible(m)} ({labels[m]} spans, first in article {first[m]})"
                    for m in missing
                )
                + f" (known: {', '.join(known.names)}); train with --scheme NAME or fix them"
            )
    ids: list[int] = []
    for r in records:
        assert r.article_id is not None  # records read from the store carry their article id
        ids.append(r.article_id)
    train_hashes = train_dev_split((hashes[i] for i in ids), split, seed)
    ranked = sorted(ids, key=lambda i: _rank(seed, hashes[i]))
    return TrainingData(
        source=source,
        records=records,
        hashes={i: hashes[i] for i in ids},
        train_ids=[i for i in ranked if hashes[i] in train_hashes],
        dev_ids=[i for i in ranked if hashes[i] not in train_hashes],
        labels=labels,
    )


def check_options(*, base: str, max_steps: int | None) -> None:
    """Refuse a --base that is neither a language nor a pipeline, and a bad --max-steps,
    before anything starts."""
    nlp_training.schedule(max_steps)
    nlp_training.base_kind(base)


def _rank(seed: int, content_hash: str) -> bytes:
    import hashlib

    return hashlib.sha256(f"{seed}:{content_hash}".encode("ascii")).digest()


def _gold_else_finished(session) -> list[AnnotatedRecord]:
    """One record per article: its gold if done, else its annotators' finished versions,
    which must hold the same spans."""
    gold = {s.article_id: _record(s) for s in stored_annotations(session, source="gold")}
    own: dict[int, list[AnnotatedRecord]] = {}
    for stored in stored_annotations(session, source="all"):
        if stored.article_id not in gold:
            own.setdefault(stored.article_id, []).append(_record(stored))
    records = dict(gold)
    for article_id, versions in own.items():
        keys = {tuple(sorted(s.key for s in v.spans)) for v in versions}
        if len(keys) > 1:
            names = ", ".join(sorted(visible(v.annotator or "?") for v in versions))
            raise InputError(
                f"article {article_id} has conflicting finished versions by {names} and no "
                "gold; adjudicate it (annotator review) or train on --source gold or "
                "--source NAME"
            )
        records[article_id] = versions[0]
    return [records[i] for i in sorted(records)]


def write_docbins(
    data: TrainingData, folder: Path, *, lang: str, fraction: float = 1.0
) -> tuple[dict[str, int], list[str]]:
    """``train.spacy`` and ``dev.spacy`` in ``folder`` from the export's DocBin builder; the
    training part keeps the first ``fraction`` of its articles (the dev part stays whole).
    Spans spaCy's NER cannot hold are left out and listed."""
    keep = set(data.train_ids[: max(1, round(len(data.train_ids) * fraction))])
    dev = set(data.dev_ids)
    problems = SpanProblems(skip_invalid=True)
    records = (r for r in data.records if r.article_id in keep or r.article_id in dev)
    bins = docbin.build(
        records,
        nlp=blank_pipeline(lang),
        spans_key=None,
        is_train=lambda record: record.article_id in keep,
        problems=problems,
    )
    return docbin.save(bins, folder), problems.found


@dataclass
class TrainReport:
    """What `annotator train` did: the run folder, its pipeline and source id, the data."""

    run: Path
    model: Path
    source_id: str
    data: dict[str, Any]
    result: nlp_training.TrainResult
    seconds: float
    skipped: list[str] = field(default_factory=list)
    resuggested: ResuggestReport | None = None


def model_name(store: Store) -> str:
    """The default model name: the database file's stem (``news`` for news.db), cleaned
    to letters, digits and underscores."""
    stem = "annotator"
    if store.url.startswith("sqlite:///"):
        stem = Path(store.url[len("sqlite:///") :]).stem or stem
    return re.sub(r"\W", "_", stem) or "annotator"


def _run_id(out: Path) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    run, n = stamp, 1
    while (out / run).exists():
        n += 1
        run = f"{stamp}-{n}"
    return run


def train_model(
    store: Store,
    *,
    source: str = "gold",
    out: Path = MODELS_DIR,
    base: str = "en",
    max_steps: int | None = None,
    scheme: str | None = "conflict",
    name: str | None = None,
    split: float = 0.8,
    seed: int = 0,
    on_step: StepCallback | None = None,
    min_articles: int = MIN_ARTICLES,
    data: TrainingData | None = None,
) -> TrainReport:
    """Train a NER pipeline on ``source`` into a new run folder under ``out``: config.cfg,
    data.json (what it trained on), train/dev.spacy, scores.json (each evaluation) and
    model-best/ (loadable with spacy.load) and model-last/. The folder is built under a
    temporary name and renamed when training has succeeded: a failed or interrupted run
    leaves nothing."""
    started = time.perf_counter()
    if data is None:
        data = training_data(
            store, source=source, scheme=scheme, split=split, seed=seed, min_articles=min_articles
        )
    config, lang = nlp_training.make_config(base=base, max_steps=max_steps, seed=seed)
    name = name or model_name(store)
    out.mkdir(parents=True, exist_ok=True)
    run_id = _run_id(out)
    temporary = out / f".{run_id}.tmp"
    final = out / run_id
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir()
    try:
        parts, skipped = write_docbins(data, temporary, lang=lang)
        nlp_training.save_config(config, temporary / docbin.CONFIG)
        summary = {
            "source": data.source,
            "articles": len(data.records),
            "parts": parts,
            "split": split,
            "seed": seed,
            "base": base,
            "labels": dict(sorted(data.labels.items())),
            "skipped_spans": len(skipped),
            "name": name,
            "version": run_id,
        }
        (temporary / "data.json").write_text(json.dumps(summary, indent=2) + "\n")
        result = nlp_training.train(
            config,
            train_path=temporary / "train.spacy",
            dev_path=temporary / "dev.spacy",
            output=temporary,
            name=name,
            version=run_id,
            on_step=on_step,
        )
        scores = {
            "f1": result.f1,
            "precision": result.precision,
            "recall": result.recall,
            "per_label": result.per_label,
            "steps": [
                {"step": s.step, "loss": s.loss, "f1": s.f1, "per_label": s.per_label}
                for s in result.steps
            ],
        }
        (temporary / "scores.json").write_text(json.dumps(scores, indent=2) + "\n")
        os.replace(temporary, final)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    result.best = final / "model-best"
    result.last = final / "model-last"
    return TrainReport(
        run=final,
        model=result.best,
        source_id=f"{MODEL_PREFIX}{name}@{run_id}",
        data=summary,
        result=result,
        seconds=time.perf_counter() - started,
        skipped=skipped,
    )


@dataclass
class ResuggestReport:
    """What re-suggesting with a model did: older versions' suggestions removed (in
    articles nobody opened), articles suggested afresh."""

    source: str
    replaced_articles: int = 0
    replaced_suggestions: int = 0
    articles: int = 0
    suggestions: int = 0
    seconds: float = 0.0


def use_model(store: Store, model: Path) -> Any:
    """Make the pipeline at ``model`` the project's suggester (keeping its scheme and
    patterns) and return the suggester built from that setup."""
    from annotator.services.suggesting import build_suggester, project_config, save_project_config

    config = replace(project_config(store), model=str(model.resolve()))
    suggester = build_suggester(config)
    save_project_config(store, config, suggester.tokenizer_id)
    return suggester


def drop_older_versions(
    store: Store, suggester: Any, *, article_ids: list[int] | None = None
) -> tuple[int, int]:
    """Remove the suggestions of other versions of the suggester's model (same name, other
    version) from the articles nobody has opened; (articles, suggestions) removed."""
    source = suggester.model_source or ""
    if not source:
        return 0, 0
    prefix = source.split("@", 1)[0] + "@"
    with store.write_connection() as conn:
        return drop_superseded(conn, prefix=prefix, keep=source, article_ids=article_ids)


def resuggest(
    store: Store,
    suggester: Any,
    *,
    article_ids: Iterable[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ResuggestReport:
    """Suggest with ``suggester`` (whose model is a new version) after removing the older
    versions' suggestions from the articles nobody has opened: every article that lacks
    the new version's suggestions, or only ``article_ids``. Annotations someone has
    started or finished are never touched: their spans live in the annotation itself."""
    from annotator.services.suggesting import suggest_article, suggest_articles

    started = time.perf_counter()
    source = suggester.model_source or ""
    report = ResuggestReport(source=source)
    ids = None if article_ids is None else list(article_ids)
    # The new version's suggestions go in first and the older ones out after, so that an
    # article opened meanwhile is seeded with at least one version, never with none.
    if ids is None:
        done = suggest_articles(store, suggester, progress=progress)
        report.articles = done.articles
        report.suggestions = sum(done.labels.values())
    else:
        for count, article_id in enumerate(ids, 1):
            if suggest_article(store, suggester, article_id):
                report.articles += 1
            if progress is not None:
                progress(count, len(ids))
    report.replaced_articles, report.replaced_suggestions = drop_older_versions(
        store, suggester, article_ids=ids
    )
    report.seconds = time.perf_counter() - started
    return report


CURVE_FRACTIONS = (0.25, 0.5, 0.75, 1.0)
# A rise of the dev F1 from 75 % to 100 % of the data above this says "still helping".
STILL_HELPING = 0.01


@dataclass
class CurvePoint:
    """One run of the curve: the share of training articles, and its best dev scores."""

    fraction: float
    articles: int
    f1: float | None
    per_label: dict[str, float]
    steps: list[tuple[int, float | None]]  # (step, dev F1) at each evaluation
    evaluations: int
    seconds: float


@dataclass
class Curve:
    """The train curve and what it says."""

    dev_articles: int
    points: list[CurvePoint]

    @property
    def verdict(self) -> str:
        """Whether the last quarter of the data still raised the dev F1."""
        last = self.points[-1].f1 if len(self.points) >= 2 else None
        before = self.points[-2].f1 if len(self.points) >= 2 else None
        if last is None or before is None:
            return "cannot tell whether more data helps: a run had no dev score"
        rise = last - before
        if rise > STILL_HELPING:
            return (
                f"still improving: +{rise:.3f} dev F1 from 75 % to 100 % of the data; more "
                "annotation is likely to help"
            )
        return (
            f"flat: {rise:+.3f} dev F1 from 75 % to 100 % of the data; more of the same "
            "annotation is unlikely to help much"
        )

    def to_json(self) -> dict[str, Any]:
        """The curve as plain JSON values."""
        return {
            "dev_articles": self.dev_articles,
            "points": [
                {
                    "fraction": p.fraction,
                    "articles": p.articles,
                    "f1": p.f1,
                    "per_label": p.per_label,
                    "steps": [{"step": s, "f1": f} for s, f in p.steps],
                    "seconds": round(p.seconds, 2),
                }
                for p in self.points
            ],
            "verdict": self.verdict,
        }


def train_curve(
    store: Store,
    *,
    source: str = "gold",
    base: str = "en",
    max_steps: int | None = None,
    scheme: str | None = "conflict",
    seed: int = 0,
    fractions: tuple[float, ...] = CURVE_FRACTIONS,
    on_point: Callable[[CurvePoint], None] | None = None,
    min_articles: int = MIN_ARTICLES,
) -> Curve:
    """Train on each fraction of the training articles (the first of the split's seeded
    ranking, so each run's data holds the previous one's) and evaluate on the same dev
    articles; nothing is kept on disk."""
    import tempfile

    data = training_data(store, source=source, scheme=scheme, seed=seed, min_articles=min_articles)
    config, lang = nlp_training.make_config(base=base, max_steps=max_steps, seed=seed)
    points: list[CurvePoint] = []
    with tempfile.TemporaryDirectory(prefix="annotator-curve-") as folder:
        for fraction in fractions:
            started = time.perf_counter()
            run = Path(folder) / f"{round(fraction * 100)}"
            run.mkdir()
            parts, _ = write_docbins(data, run, lang=lang, fraction=fraction)
            result = nlp_training.train(
                config,
                train_path=run / "train.spacy",
                dev_path=run / "dev.spacy",
                output=run,
                name="curve",
                version=run.name,
            )
            point = CurvePoint(
                fraction=fraction,
                articles=parts["train"],
                f1=result.f1,
                per_label={k: float(v.get("f", 0.0)) for k, v in result.per_label.items()},
                steps=[(s.step, s.f1) for s in result.steps],
                evaluations=len(result.steps),
                seconds=time.perf_counter() - started,
            )
            points.append(point)
            if on_point is not None:
                on_point(point)
            shutil.rmtree(run, ignore_errors=True)
    return Curve(dev_articles=len(data.dev_ids), points=points)
