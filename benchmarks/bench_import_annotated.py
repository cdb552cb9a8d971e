"""Annotated import: `annotator import --format prodigy` of N articles x 3 annotators against a
bare stdlib importer doing the same essential work, at several sizes.

The bare baseline (a child process of its own, whole process timed like ours) reads the
same JSONL with json.loads, hashes each text with SHA-256 and writes articles, annotations
and spans with sqlite3.executemany in one transaction, into the same schema with the same
pragmas (WAL, synchronous=FULL). Ours is the real command (`python -m annotator import`),
start-up included: it also validates every span against its text, normalises the text,
logs one event per annotation and stages the records in short transactions before one
flip makes them visible. Peak RSS is each child's own.

With --as-suggestions the same records are imported as one source's suggestions
(`--as-suggestions model`): the bare importer keeps each article's distinct spans and
writes articles, suggestions and one run per article; both must store the same rows. The
spans column is then the suggestions stored.

    python benchmarks/bench_import_annotated.py [--sizes 1000 10000 50000] [--repeat 1]
        [--as-suggestions]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

WORDS = (
    "forces village shelling province rebels regime ceasefire airstrike convoy crossing "
    "hospital civilians displaced front highway council statement officials monitors "
    "reported attack said killed wounded families artillery drone north south east west"
).split()
NAMES = ["Idlib", "Hama", "Aleppo", "Saraqeb", "Ariha", "Atarib", "Kafranbel", "Sarmada"]
LABELS = ["LOCATION", "PERSON", "ORG", "WEAPON", "DATE"]
ANNOTATORS = ("ana", "ben", "cy")


def generate(path: Path, n: int, spans: int = 31, seed: int = 0) -> int:
    """Write n articles of ~300 words, each annotated by 3 annotators (about ``spans``
    word spans each, a few differing between annotators), as Prodigy JSONL. Returns the
    number of spans written."""
    rng = random.Random(seed)
    total = 0
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            words = [rng.choice(WORDS) for _ in range(300)]
            for k in rng.sample(range(300), spans + 3):
                words[k] = rng.choice(NAMES)
            text = f"Report {i} from {rng.choice(NAMES)}\n\n" + " ".join(words) + "."
            offsets, pos = [], len(text) - len(" ".join(words)) - 1
            for word in words:
                if word in NAMES:
                    offsets.append((pos, pos + len(word)))
                pos += len(word) + 1
            for who in ANNOTATORS:
                chosen = [o for o in offsets if rng.random() > 0.08][:spans]
                total += len(chosen)
                task = {
                    "text": text,
                    "meta": {"title": f"Report {i}", "n": i},
                    "spans": [
                        {"start": s, "end": e, "label": rng.choice(LABELS)} for s, e in chosen
                    ],
                    "answer": "accept",
                    "_annotator_id": who,
                }
                out.write(json.dumps(task) + "\n")
    return total


BARE = r"""
import datetime, hashlib, json, resource, sqlite3, sys, time
start = time.perf_counter()
db, src = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(db, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL"); conn.execute("PRAGMA synchronous=FULL")
conn.execute("PRAGMA foreign_keys=ON")
now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
conn.execute("BEGIN IMMEDIATE")
people = {}
for name in ("ana", "ben", "cy"):
    people[name] = conn.execute(
        "INSERT INTO annotator (name, synced_upto, created_at) VALUES (?, 0, ?)", (name, now)
    ).lastrowid
articles, tasks = {}, []
def flush():
    rows = [(h, t, m.get("title", ""), "", None, json.dumps(m), now) for h, (t, m) in pending.items()]
    conn.executemany("INSERT INTO article (content_hash, text, title, source, external_id, meta, created_at) VALUES (?,?,?,?,?,?,?)", rows)
    for h, i in conn.execute("SELECT content_hash, id FROM article WHERE id > ?", (last[0],)):
        articles[h] = i; last[0] = max(last[0], i)
    ann = [(articles[h], people[w], "annotation", "done", "", 0, 1, now, now) for h, w, _ in tasks]
    first = conn.execute("SELECT coalesce(max(id), 0) FROM annotation").fetchone()[0]
    conn.executemany("INSERT INTO annotation (article_id, annotator_id, kind, status, note, seeded, version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)", ann)
    conn.executemany('INSERT INTO span (annotation_id, start, "end", label, origin) VALUES (?,?,?,?,?)',
        [(first + k + 1, s["start"], s["end"], s["label"], "manual") for k, (_, _, spans) in enumerate(tasks) for s in spans])
    pending.clear(); tasks.clear()
pending, last = {}, [0]
with open(src, encoding="utf-8") as f:
    for line in f:
        o = json.loads(line)
        h = hashlib.sha256(o["text"].encode()).hexdigest()
        if h not in articles and h not in pending:
            pending[h] = (o["text"], o.get("meta") or {})
        tasks.append((h, o["_annotator_id"], o["spans"]))
        if len(tasks) >= 3000:
            flush()
flush()
conn.execute("COMMIT")
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

# --as-suggestions: the same records imported as one source's suggestions. The bare
# importer keeps each article's distinct spans (its three records are consecutive, and a
# flush never splits them) and writes articles, suggestions and a run per article.
BARE_SUGGESTIONS = r"""
import datetime, hashlib, json, resource, sqlite3, sys, time
start = time.perf_counter()
db, src = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(db, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL"); conn.execute("PRAGMA synchronous=FULL")
conn.execute("PRAGMA foreign_keys=ON")
now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
conn.execute("BEGIN IMMEDIATE")
pending = {}
def flush():
    rows = [(h, t, m.get("title", ""), "", None, json.dumps(m), now) for h, (t, m, _) in pending.items()]
    conn.executemany("INSERT INTO article (content_hash, text, title, source, external_id, meta, created_at) VALUES (?,?,?,?,?,?,?)", rows)
    ids = dict(conn.execute("SELECT content_hash, id FROM article WHERE id > ?", (last[0],)))
    last[0] = max([last[0], *ids.values()])
    found = [(ids[h], sorted(spans)) for h, (_, _, spans) in pending.items()]
    conn.executemany('INSERT INTO suggestion (article_id, source, start, "end", label, score) VALUES (?,?,?,?,?,NULL)',
        [(a, "model", s, e, l) for a, spans in found for s, e, l in spans])
    conn.executemany("INSERT INTO suggestionrun (article_id, source, count, created_at) VALUES (?,?,?,?)",
        [(a, "model", len(spans), now) for a, spans in found])
    pending.clear()
last, records = [0], 0
with open(src, encoding="utf-8") as f:
    for line in f:
        o = json.loads(line)
        h = hashlib.sha256(o["text"].encode()).hexdigest()
        entry = pending.setdefault(h, (o["text"], o.get("meta") or {}, set()))
        entry[2].update((s["start"], s["end"], s["label"]) for s in o["spans"])
        records += 1
        if records % 3000 == 0:
            flush()
flush()
conn.execute("COMMIT")
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

OURS = r"""
import resource, runpy, sys, time
start = time.perf_counter()
db, src, *source = sys.argv[1:]
sys.argv = ["annotator", "import", "--db", db, "--format", "prodigy", src]
sys.argv += ["--as-suggestions", source[0]] if source else []
try:
    runpy.run_module("annotator", run_name="__main__")
except SystemExit as exc:
    if exc.code:
        raise
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run_child(code: str, *args: str) -> tuple[float, float]:
    """(seconds the child measured, the child's own peak RSS in MB)."""
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    seconds, peak_kb = proc.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(peak_kb) / 1024


def fresh_db(path: Path) -> None:
    """An empty database with our schema (for both sides, outside the clocks)."""
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from annotator.store.engine import open_store; "
            "open_store(sys.argv[1]).dispose()",
            str(path),
        ],
        check=True,
    )


def counts(path: Path) -> tuple[int, ...]:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return tuple(
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("article", "annotation", "span", "suggestion", "suggestionrun")
        )
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--as-suggestions",
        action="store_true",
        help="import the records as one source's suggestions (against a bare importer of "
        "articles, suggestions and runs)",
    )
    args = parser.parse_args()
    bare_code = BARE_SUGGESTIONS if args.as_suggestions else BARE
    extra = ["model"] if args.as_suggestions else []
    print(f"2 cores; load average {os.getloadavg()[0]:.1f} before the runs; best of {args.repeat}")
    print(
        f"{'articles':>9} {'suggested' if args.as_suggestions else 'x3 spans':>10} {'bare s':>8} {'ours s':>8} {'ratio':>6} "
        f"{'ours spans/s':>12} {'bare MB':>8} {'ours MB':>8}"
    )
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            src = folder / "db-out.jsonl"
            spans = generate(src, n)
            bare, ours = [], []
            stored: dict[str, tuple[int, ...]] = {}
            for i in range(args.repeat):
                for name, code, into, more in (
                    ("bare", bare_code, bare, []),
                    ("ours", OURS, ours, extra),
                ):
                    db = folder / f"{name}{i}.db"
                    fresh_db(db)
                    into.append(run_child(code, str(db), str(src), *more))
                    got = stored[name] = counts(db)
                    if not args.as_suggestions and got[:3] != (n, 3 * n, spans):
                        raise SystemExit(f"{name}: stored {got}, expected {(n, 3 * n, spans)}")
                    if args.as_suggestions and got[:3] + got[4:] != (n, 0, 0, n):
                        raise SystemExit(f"{name}: stored {got}: expected {n} articles and runs")
                    for f in folder.glob(f"{name}{i}.db*"):
                        f.unlink()
            if args.as_suggestions and stored["ours"] != stored["bare"]:
                raise SystemExit(f"ours stored {stored['ours']}, bare {stored['bare']}")
            if args.as_suggestions:
                spans = stored["ours"][3]  # distinct suggestions stored
            (b, _), (o, _) = min(bare), min(ours)
            print(
                f"{n:>9,} {spans:>10,} {b:>8.2f} {o:>8.2f} {b / o:>5.2f}x {spans / o:>12,.0f} "
                f"{max(m for _, m in bare):>8.0f} {max(m for _, m in ours):>8.0f}"
            )
    print("ratio = bare seconds / ours (goal >= 0.5x; 50,000 x 3 under 60 s; memory < 500 MB)")


if __name__ == "__main__":
    main()
