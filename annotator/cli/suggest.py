"""`annotator suggest`: pre-annotate articles with pattern rules and/or a spaCy pipeline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from annotator.cli.common import DbOption, app, open_db, reports_errors
from annotator.cli.output import echo, shown
from annotator.cli.progress import count_progress


@app.command("suggest")
@reports_errors
def suggest_command(
    db: DbOption = "",
    scheme: Annotated[
        str,
        typer.Option(
            "--scheme", metavar="NAME_OR_FILE", help="Label scheme: a name or a TOML file."
        ),
    ] = "conflict",
    patterns: Annotated[
        Path | None,
        typer.Option(
            "--patterns",
            metavar="FILE",
            help="EntityRuler pattern file (JSONL) to use instead of the scheme's own.",
        ),
    ] = None,
    no_patterns: Annotated[
        bool, typer.Option("--no-patterns", help="Suggest with the model only.")
    ] = False,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            metavar="NAME_OR_PATH",
            help="An installed spaCy pipeline package or a pipeline folder; its entity "
            "labels are mapped into the scheme, labels it cannot map are dropped.",
        ),
    ] = None,
    lang: Annotated[
        str,
        typer.Option("--lang", metavar="CODE", help="Tokenizer language when there is no --model."),
    ] = "en",
) -> None:
    """Suggest entities for every article that has none yet from these sources: the
    scheme's pattern file (or --patterns FILE; spaCy EntityRuler patterns, one JSON object
    per line), and/or a spaCy pipeline (--model). Runs in batches, each committed at once: an interrupted run
    continues where it stopped, and a second run only does what is new. The setup used
    becomes the project's (the annotation screen suggests with it)."""
    from annotator.nlp.pipelines import has_default_meta
    from annotator.nlp.suggester import SuggestConfig
    from annotator.services.suggesting import (
        build_suggester,
        save_project_config,
        suggest_articles,
    )
    from annotator.store.articles import count_articles

    if no_patterns and patterns is not None:
        raise typer.BadParameter("--patterns and --no-patterns contradict each other")
    config = SuggestConfig(
        scheme=scheme,
        patterns=str(patterns) if patterns is not None else None,
        use_patterns=not no_patterns,
        model=model,
        lang=lang,
    )
    store = open_db(db)
    suggester = build_suggester(config)
    # Stored with absolute paths, so that the annotation screen finds the same files
    # from any folder; messages keep the paths as they were typed.
    stored = replace(
        config,
        scheme=_absolute_if_file(scheme),
        patterns=_absolute_if_file(str(patterns)) if patterns is not None else None,
        model=_absolute_if_file(model) if model else None,
    )
    with store.read() as session:
        articles = count_articles(session)
    for line in _describe(suggester):
        echo(line)
    if suggester.model_source and has_default_meta(suggester.nlp):
        echo(
            "note: the model has spaCy's default name and version (pipeline 0.0.0), so a "
            "retrained model saved the same way counts as the same source; set meta "
            "name/version to tell them apart",
            err=True,
        )
    if articles == 0:
        echo("no articles in the database: import some first (annotator import)")
        return
    save_project_config(store, stored, suggester.tokenizer_id)
    # No refresh thread: with one thread, the helper process can be forked (see
    # services.background.ChildWorker.can_fork) instead of importing spaCy afresh.
    with count_progress("suggesting", refresh_thread=False) as progress:
        report = suggest_articles(store, suggester, progress=progress)
    from annotator.services.training import drop_older_versions

    replaced = drop_older_versions(store, suggester)
    done_before = articles - report.pending
    if report.pending == 0:
        echo(f"nothing to do: all {articles} articles already have these suggestions")
        return
    rate = report.articles / report.seconds if report.seconds else 0.0
    total = sum(report.labels.values())
    echo(
        f"suggested for {report.articles} article{'s' if report.articles != 1 else ''} "
        f"({done_before} done before) in {report.seconds:.1f} s, {rate:,.0f} articles/s: "
        f"{total} suggestion{'s' if total != 1 else ''}"
    )
    width = max((len(label) for label in report.labels), default=0)
    for label, count in sorted(report.labels.items(), key=lambda item: (-item[1], item[0])):
        echo(f"  {shown(label):<{width}}  {count:>6}")
    if len(report.by_source) > 1:
        echo(
            "by source: "
            + ", ".join(f"{shown(s)} {n}" for s, n in sorted(report.by_source.items()))
        )
    if replaced[1]:
        typer.echo(
            f"replaced {replaced[1]} suggestions of older versions of the model in "
            f"{replaced[0]} articles nobody has opened"
        )
    if report.dropped:
        echo(
            f"dropped model labels (not in scheme {shown(suggester.scheme)}): "
            + ", ".join(
                f"{shown(label)} {count}"
                for label, count in sorted(report.dropped.items(), key=lambda i: (-i[1], i[0]))
            )
        )


def _absolute_if_file(value: str) -> str:
    """A path that exists, made absolute so that the stored setup works from any folder;
    anything else (a scheme or package name) as given."""
    path = Path(value).expanduser()
    return str(path.resolve()) if path.exists() else value


def _short(path: str | Path | None) -> str:
    """A path relative to the current folder when it lies inside it (a built-in scheme's
    file as annotator/labels/NAME)."""
    from annotator.services.schemes import shown_path

    return "" if path is None else shown_path(path)


def _describe(suggester) -> list[str]:
    """What the run suggests with, one line per source."""
    lines = []
    config = suggester.config
    if suggester.pattern_source:
        lines.append(
            f"patterns: {shown(suggester.pattern_source)} ({shown(_short(suggester.pattern_file))})"
        )
    if suggester.model_source:
        mapped = [
            f"{label}->{target}" if target != label else label
            for label in suggester.model_labels
            if (target := suggester.label_for(label)) is not None
        ]
        lost = [label for label in suggester.model_labels if suggester.label_for(label) is None]
        line = f"model:    {shown(suggester.model_source)} ({shown(_short(config.model if config else ''))})"
        if suggester.model_labels:
            line += f"; labels used: {shown(', '.join(mapped)) or 'none'}"
            if lost:
                line += f"; dropped: {shown(', '.join(lost))}"
        if suggester.left_out:
            line += f"; not run (no use for entities): {shown(', '.join(suggester.left_out))}"
        lines.append(line)
    return lines
