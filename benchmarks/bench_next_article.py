""" "Next article not yet done by annotator X": our queue lookup vs a naive NOT EXISTS query.

Builds a database of N articles (default 100,000) in which annotator X has finished a
random 60 % (so the naive query must skip many done articles), then times both queries
the same way, many times, in the same run. Prints p50/p99 and the ratio.

    python benchmarks/bench_next_article.py [--articles 100000] [--lookups 2000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from annotator.services.importing import import_articles
from annotator.store import queue
from annotator.store.engine import open_store

NAIVE = text(
    "SELECT a.id FROM article a WHERE NOT EXISTS (SELECT 1 FROM annotation n "
    "WHERE n.article_id = a.id AND n.annotator_id = :x AND n.kind = 'annotation' "
    "AND n.status != 'in_progress') ORDER BY a.id LIMIT 1"
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        src = folder / "a.jsonl"
        with src.open("w") as out:
            for i in range(args.articles):
                out.write(json.dumps({"text": f"article {i} " + "words " * 50}) + "\n")
        store = open_store(folder / "bench.db")
        import_articles(store, [src])
        with store.write() as session:
            person = queue.ensure_annotator(session, "x")
            person_id = person.id
        # X finished a random 60 % of the articles, mostly the early ones (as in real use).
        done = sorted(
            i
            for i in range(1, args.articles + 1)
            if rng.random() < (0.95 if i < args.articles * 0.6 else 0.1)
        )
        with store.write_connection() as conn:
            conn.exec_driver_sql(
                "INSERT INTO annotation (article_id, annotator_id, kind, status, note, seeded, "
                "version, created_at, updated_at) VALUES (?, ?, 'annotation', 'done', '', 0, 1, "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                [(i, person_id) for i in done],
            )
        with store.write() as session:  # queue every article, as open mode does over time
            person = queue.get_annotator(session, "x")
            while queue.refill_open_queue(session, person):
                pass

        ours: list[float] = []
        naive: list[float] = []
        with store.engine.connect() as conn:
            for _ in range(args.lookups):
                start = time.perf_counter()
                expected = conn.execute(NAIVE, {"x": person_id}).scalar()
                naive.append(time.perf_counter() - start)
                from sqlmodel import Session

                with Session(bind=conn) as session:
                    start = time.perf_counter()
                    found = queue.first_open(session, person_id)
                    ours.append(time.perf_counter() - start)
                assert found == expected, (found, expected)
                # finish it, so that the next lookup looks further on
                conn.exec_driver_sql(
                    "UPDATE queueitem SET open = 0 WHERE annotator_id = ? AND article_id = ?",
                    (person_id, found),
                )
                conn.exec_driver_sql(
                    "INSERT INTO annotation (article_id, annotator_id, kind, status, note, seeded,"
                    " version, created_at, updated_at) VALUES (?, ?, 'annotation', 'done', '', 0,"
                    " 1, '2026-01-01', '2026-01-01')",
                    (found, person_id),
                )
                conn.commit()
        store.dispose()
    ms = 1000
    print(f"articles: {args.articles:,}, finished by X: {len(done):,}, lookups: {args.lookups}")
    print(
        f"queue index lookup:  p50 {statistics.median(ours) * ms:.3f} ms  p99 {percentile(ours, 0.99) * ms:.3f} ms (goal p99 < 1 ms)"
    )
    print(
        f"naive NOT EXISTS:    p50 {statistics.median(naive) * ms:.3f} ms  p99 {percentile(naive, 0.99) * ms:.3f} ms"
    )
    print(f"ratio naive/ours (p50): {statistics.median(naive) / statistics.median(ours):.0f}x")


if __name__ == "__main__":
    main()
