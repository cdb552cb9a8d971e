"""`annotator train` and `annotator train-curve`: a NER model from the project's finished
work, with spaCy's own training, and how its dev score grows with the data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from annotator.cli.common import DbOption, app, open_db, reports_errors
from annotator.domain.text import visible

SourceOption = Annotated[
    str,
    typer.Option(
        "--source",
        metavar="gold|all|NAME",
        help="Train on the adjudicated gold (default), on all finished work (gold where an "
        "article has it, else its annotators' finished versions, which must agree), or on "
        "one annotator's finished work.",
    ),
]
BaseOption = Annotated[
    str,
    typer.Option(
        "--base",
        metavar="LANG_OR_PIPELINE",
        help="A language code for a new pipeline (default en), or a pipeline (installed "
        "package or folder) whose ner training starts from.",
    ),
]
StepsOption = Annotated[
    int | None,
    typer.Option(
        "--max-steps",
        metavar="N",
        help="Stop after N training steps (default 1000; training also stops when five "
        "evaluations in a row do not improve the dev score).",
    ),
]
SchemeOption = Annotated[
    str,
    typer.Option(
        "--scheme", metavar="NAME_OR_FILE", help="The scheme the data's labels must be in."
    ),
]


def _stop_cleanly_on_sigterm() -> None:
    """A terminated run unwinds like Ctrl+C, so that its half-built run folder is removed."""
    import signal

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def _f(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


@app.command("train")
@reports_errors
def train_command(
    db: DbOption = "",
    source: SourceOption = "gold",
    out: Annotated[
        Path,
        typer.Option("--out", metavar="DIR", help="Folder of the runs (one sub-folder each)."),
    ] = Path("models"),
    base: BaseOption = "en",
    max_steps: StepsOption = None,
    scheme: SchemeOption = "conflict",
    name: Annotated[
        str | None,
        typer.Option(
            "--name", metavar="NAME", help="Model name in its meta (default: the database's)."
        ),
    ] = None,
    use: Annotated[
        bool,
        typer.Option(
            "--use",
            help="Make the model the project's suggester and re-suggest: its suggestions "
            "replace the older versions' in articles nobody has opened.",
        ),
    ] = False,
    seed: Annotated[
        int, typer.Option("--seed", metavar="N", help="Seed of the train/dev split.")
    ] = 0,
) -> None:
    """Train a spaCy NER pipeline on finished annotations (spaCy's own training loop, on
    a seeded train/dev split of the articles) and save the run under --out: its config,
    data summary, scores and the best pipeline (loadable with spacy.load)."""
    from annotator.cli.progress import count_progress
    from annotator.services.training import (
        check_options,
        resuggest,
        train_model,
        training_data,
        use_model,
    )

    check_options(base=base, max_steps=max_steps)
    _stop_cleanly_on_sigterm()
    store = open_db(db)
    data = training_data(store, source=source, scheme=scheme, seed=seed)
    typer.echo(
        f"training on {len(data.records)} articles from {visible(source)} "
        f"({len(data.train_ids)} train, {len(data.dev_ids)} dev), "
        f"{sum(data.labels.values())} entities: "
        + ", ".join(f"{visible(k)} {v}" for k, v in data.labels.most_common())
    )
    typer.echo(f"{'step':>6}  {'loss':>9}  {'dev F1':>6}  {'P':>5}  {'R':>5}")

    def on_step(step) -> None:
        if step.f1 is not None:
            typer.echo(
                f"{step.step:>6}  {step.loss or 0.0:>9.2f}  {_f(step.f1):>6}  "
                f"{_f(step.precision):>5}  {_f(step.recall):>5}"
            )

    report = train_model(
        store,
        source=source,
        out=out,
        base=base,
        max_steps=max_steps,
        scheme=scheme,
        name=name,
        seed=seed,
        on_step=on_step,
        data=data,
    )
    result = report.result
    typer.echo(
        f"best dev F1 {_f(result.f1)} (P {_f(result.precision)}, R {_f(result.recall)}) "
        f"after {len(result.steps)} evaluations in {report.seconds:.0f} s"
    )
    for label, scores in sorted(result.per_label.items()):
        typer.echo(f"  {visible(label):<12} F1 {_f(scores.get('f'))}")
    if report.skipped:
        typer.echo(
            f"left out {len(report.skipped)} spans spaCy's NER cannot hold; first: "
            f"{visible(report.skipped[0])}"
        )
    typer.echo(f"saved run {report.run}: model {report.model} ({report.source_id})")
    if use:
        suggester = use_model(store, report.model)
        with count_progress("re-suggesting", refresh_thread=False) as progress:
            done = resuggest(store, suggester, progress=progress)
        typer.echo(
            f"now suggesting with {done.source}: {done.articles} articles suggested, "
            f"{done.replaced_suggestions} older suggestions replaced in "
            f"{done.replaced_articles} articles nobody has opened"
        )
    else:
        typer.echo(f"suggest with it: annotator suggest --model {report.model}")


@app.command("train-curve")
@reports_errors
def train_curve_command(
    db: DbOption = "",
    source: SourceOption = "gold",
    base: BaseOption = "en",
    max_steps: StepsOption = None,
    scheme: SchemeOption = "conflict",
    seed: Annotated[
        int, typer.Option("--seed", metavar="N", help="Seed of the train/dev split.")
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the curve as JSON.")] = False,
) -> None:
    """Train on 25, 50, 75 and 100 % of the training articles with the same dev set, and
    print the dev F1 of each (per label too): whether more annotation still helps."""
    from annotator.services.training import check_options, train_curve

    check_options(base=base, max_steps=max_steps)
    _stop_cleanly_on_sigterm()
    store = open_db(db)

    def on_point(point) -> None:
        if not as_json:
            typer.echo(
                f"{round(point.fraction * 100):>4} %  {point.articles:>5} articles  "
                f"dev F1 {_f(point.f1)}  ({point.evaluations} evaluations, "
                f"{point.seconds:.0f} s)"
            )

    if not as_json:
        typer.echo("training on 25 / 50 / 75 / 100 % of the training articles, same dev set")
    curve = train_curve(
        store,
        source=source,
        base=base,
        max_steps=max_steps,
        scheme=scheme,
        seed=seed,
        on_point=on_point,
    )
    if as_json:
        typer.echo(json.dumps(curve.to_json(), indent=2))
        return
    labels = sorted({label for p in curve.points for label in p.per_label})
    if labels:
        typer.echo("dev F1 by label:")
        typer.echo(
            f"  {'label':<12} " + " ".join(f"{round(p.fraction * 100):>5}%" for p in curve.points)
        )
        for label in labels:
            typer.echo(
                f"  {visible(label):<12} "
                + " ".join(f"{_f(p.per_label.get(label)):>6}" for p in curve.points)
            )
    typer.echo(curve.verdict)
