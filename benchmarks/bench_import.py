"""Import throughput: `annotator import` of N generated articles vs raw sqlite3.executemany.

Both sides write the same rows into the same schema with the same pragmas (WAL,
synchronous=FULL, one transaction). Two baselines, each in a child process of its own:
"raw executemany" gets its rows ready-made (parsed and hashed before its clock starts),
the strict comparison; "bare importer" reads the same JSONL, json.loads each line, hashes
and executemany's in one loop, the like-for-like one. Ours reads, parses, validates,
normalises, hashes and inserts through the Core-built statement. Each side runs --repeat
times on a fresh database; the best run of each is compared.

    python benchmarks/bench_import.py [--articles 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
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


def generate(path: Path, n: int, seed: int = 0) -> None:
    """Write n distinct articles of ~1,500 characters as JSONL."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            words = [rng.choice(WORDS) for _ in range(200)]
            words[rng.randrange(200)] = rng.choice(NAMES)
            text = f"Report {i} from {rng.choice(NAMES)}\n\n" + " ".join(words) + "."
            out.write(
                json.dumps({"id": i, "title": f"Report {i}", "text": text, "meta": {"n": i}}) + "\n"
            )


BASELINE = r"""
import json, sqlite3, sys, time, hashlib, datetime
from annotator.store.engine import open_store
db, src = sys.argv[1], sys.argv[2]
open_store(db).dispose()  # same schema and indexes as ours
rows = []
now = datetime.datetime.now(datetime.UTC).isoformat(sep=" ")
with open(src, encoding="utf-8") as f:
    for line in f:
        o = json.loads(line)
        rows.append((hashlib.sha256(o["text"].encode()).hexdigest(), o["text"], o["title"],
                     "bench.jsonl", str(o["id"]), json.dumps(o["meta"]), now))
conn = sqlite3.connect(db, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL"); conn.execute("PRAGMA synchronous=FULL")
start = time.perf_counter()
if len(sys.argv) > 3:  # bare importer: parsing and hashing inside the clock too
    rows = []
    with open(src, encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            rows.append((hashlib.sha256(o["text"].encode()).hexdigest(), o["text"], o["title"],
                         "bench.jsonl", str(o["id"]), json.dumps(o["meta"]), now))
conn.execute("BEGIN IMMEDIATE")
conn.executemany("INSERT OR IGNORE INTO article (content_hash, text, title, source, external_id, meta, created_at) VALUES (?,?,?,?,?,?,?)", rows)
conn.execute("COMMIT")
import resource
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

OURS = r"""
import sys, time
from pathlib import Path
start = time.perf_counter()
from annotator.store.engine import open_store
from annotator.services.importing import import_articles
store = open_store(sys.argv[1])
t0 = time.perf_counter()
report = import_articles(store, [Path(sys.argv[2])])
assert report.imported == int(sys.argv[3]), report
import resource
print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run_child(code: str, *args: str) -> tuple[float, float]:
    """(seconds the child measured, the child's own peak RSS in MB)."""
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    seconds, peak_kb = proc.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(peak_kb) / 1024


def run_cli(db: Path, src: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB, via GNU time's format) of `annotator import`."""
    code = (
        "import resource, runpy, sys; sys.argv = ['annotator'] + sys.argv[1:]\n"
        "try:\n    runpy.run_module('annotator', run_name='__main__')\n"
        "finally:\n    print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"
    )
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, "import", "--db", str(db), str(src)],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    peak_kb = int(proc.stderr.rsplit("PEAK", 1)[1].split()[0])
    return wall, peak_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.articles
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        src = folder / "bench.jsonl"
        generate(src, n)
        size_mb = src.stat().st_size / 1e6
        runs: dict[str, list[tuple[float, float]]] = {"raw": [], "bare": [], "ours": [], "cli": []}
        for i in range(args.repeat):
            runs["raw"].append(run_child(BASELINE, str(folder / f"raw{i}.db"), str(src)))
            runs["bare"].append(run_child(BASELINE, str(folder / f"bare{i}.db"), str(src), "bare"))
            runs["ours"].append(run_child(OURS, str(folder / f"ours{i}.db"), str(src), str(n)))
            runs["cli"].append(run_cli(folder / f"cli{i}.db", src))
            for db in folder.glob("*.db*"):
                db.unlink()
    best = {k: min(v) for k, v in runs.items()}
    peak = {k: max(p for _, p in v) for k, v in runs.items()}
    raw_s, bare_s, ours_s, cli_s = (best[k][0] for k in ("raw", "bare", "ours", "cli"))
    print(f"articles: {n:,} ({size_mb:.0f} MB of JSONL), best of {args.repeat} runs each")
    print(
        f"raw sqlite3.executemany, rows ready-made:    {raw_s:6.2f} s {n / raw_s:9,.0f} articles/s"
    )
    print(
        f"bare importer (json.loads+sha256+executemany):{bare_s:6.2f} s {n / bare_s:9,.0f} articles/s"
    )
    print(
        f"annotator import_articles (validate, NFC...): {ours_s:6.2f} s {n / ours_s:9,.0f} articles/s"
    )
    print(
        f"`annotator import` command incl. start-up:    {cli_s:6.2f} s {n / cli_s:9,.0f} articles/s"
    )
    print(
        f"ratio ours / raw executemany: {raw_s / ours_s:.2f}x (goal >= 0.6x); "
        f"ours / bare importer: {bare_s / ours_s:.2f}x; command / raw: {raw_s / cli_s:.2f}x"
    )
    print(
        f"peak RSS: import_articles {peak['ours']:.0f} MB, command {peak['cli']:.0f} MB "
        f"(goal < 500 MB); raw baseline holding all rows {peak['raw']:.0f} MB"
    )


if __name__ == "__main__":
    main()
