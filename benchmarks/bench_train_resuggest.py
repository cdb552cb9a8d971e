"""Re-suggesting 10,000 pending articles with a model `annotator train` made (tok2vec + ner)
against bare `nlp.pipe`, writes included, in one run.

A model is trained briefly on generated articles (its quality does not matter here, its
size does: spaCy's default CPU tok2vec + ner). Then, each in a fresh child process, with
the pipeline already loaded:

- ours: `services.training.resuggest` as `annotator train --use` runs it: remove older
  versions' suggestions in unopened articles, read the pending articles in pages, run the
  pipeline (from 2,500 pending articles on with a forked helper process on the other
  core), store suggestions, run markers and token offsets in committed batches.
- bare: the article texts read with sqlite3, `nlp.pipe(texts, batch_size=64)`, and every
  entity written with one sqlite3 executemany into a suggestion table, one commit.

    python benchmarks/bench_train_resuggest.py [--articles 10000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def prepare(folder: Path, articles: int) -> Path:
    from annotator.domain.spans import Origin, Span
    from annotator.services.training import train_model
    from tests.exchange import Annotation, Article, new_store, populate
    from tests.synthetic import make_task

    train = make_task(60, seed=5)
    store = new_store(folder, "train.db")
    populate(
        store,
        [Article(t.text) for t in train],
        [
            Annotation(i, "ana", [Span(s, e, label, Origin.MANUAL) for s, e, label in t.truth])
            for i, t in enumerate(train)
        ],
    )
    report = train_model(store, source="ana", out=folder / "models", max_steps=50)
    store.dispose()
    task = make_task(articles, seed=9)
    for name in ("ours.db", "bare.db"):
        target = new_store(folder, name)
        populate(target, [Article(t.text) for t in task], [])
        target.dispose()
    return report.model


def ours(folder: Path, model: str) -> dict:
    from annotator.nlp.suggester import SuggestConfig
    from annotator.services.suggesting import build_suggester, save_project_config
    from annotator.services.training import resuggest
    from annotator.store.engine import open_store

    store = open_store(folder / "ours.db")
    config = SuggestConfig(model=model, use_patterns=False)
    suggester = build_suggester(config)
    save_project_config(store, config, suggester.tokenizer_id)
    started = time.perf_counter()
    report = resuggest(store, suggester)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "articles": report.articles, "suggestions": report.suggestions}


def bare(folder: Path, model: str) -> dict:
    import spacy

    nlp = spacy.load(model)
    conn = sqlite3.connect(folder / "bare.db")
    started = time.perf_counter()
    rows = conn.execute("SELECT id, text FROM article ORDER BY id").fetchall()
    out = []
    for (article_id, _), doc in zip(
        rows, nlp.pipe((t for _, t in rows), batch_size=64), strict=True
    ):
        out.extend((article_id, "bare", e.start_char, e.end_char, e.label_) for e in doc.ents)
    conn.executemany(
        'INSERT INTO suggestion (article_id, source, start, "end", label) VALUES (?, ?, ?, ?, ?)',
        out,
    )
    conn.commit()
    seconds = time.perf_counter() - started
    conn.close()
    return {"seconds": seconds, "articles": len(rows), "suggestions": len(out)}


def child(side: str, folder: str, model: str) -> None:
    result = (ours if side == "ours" else bare)(Path(folder), model)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-resuggest-"))
    try:
        model = prepare(folder, args.articles)
        results = {}
        for side in ("bare", "ours"):
            output = subprocess.run(
                [sys.executable, __file__, "--child", side, str(folder), str(model)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            results[side] = json.loads(output.strip().splitlines()[-1])
            r = results[side]
            print(
                f"{side:>4}: {r['articles']:,} articles in {r['seconds']:.1f} s "
                f"({r['articles'] / r['seconds']:,.0f}/s), {r['suggestions']:,} suggestions"
            )
        ratio = results["bare"]["seconds"] / results["ours"]["seconds"]
        print(f"re-suggest: {ratio:.2f}x the speed of bare nlp.pipe + writes (target >= 0.9x)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
