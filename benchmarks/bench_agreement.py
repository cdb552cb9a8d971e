"""Agreement end to end: `annotator agreement --format json --out FILE` over N articles x
3 annotators in a real SQLite file, at several sizes, against a bare baseline measured
in the same run.

The database is synthetic: articles of ~1,500 characters (200 words), each with ~12
entities; every annotator copies them with noise (a changed label, a shifted boundary, a
missed or an extra span now and then), so every measure and every kind of disagreement
has work to do. spaCy's tokens of every article are stored, as `annotator suggest`
stores them. Each side runs as a whole process of its own, --repeat times; the best run
of each is compared.

- ours: the command as a user runs it: start-up, open the store, read every finished
  annotation and the stored tokens, compute every measure (exact, relaxed and token F1
  per pair, label and article; kappa, pi, alpha; confusion; disagreements; review
  scores) and write the JSON. With two or more cores and many articles, part of the
  articles is counted by a helper process. Also with `--tokens whitespace`.
- bare: a python process that fetches the same rows (article text, annotator, span
  offsets and labels) with the sqlite3 module into tuples and computes exact pairwise F1
  over them: the floor for any reader, and the one figure a minimal script computes.

    python benchmarks/bench_agreement.py [--sizes 1000 10000 50000] [--annotators 3] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = (
    "forces village shelling province rebels regime ceasefire airstrike convoy crossing "
    "hospital civilians displaced front highway council statement officials monitors "
    "reported attack said killed wounded families artillery drone north south east west"
).split()
NAMES = ["Idlib", "Hama", "Aleppo", "Saraqeb", "Ariha", "Atarib", "Kafranbel", "Sarmada"]
LABELS = ["PERSON", "ARMED_GROUP", "ORG", "LOCATION", "DATE", "WEAPON"]


def article(rng: random.Random, i: int) -> tuple[str, list[tuple[int, int, str]]]:
    """A text of 200 words and its ~12 true entities (one to three words each)."""
    words = [rng.choice(WORDS) for _ in range(200)]
    for k in rng.sample(range(200), 12):
        words[k] = rng.choice(NAMES)
    text = f"Report {i}\n\n" + " ".join(words) + "."
    starts = []
    offset = len(f"Report {i}\n\n")
    for word in words:
        starts.append((offset, offset + len(word)))
        offset += len(word) + 1
    entities = []
    for k in sorted(rng.sample(range(0, 197, 3), 12)):
        length = rng.choice((1, 1, 2, 3))
        entities.append((starts[k][0], starts[k + length - 1][1], rng.choice(LABELS)))
    return text, entities


def noisy(rng: random.Random, entities: list[tuple[int, int, str]], text: str) -> list[tuple]:
    """One annotator's version of the entities: mostly right, sometimes not. The rates
    give a mean pairwise F1 near the 0.89 of bratiaa's published 4-annotator example."""
    spans = []
    for start, end, label in entities:
        roll = rng.random()
        if roll < 0.02:
            continue  # missed
        if roll < 0.04:
            label = rng.choice(LABELS)  # another label
        elif roll < 0.06:
            following = text.find(" ", end + 1)
            end = following if following > 0 else end  # one word too many
        spans.append((start, end, label))
    if rng.random() < 0.15:
        spans.append((0, 6, "ORG"))  # an extra span
    return spans


def build(db: Path, n: int, annotators: int, seed: int = 0) -> int:
    """Create the database: n articles, each done by every annotator. Returns span rows."""
    from annotator.domain.records import ArticleRecord
    from annotator.store.articles import insert_articles
    from annotator.store.engine import open_store
    from annotator.store.rows import add_hashes, article_rows

    rng = random.Random(seed)
    store = open_store(db)
    texts = [article(rng, i) for i in range(n)]
    records = [ArticleRecord(text=t, title=t.split("\n", 1)[0], source="bench") for t, _ in texts]
    spans = 0
    with store.write_connection() as conn:
        insert_articles(conn, add_hashes(article_rows(records)))
        ids = [row[0] for row in conn.exec_driver_sql("SELECT id FROM article ORDER BY id")]
        names = [f"annotator{k}" for k in range(annotators)]
        conn.exec_driver_sql(
            "INSERT INTO annotator (name, synced_upto, created_at) VALUES (?, 0, '2026-01-01')",
            [(name,) for name in names],
        )
        people = [row[0] for row in conn.exec_driver_sql("SELECT id FROM annotator ORDER BY id")]
        conn.exec_driver_sql(
            "INSERT INTO annotation (article_id, annotator_id, kind, status, note, seeded, "
            "version, created_at, updated_at) VALUES (?, ?, 'annotation', 'done', '', 0, 1, "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00')",
            [(article_id, person) for article_id in ids for person in people],
        )
        annotation = {
            (a, p): i
            for i, a, p in conn.exec_driver_sql(
                "SELECT id, article_id, annotator_id FROM annotation"
            )
        }
        rows = []
        for article_id, (text, entities) in zip(ids, texts, strict=True):
            for person in people:
                for start, end, label in noisy(rng, entities, text):
                    rows.append((annotation[(article_id, person)], start, end, label))
        conn.exec_driver_sql(
            'INSERT INTO span (annotation_id, start, "end", label, origin) '
            "VALUES (?, ?, ?, ?, 'manual')",
            rows,
        )
        spans = len(rows)
        # spaCy's tokens of every article, as `annotator suggest` stores them: the unit the
        # token-level measures count by default.
        from annotator.nlp.pipelines import blank_pipeline, tokenizer_source
        from annotator.nlp.suggester import packed_offsets

        nlp = blank_pipeline("en")
        plain = [t for t, _ in texts]
        conn.exec_driver_sql(
            "INSERT INTO tokens (article_id, tokenizer, offsets) VALUES (?, ?, ?)",
            [
                (article_id, tokenizer_source("en"), packed_offsets(doc, text))
                for article_id, text, doc in zip(ids, plain, nlp.pipe(plain), strict=True)
            ],
        )
    store.dispose()
    return spans


# The command as a user runs it, in a process of its own; prints the peak RSS of this
# process and (separately) of its helper process, which has ended by then.
OURS = r"""
import resource, sys
sys.argv = ["annotator", "agreement", "--db", sys.argv[1], "--format", "json", "--out",
            sys.argv[2], "--tokens", sys.argv[3]]
from annotator.cli import main
try:
    main()
except SystemExit as exc:
    if exc.code:
        raise
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""

# The bare baseline: the same rows (article text, annotator, span offsets and labels)
# fetched with sqlite3 into tuples, then exact pairwise F1 over them in plain Python.
BASELINE = r"""
import sys, time, resource, sqlite3
from collections import defaultdict
from itertools import combinations
start = time.perf_counter()
conn = sqlite3.connect(sys.argv[1])
articles = dict(conn.execute("SELECT id, text FROM article"))
annotations = conn.execute(
    "SELECT n.id, n.article_id, p.name FROM annotation n JOIN annotator p ON p.id = n.annotator_id "
    "WHERE n.kind = 'annotation' AND n.status = 'done' ORDER BY n.article_id, p.name").fetchall()
spans = defaultdict(list)
for annotation_id, s, e, label in conn.execute("SELECT annotation_id, start, \"end\", label FROM span"):
    spans[annotation_id].append((s, e, label))
read = time.perf_counter() - start
start = time.perf_counter()
docs = defaultdict(dict)
for annotation_id, article_id, name in annotations:
    docs[article_id][name] = set(spans[annotation_id])
shared = defaultdict(int); total = defaultdict(int)
for people in docs.values():
    for a, b in combinations(sorted(people), 2):
        shared[a, b] += len(people[a] & people[b])
        total[a, b] += len(people[a]) + len(people[b])
f1 = [2 * shared[p] / total[p] for p in total]
mean = sum(f1) / len(f1)
compute = time.perf_counter() - start
print(read, compute, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, repr(mean))
"""


def timed(code: str, *args: str) -> tuple[float, list[str]]:
    """(wall seconds of a child Python running ``code``, start-up included; its last line)."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return seconds, proc.stdout.strip().splitlines()[-1].split()


def report_summary(out: Path) -> dict:
    """The report's document count, mean span F1 and token unit, read by a child process:
    Linux keeps a process's peak memory across fork and exec, so the runs forked after
    this one parsed a 23 MB report (50,000 articles) reported its 200 MB as their own."""
    code = (
        "import json, sys; d = json.load(open(sys.argv[1]));"
        "print(json.dumps({'documents': d['documents'], 'span_f1': d['span_f1'],"
        " 'token_unit': d['token_unit']}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(out)], capture_output=True, text=True, check=True
    )
    return json.loads(proc.stdout)


def one_size(n: int, annotators: int, repeat: int, tmp: Path) -> dict:
    """Build a database of ``n`` articles and run ours and the baseline on it."""
    db = tmp / f"agreement-{n}.db"
    # Built in a child of its own: Linux keeps a process's peak RSS across fork and exec,
    # so children of a parent that held the generated data would report its peak.
    proc = subprocess.run(
        [sys.executable, __file__, "--build", str(db), str(n), str(annotators)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    found: dict = {"n": n, "spans": int(proc.stdout), "mb": db.stat().st_size / 1e6}
    runs: dict[str, list] = {"spacy": [], "whitespace": [], "bare": []}
    out = tmp / "agreement.json"
    for _ in range(repeat):
        for unit in ("spacy", "whitespace"):
            seconds, (rss, helper) = timed(OURS, str(db), str(out), unit)
            runs[unit].append((seconds, int(rss) / 1024, int(helper) / 1024))
            if unit == "spacy":
                data = report_summary(out)
                assert data["documents"] == n, data["documents"]
                found["mean"] = data["span_f1"]["mean"]
                found["unit"] = data["token_unit"]
        seconds, (read, compute, rss, mean) = timed(BASELINE, str(db))
        runs["bare"].append((seconds, float(read), float(compute), int(rss) / 1024, float(mean)))
    found.update({key: min(values) for key, values in runs.items()})
    found["peak"] = max(max(r[1], r[2]) for r in runs["spacy"] + runs["whitespace"])
    if abs(found["mean"] - found["bare"][4]) > 1e-9:
        raise SystemExit(f"mean exact F1 differs: ours {found['mean']}, bare {found['bare'][4]}")
    db.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--annotators", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(
        f"agreement, articles x {args.annotators} annotators, best of {args.repeat} runs each; "
        f"{os.cpu_count()} cores, load average {load:.1f} before the runs"
    )
    print(
        "ours: `annotator agreement --format json --out FILE` (whole process: start-up, read, "
        "every measure, the JSON written); bare: a whole python process reading the same rows "
        "with sqlite3 and computing exact pairwise F1"
    )
    header = (
        f"{'articles':>9} {'spans':>10} {'ours':>8} {'ours ws':>8} {'bare':>7} "
        f"{'(read':>7} {'+ F1)':>6} {'ratio':>6} {'ms/1k':>6} {'peak RSS':>9} {'bare RSS':>9}"
    )
    print(header)
    with tempfile.TemporaryDirectory() as folder:
        for n in args.sizes:
            f = one_size(n, args.annotators, args.repeat, Path(folder))
            ours, ws, bare = f["spacy"][0], f["whitespace"][0], f["bare"]
            print(
                f"{n:>9,} {f['spans']:>10,} {ours:>7.2f}s {ws:>7.2f}s {bare[0]:>6.2f}s "
                f"{bare[1]:>6.2f}s {bare[2]:>5.2f}s {bare[0] / ours:>5.2f}x "
                f"{ours / n * 1000 * 1000:>6.0f} {f['peak']:>7.0f}MB {bare[3]:>7.0f}MB",
                flush=True,
            )
    print(
        "ours: spaCy's stored tokens (the default unit); ours ws: --tokens whitespace; "
        "ratio: bare / ours (goal >= 0.5x, and ours < 3 s at 10,000 on a quiet machine); "
        f"ms/1k: ours per 1,000 articles; mean exact F1 equal in ours and bare ({f['mean']:.6f}); "
        "peak RSS: the larger of our two processes"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--build"]:
        print(build(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
    else:
        main()
