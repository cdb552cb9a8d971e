"""DocBin export throughput: `annotator export --format spacy` of N annotated articles vs bare
spaCy building the same DocBin from the same texts and offsets.

Both sides run in child processes of their own, with spaCy imported and a blank English
pipeline built before their clocks start. The bare baseline gets the texts, span offsets
and user data ready-made in memory and does only make_doc, char_span (strict), doc.ents,
DocBin.add, to_bytes and writing the file. Ours runs export_annotations on a SQLite
database holding the same articles and annotations: reading them in chunks, the seeded
train/dev split, the span checks, two DocBins and config.cfg, each file written atomically;
above 5,000 annotations a helper process builds the first half of the articles while the
main one builds the second (their peak RSS is shown apart). Each side runs --repeat times
per size; the best time and the highest peak RSS are shown. Peak RSS at two sizes shows
what grows with the corpus: the DocBin itself and spaCy's copies of it as it serialises
it (the baseline also holds every text in memory; we stream them from the database).

    python benchmarks/bench_export_docbin.py [--sizes 10000 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

WORDS = (
    "forces village shelling province rebels regime ceasefire airstrike convoy crossing "
    "hospital civilians displaced front highway council statement officials monitors "
    "reported attack said killed wounded families artillery drone north south east west"
).split()
PLACES = ["Idlib", "Hama", "Aleppo", "Saraqeb", "Ariha", "Atarib", "Kafranbel", "Sarmada"]
PEOPLE = ["Assad", "Abu Khaled", "Hassan", "Jolani"]


def generate(n: int, seed: int = 0):
    """Yield (text, title, spans) for n distinct articles of ~1,500 characters with about
    six entities each; spans are (start, end, label) on token boundaries."""
    rng = random.Random(seed)
    for i in range(n):
        parts: list[str] = [f"Report {i}"]
        spans: list[tuple[int, int, str]] = []
        length = len(parts[0])
        for j in range(200):
            if j % 33 == 5:
                name, label = (
                    (rng.choice(PLACES), "LOC") if j % 2 else (rng.choice(PEOPLE), "PERSON")
                )
                spans.append((length + 1, length + 1 + len(name), label))
                word = name
            else:
                word = rng.choice(WORDS)
            parts.append(word)
            length += 1 + len(word)
        yield " ".join(parts) + ".", f"Report {i}", spans


def build_database(db: Path, n: int) -> Path:
    """A database of n articles annotated (done) by one annotator, written with bulk SQL;
    also a JSONL file of the same texts, spans and user data for the baseline."""
    import hashlib

    from annotator.store.engine import open_store

    open_store(db).dispose()
    import sqlite3

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    data = db.with_suffix(".jsonl")
    conn = sqlite3.connect(db)
    conn.execute(
        "INSERT INTO annotator (name, synced_upto, created_at) VALUES ('ana', 0, ?)", (now,)
    )
    with data.open("w", encoding="utf-8") as out:
        for i, (text, title, spans) in enumerate(generate(n), 1):
            conn.execute(
                "INSERT INTO article (id, content_hash, text, title, source, external_id, meta, "
                "created_at) VALUES (?, ?, ?, ?, 'bench', NULL, '{}', ?)",
                (i, hashlib.sha256(text.encode()).hexdigest(), text, title, now),
            )
            conn.execute(
                "INSERT INTO annotation (id, article_id, annotator_id, kind, status, note, seeded, "
                "version, created_at, updated_at) VALUES (?, ?, 1, 'annotation', 'done', '', 0, 1, ?, ?)",
                (i, i, now, now),
            )
            conn.executemany(
                'INSERT INTO span (annotation_id, start, "end", label, origin) VALUES (?, ?, ?, ?, ?)',
                [(i, s, e, label, "manual") for s, e, label in spans],
            )
            user_data = {
                "status": "done",
                "meta": {"title": title, "source": "bench"},
                "name": "ana",
            }
            out.write(json.dumps([text, spans, user_data]) + "\n")
    conn.commit()
    conn.close()
    return data


BASELINE = r"""
import json, resource, sys, time
import spacy
from spacy.tokens import DocBin
nlp = spacy.blank("en")
items = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
start = time.perf_counter()
doc_bin = DocBin(attrs=["ENT_IOB", "ENT_TYPE"], store_user_data=True)  # as ours
for text, spans, user_data in items:
    doc = nlp.make_doc(text)
    doc.ents = [doc.char_span(s, e, label, alignment_mode="strict") for s, e, label in spans]
    doc.user_data["annotator"] = user_data
    doc_bin.add(doc)
with open(sys.argv[2], "wb") as f:
    f.write(doc_bin.to_bytes())
seconds = time.perf_counter() - start
print(seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(doc_bin), 0)
"""

OURS = r"""
import resource, sys, time
from pathlib import Path
import spacy
from annotator.nlp.tokens import blank
from annotator.services.exporting import export_annotations
from annotator.store.engine import open_store
blank("en")
store = open_store(sys.argv[1])
start = time.perf_counter()
report = export_annotations(store, fmt="spacy", out=Path(sys.argv[2]))
seconds = time.perf_counter() - start
assert not report.skipped, report.skipped[:3]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
reader = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the helper process, if any
print(seconds, peak, sum(report.parts.values()), reader)
"""


def run_child(code: str, *args: str) -> tuple[float, float, int, float]:
    """(seconds the child measured, its peak RSS in MB, docs written, peak RSS in MB of the
    helper process it started, if any)."""
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    seconds, peak_kb, docs, reader_kb = proc.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(peak_kb) / 1024, int(docs), int(reader_kb) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in args.sizes:
            db = folder / f"bench-{n}.db"
            data = build_database(db, n)
            bare: list[tuple[float, float, int, float]] = []
            ours: list[tuple[float, float, int, float]] = []
            for i in range(args.repeat):
                bare.append(run_child(BASELINE, str(data), str(folder / f"bare-{n}-{i}.spacy")))
                ours.append(run_child(OURS, str(db), str(folder / f"ours-{n}-{i}")))
            assert bare[0][2] == ours[0][2] == n, (bare[0], ours[0])
            size = (folder / f"bare-{n}-0.spacy").stat().st_size / 1e6
            rows.append(
                (
                    n,
                    min(bare)[0],
                    min(ours)[0],
                    max(b[1] for b in bare),
                    max(o[1] for o in ours),
                    size,
                    max(o[3] for o in ours),
                )
            )
    print(f"DocBin export, best of {args.repeat} runs per side and size")
    for n, bare_s, ours_s, *_ in rows:
        print(
            f"{n:>7,} articles: bare spaCy {bare_s:6.2f} s {n / bare_s:6,.0f} docs/s | "
            f"annotator export {ours_s:6.2f} s {n / ours_s:6,.0f} docs/s | "
            f"ratio {bare_s / ours_s:.2f}x (goal >= 0.8x)"
        )
    for n, _, _, bare_mb, ours_mb, size, reader_mb in rows:
        print(
            f"{n:>7,} articles: peak RSS bare {bare_mb:5.0f} MB (all texts in memory), "
            f"ours {ours_mb:5.0f} MB (streamed) + helper process {reader_mb:3.0f} MB; "
            f".spacy file {size:.0f} MB"
        )
    if len(rows) > 1:
        (n0, _, _, b0, o0, *_), (n1, _, _, b1, o1, *_) = rows[0], rows[-1]
        print(
            f"growth from {n0:,} to {n1:,} articles: bare +{b1 - b0:.0f} MB, ours +{o1 - o0:.0f} MB "
            f"({(o1 - o0) / (n1 - n0) * 1000:.1f} kB per article)"
        )


if __name__ == "__main__":
    main()
