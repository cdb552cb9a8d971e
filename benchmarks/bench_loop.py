"""The model in the loop on a generated task with a hidden truth: how good the suggestions
an annotator sees on the next 50 articles are after 0, 50, 100 and 200 finished ones, with
and without `--retrain-every`, and how many suggestions were accepted as they were.

The task (tests/synthetic.py) is template news whose true entities are known. A simulated
annotator works through the queue with the real annotation session: opens an article
(seeded with the stored suggestions), makes it match the truth (deletes wrong spans, adds
missing ones by hand) and finishes it, with a few percent of slips (missed entities,
wrong labels) that the model then learns from; F1 is measured against the truth itself. Both runs start with the conflict scheme's pattern
file as the suggester. With retraining, the real Retrainer (a helper process) trains on the
finished work every N articles and re-suggests the next unopened ones; before each
measurement the benchmark waits for the run under way (a real annotator is slower than
the training: see the seconds each retraining took).

F1 is exact (start, end, label) of the spans the annotator is shown (every source's
suggestions, merged as the screen seeds them) against the hidden truth.

    python benchmarks/bench_loop.py [--every 50] [--steps 1000]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

MARKS = (0, 50, 100, 200)
WINDOW = 50


def build(folder: Path, name: str, task) -> tuple[object, list[int]]:
    from annotator.nlp.suggester import SuggestConfig
    from annotator.services.suggesting import build_suggester, save_project_config, suggest_articles
    from tests.exchange import Article, new_store, populate

    store = new_store(folder, name)
    ids = populate(store, [Article(t.text, t.title) for t in task], [])
    suggester = build_suggester(SuggestConfig())
    save_project_config(store, SuggestConfig(), suggester.tokenizer_id)
    suggest_articles(store, suggester)
    return store, ids


def shown_f1(store, ids: list[int], truth: dict[int, set]) -> float:
    """Exact F1 of what the screen would seed into these (unopened) articles."""
    from annotator.domain.spans import Origin, Span, seed_suggestions
    from annotator.store.suggestions import suggestions_for

    with store.read() as session:
        found = suggestions_for(session, ids)
    matched = predicted = reference = 0
    for article_id in ids:
        spans = seed_suggestions(
            [Span(s.start, s.end, s.label, Origin.SUGGESTED) for s in found[article_id]], []
        )
        keys = {s.key for s in spans}
        matched += len(keys & truth[article_id])
        predicted += len(keys)
        reference += len(truth[article_id])
    return 2 * matched / (predicted + reference) if predicted + reference else 0.0


def with_slips(truth: set, rng) -> set:
    """What the simulated annotator marks: the truth, but for a missed entity (4 %) and a
    wrong label (3 %) now and then, as people slip; the model learns from these."""
    labels = sorted({label for _, _, label in truth}) or ["LOCATION"]
    marked = set()
    for start, end, label in sorted(truth):
        roll = rng.random()
        if roll < 0.04:
            continue
        if roll < 0.07 and len(labels) > 1:
            label = rng.choice([other for other in labels if other != label])
        marked.add((start, end, label))
    return marked


def annotate(session, article_id: int, truth: set) -> None:
    """Open the article, make it match ``truth`` (what the annotator marks), finish it."""
    from annotator.domain.editing import Change
    from annotator.domain.spans import Origin, Span, Status

    loaded = session.load(article_id)
    have = {s.key for s in loaded.spans}
    change = Change(
        removed=tuple(s for s in loaded.spans if s.key not in truth),
        added=tuple(Span(*key, Origin.MANUAL) for key in sorted(truth - have)),
    )
    if change:
        session.apply(article_id, change)
    session.finish(article_id, Status.DONE)


def run(folder: Path, task, *, every: int | None, steps: int | None):
    from annotator.services.annotating import AnnotationSession
    from annotator.services.evaluating import acceptance
    from annotator.services.retraining import Retrainer

    name = "retrain.db" if every else "plain.db"
    import random

    store, ids = build(folder, name, task)
    truth = {i: set(t.truth) for i, t in zip(ids, task, strict=True)}
    rng = random.Random(1)  # the same slips in both runs
    marked = {i: with_slips(truth[i], rng) for i in ids}
    session = AnnotationSession(store, "ana")
    trainings: list = []
    retrainer = (
        Retrainer(
            str(folder / name),
            "ana",
            every=every,
            lookahead=WINDOW,
            max_steps=steps,
            on_result=trainings.append,
        )
        if every
        else None
    )
    curve = {}
    try:
        for finished in range(max(MARKS) + 1):
            if finished in MARKS:
                if retrainer is not None:
                    retrainer.wait()
                curve[finished] = shown_f1(store, ids[finished : finished + WINDOW], truth)
            if finished == max(MARKS):
                break
            annotate(session, ids[finished], marked[ids[finished]])
            if retrainer is not None:
                retrainer.finished_one(ids[finished])
    finally:
        if retrainer is not None:
            retrainer.close()
    tally = acceptance(store)
    store.dispose()
    return curve, tally, trainings


def main() -> None:
    from tests.synthetic import make_task

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--steps", type=int, default=None, help="max steps (default: train's)")
    args = parser.parse_args()
    task = make_task(max(MARKS) + WINDOW, seed=11)
    folder = Path(tempfile.mkdtemp(prefix="bench-loop-"))
    try:
        started = time.perf_counter()
        plain, plain_tally, _ = run(folder, task, every=None, steps=args.steps)
        looped, loop_tally, trainings = run(folder, task, every=args.every, steps=args.steps)
        print(
            f"F1 of the suggestions shown on the next {WINDOW} articles "
            f"(hidden truth; {len(task)} generated articles)"
        )
        print(f"  {'finished':>8}  {'patterns only':>13}  {f'retrain every {args.every}':>16}")
        for mark in MARKS:
            print(f"  {mark:>8}  {plain[mark]:>13.3f}  {looped[mark]:>16.3f}")
        print("suggestions accepted as is (share of those shown, by source):")
        for label, tally in (("patterns only", plain_tally), ("with retraining", loop_tally)):
            for source, row in tally.by_source().items():
                print(
                    f"  {label:<16} {source:<34} {row['accepted']:>5} of {row['suggested']:>5}"
                    f"  {row['accepted_share']:.0%}"
                )
            total = sum(r["suggested"] for r in tally.by_source().values())
            accepted = sum(r["accepted"] for r in tally.by_source().values())
            if total:
                print(
                    f"  {label:<16} {'all sources':<34} {accepted:>5} of {total:>5}  {accepted / total:.0%}"
                )
        print("retraining runs (helper process, 2 cores):")
        for result in trainings:
            print(
                f"  trained on {result.trained_on:>3} articles: dev F1 {result.f1:.3f}, "
                f"{result.seconds:.0f} s wall, {result.cpu_seconds:.0f} s CPU (train + "
                f"re-suggest {result.articles} articles)"
            )
        print(f"whole benchmark {time.perf_counter() - started:.0f} s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
