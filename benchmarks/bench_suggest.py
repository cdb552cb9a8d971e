"""Suggestion throughput: `suggest_articles` (database reads and writes included) vs bare
`nlp.pipe` over the same texts with the same pipeline, measured in the same run.

Setup (not timed): N generated articles of ~2,000 characters imported into a database,
and ~2,000 generated phrase patterns (place, person and group names, several of which
occur in every article) in a pattern file. Each side runs in a child process of its own,
on a fresh copy of the database, --repeat times; the best run of each is compared.

- "bare EntityRuler": spacy.blank("en") + an EntityRuler with the patterns, texts already
  in memory, `for doc in nlp.pipe(texts, batch_size=64): pass`. The brief's baseline.
- "bare, our pipeline": the same loop over the very pipeline our suggester runs (its
  ruler writes a span group, so that pattern and model suggestions keep their sources).
- "run_packed alone": what suggest_articles computes per article (spaCy, with the rulers'
  matchers called directly, see nlp.suggester.Suggester.run_packed; the suggestions and
  packed token offsets), texts already in memory, nothing read or stored. Shown for what
  the database part costs; not a baseline of the ratio.
- "suggest_articles": reads the pending articles, runs spaCy, extracts suggestions and
  token offsets, and writes suggestions, run markers and offsets batch by batch. With
  enough articles a helper process (forked, as from the CLI) runs spaCy on batches too,
  while this one computes batches in between its writes (see services.suggesting).
- "suggest_articles, one process": the same with the helper switched off.

The ratio compares ours with the faster of the two bare baselines. The machine's load
is printed too: other processes on a 2-core machine take the helper's core away.

    python benchmarks/bench_suggest.py [--articles 20000] [--patterns 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

WORDS = (
    "forces village shelling province rebels regime ceasefire airstrike convoy crossing "
    "hospital civilians displaced front highway council statement officials monitors "
    "reported attack said killed wounded families artillery drone north south east west "
    "the of in on and to from with after near against"
).split()
SYLLABLES = "al ba ka ra sha mi no tu za de fa ha ja la ma qa sa ta wa yu".split()
LABELS = ["LOCATION", "PERSON", "ARMED_GROUP", "ORG", "FACILITY"]


def _name(rng: random.Random) -> str:
    words = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
        words.append(word.capitalize())
    return " ".join(words)


def generate(folder: Path, articles: int, patterns: int, seed: int = 0) -> tuple[Path, Path]:
    """A pattern file of distinct phrases and a JSONL of articles that mention them."""
    rng = random.Random(seed)
    names: dict[str, str] = {}
    while len(names) < patterns:
        names.setdefault(_name(rng), rng.choice(LABELS))
    phrases = list(names)
    pattern_file = folder / "patterns.jsonl"
    with pattern_file.open("w", encoding="utf-8") as out:
        for phrase, label in names.items():
            out.write(json.dumps({"label": label, "pattern": phrase}) + "\n")
    corpus = folder / "articles.jsonl"
    with corpus.open("w", encoding="utf-8") as out:
        for i in range(articles):
            words = [rng.choice(WORDS) for _ in range(300)]
            for _ in range(8):
                words[rng.randrange(len(words))] = rng.choice(phrases)
            paragraphs = [" ".join(words[k : k + 60]) + "." for k in range(0, 300, 60)]
            text = f"Report {i}\n\n" + "\n\n".join(paragraphs)
            out.write(json.dumps({"id": i, "title": f"Report {i}", "text": text}) + "\n")
    return pattern_file, corpus


SETUP = r"""
import sys
from pathlib import Path
from annotator.store.engine import open_store
from annotator.services.importing import import_articles
store = open_store(sys.argv[1])
report = import_articles(store, [Path(sys.argv[2])])
print(report.imported)
"""

BARE = r"""
import resource, sys, time
import sqlite3
patterns_path, db, kind = sys.argv[1], sys.argv[2], sys.argv[3]
texts = [row[0] for row in sqlite3.connect(db).execute("SELECT text FROM article ORDER BY id")]
if kind == "entity_ruler":
    import json, spacy
    nlp = spacy.blank("en")
    with open(patterns_path, encoding="utf-8") as f:
        nlp.add_pipe("entity_ruler").add_patterns([json.loads(line) for line in f])
else:
    from annotator.nlp.suggester import SuggestConfig
    from annotator.services.suggesting import build_suggester
    suggester = build_suggester(SuggestConfig(patterns=patterns_path))
    nlp = suggester.nlp
# Every child warms up on the same 200 two-word texts: the pipeline is built and called,
# and no article's words are in the tokenizer's cache before the clock starts.
for doc in nlp.pipe(["warm up"] * 200):
    pass
start = time.perf_counter()
if kind == "run_packed":
    for found in suggester.run_packed(texts, batch_size=64):
        pass
else:
    for doc in nlp.pipe(texts, batch_size=64):
        pass
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, 0)
"""

OURS = r"""
import resource, sys, time
from annotator.nlp.suggester import SuggestConfig
from annotator.services.suggesting import build_suggester, suggest_articles
from annotator.store.engine import open_store
patterns_path, db, helper, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
store = open_store(db)
suggester = build_suggester(SuggestConfig(patterns=patterns_path))
for _ in suggester.run_packed(["warm up"] * 200):  # the same warm-up as the bare children
    pass
start = time.perf_counter()
report = suggest_articles(store, suggester, helper={"auto": None, "off": False}[helper])
seconds = time.perf_counter() - start
assert report.articles == expected, report
assert sum(report.labels.values()) > expected, report
assert report.helper == ("fork" if helper == "auto" else ""), report.helper
print(seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def run_child(code: str, *args: str) -> tuple[float, float, float]:
    """(seconds the child measured, its peak RSS in MB, its helper's peak RSS in MB)."""
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    seconds, peak_kb, helper_kb = proc.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(peak_kb) / 1024, int(helper_kb) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--patterns", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.articles
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pattern_file, corpus = generate(folder, n, args.patterns)
        template = folder / "template.db"
        subprocess.run(
            [sys.executable, "-c", SETUP, str(template), str(corpus)],
            check=True,
            capture_output=True,
        )
        sizes = [len(json.loads(line)["text"]) for line in corpus.open(encoding="utf-8")]
        runs: dict[str, list[tuple[float, float, float]]] = {
            "entity_ruler": [],
            "ours_bare": [],
            "run_packed": [],
            "ours": [],
            "one_process": [],
        }
        for i in range(args.repeat):
            for key in runs:
                db = folder / f"{key}{i}.db"
                shutil.copy(template, db)
                if key in ("entity_ruler", "ours_bare", "run_packed"):
                    kind = {"ours_bare": "ours"}.get(key, key)
                    runs[key].append(run_child(BARE, str(pattern_file), str(db), kind))
                else:
                    helper = "auto" if key == "ours" else "off"
                    runs[key].append(run_child(OURS, str(pattern_file), str(db), helper, str(n)))
                for leftover in folder.glob(f"{key}{i}.db*"):
                    leftover.unlink()
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    best = {key: min(values)[0] for key, values in runs.items()}
    peak = {key: max(v[1] for v in values) for key, values in runs.items()}
    helper_peak = max(v[2] for v in runs["ours"])
    baseline = min(best["entity_ruler"], best["ours_bare"])

    # Each round runs all four back to back; the median of the rounds' own ratios is the
    # steadier figure when other processes share the machine.
    def rounds(key: str) -> list[float]:
        return [
            min(er[0], ob[0]) / ours[0]
            for er, ob, ours in zip(runs["entity_ruler"], runs["ours_bare"], runs[key], strict=True)
        ]

    print(
        f"articles: {n:,} (~{sum(sizes) / len(sizes):,.0f} characters each), "
        f"{args.patterns:,} phrase patterns, best of {args.repeat} runs each; load average {load}"
    )
    for key, label in (
        ("entity_ruler", "bare nlp.pipe, blank + EntityRuler:       "),
        ("ours_bare", "bare nlp.pipe, our suggester's pipeline:  "),
        ("run_packed", "run_packed alone (no database):           "),
        ("ours", "suggest_articles (writes included):       "),
        ("one_process", "suggest_articles, one process:            "),
    ):
        print(
            f"{label}{best[key]:6.2f} s {n / best[key]:8,.0f} articles/s  peak RSS {peak[key]:.0f} MB"
        )
    print(f"helper process peak RSS: {helper_peak:.0f} MB")
    print(
        f"ratio suggest_articles / bare nlp.pipe (the faster bare one): "
        f"{baseline / best['ours']:.2f}x best of each, {statistics.median(rounds('ours')):.2f}x "
        f"median of rounds (goal >= 0.9x); one process: {baseline / best['one_process']:.2f}x "
        f"best of each, {statistics.median(rounds('one_process')):.2f}x median of rounds"
    )


if __name__ == "__main__":
    main()
