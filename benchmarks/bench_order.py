"""`annotate --order uncertain`: how long ordering an annotator's queue by disagreement
between suggestion sources takes (the screen's first article waits for it), against a bare
baseline in the same run: one stdlib sqlite3 read of the same suggestion rows, the same
measure in plain Python, a sort, and an executemany of the new positions.

Builds N articles (default 10,000) with two sources, as `annotator suggest` stores them: a
"patterns" source with 6 spans an article and a "model" source that agrees on a varying
share of them and adds some of its own. The annotator has finished none (open mode).

    python benchmarks/bench_order.py [--articles 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def build(folder: Path, articles: int) -> Path:
    from annotator.store.engine import open_store

    db = folder / "order.db"
    open_store(db).dispose()
    rng = random.Random(0)
    conn = sqlite3.connect(db)
    conn.executemany(
        "INSERT INTO article (id, content_hash, text, title, source, meta, created_at) "
        "VALUES (?, ?, ?, '', 'bench', '{}', '2026-12-01 00:00:00')",
        ((i, f"{i:064x}", "word " * 400) for i in range(1, articles + 1)),
    )
    suggestions, runs = [], []
    for i in range(1, articles + 1):
        spans = [(k * 40, k * 40 + 10, "LOCATION") for k in range(6)]
        kept = [s for s in spans if rng.random() < 0.85]
        extra = [(k * 40 + 20, k * 40 + 28, "PERSON") for k in range(6) if rng.random() < 0.1]
        for source, found in (("patterns:bench", spans), ("model:bench@1", kept + extra)):
            suggestions.extend((i, source, s, e, label) for s, e, label in found)
            runs.append((i, source, len(found)))
    conn.executemany(
        'INSERT INTO suggestion (article_id, source, start, "end", label) VALUES (?, ?, ?, ?, ?)',
        suggestions,
    )
    conn.executemany(
        "INSERT INTO suggestionrun (article_id, source, count, created_at) "
        "VALUES (?, ?, ?, '2026-12-01 00:00:00')",
        runs,
    )
    conn.commit()
    conn.close()
    return db


def ours(db: Path) -> tuple[float, object]:
    from annotator.services.ordering import order_queue
    from annotator.store.engine import open_store

    store = open_store(db)
    try:
        started = time.perf_counter()
        report = order_queue(store, "ana", "uncertain")
        return time.perf_counter() - started, report
    finally:
        store.dispose()


def bare(db: Path) -> float:
    """The same work with the stdlib alone: the queue filled, the rows read, measured,
    sorted, the positions written."""
    started = time.perf_counter()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT OR IGNORE INTO annotator (name, synced_upto, created_at) VALUES ('bare', 0, '2026-12-01')"
    )
    (person,) = conn.execute("SELECT id FROM annotator WHERE name = 'bare'").fetchone()
    conn.execute(
        'INSERT OR IGNORE INTO queueitem (annotator_id, article_id, position, "open") '
        "SELECT ?, id, id, 1 FROM article",
        (person,),
    )
    by: dict[int, dict[str, set]] = {}
    for article_id, source in conn.execute("SELECT article_id, source FROM suggestionrun"):
        by.setdefault(article_id, {})[source] = set()
    for article_id, source, s, e, label in conn.execute(
        'SELECT article_id, source, start, "end", label FROM suggestion'
    ):
        by[article_id][source].add((s, e, label))
    ids = [
        row[0]
        for row in conn.execute(
            'SELECT article_id FROM queueitem WHERE annotator_id = ? AND "open" ORDER BY position',
            (person,),
        )
    ]
    score = {}
    for article_id in ids:
        sets = list(by.get(article_id, {}).values())
        union = set().union(*sets) if sets else set()
        score[article_id] = (
            1 - len(set.intersection(*sets)) / len(union) if len(sets) > 1 and union else 0.0
        )
    ordered = sorted(ids, key=lambda a: -score[a])
    slots = sorted(ids)
    conn.executemany(
        "UPDATE queueitem SET position = ? WHERE annotator_id = ? AND article_id = ?",
        ((slot, person, a) for a, slot in zip(ordered, slots, strict=True)),
    )
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        template = build(Path(tmp), args.articles)
        first: list[float] = []
        again: list[float] = []
        baseline: list[float] = []
        report = None
        for round_ in range(args.repeat):
            db = Path(tmp) / f"round{round_}.db"
            db.write_bytes(template.read_bytes())
            seconds, report = ours(db)
            first.append(seconds)
            again.append(ours(db)[0])  # ordered already: nothing moves
            baseline.append(bare(db))
        print(f"order {args.articles:,} unopened articles by disagreement (2 sources)")
        print(f"  ours, first time   median {statistics.median(first):.2f} s  {first}")
        print(f"  ours, again        median {statistics.median(again):.2f} s")
        print(f"  bare sqlite3       median {statistics.median(baseline):.2f} s")
        print(f"  ratio (bare/ours)  {statistics.median(baseline) / statistics.median(first):.2f}x")
        print(f"  {report.words()}")  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
