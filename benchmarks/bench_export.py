"""Export throughput: `annotator export` in Prodigy, doccano, Label Studio, brat and CoNLL
against bare stdlib exporters that read the same rows with sqlite3 and write the same bytes.

The database is built once per size by `annotator import --format prodigy` of N articles x
3 annotators (bench_import_annotated's generator). Each side is a whole process, start-up
included: ours is `python -m annotator export`; the bare one is a short script (sqlite3,
json, hashlib, and spaCy's blank English tokenizer where the format carries tokens:
Prodigy, CoNLL) that ends, as ours does, by flushing what it wrote to disk (one syncfs of
the output's filesystem). After each pair of runs the bench compares the files both wrote (ours
without its export manifest) and says whether they are byte for byte the same.
CoNLL holds one annotation per article, so both export one annotator's (--source ana).

    python benchmarks/bench_export.py [--sizes 1000 10000] [--formats prodigy doccano ...]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_import_annotated import fresh_db, generate  # noqa: E402

FORMATS = ("prodigy", "doccano", "label-studio", "brat", "conll")

# The bare exporters share this reading code: every done annotation with its article and
# annotator, ordered by article and annotator name, and its spans (not pending suggestions).
BARE_READ = r"""
import hashlib, json, os, sqlite3, sys, time
from pathlib import Path
start = time.perf_counter()
db, fmt, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
conn = sqlite3.connect(db)
def rows(source=None):
    where = " AND p.name = ?" if source else ""
    query = ("SELECT a.id, a.article_id, a.status, t.text, t.title, t.source, t.external_id, "
             "t.meta, p.name, t.content_hash FROM annotation a JOIN article t ON t.id = a.article_id "
             "JOIN annotator p ON p.id = a.annotator_id WHERE a.kind = 'annotation' "
             "AND a.status = 'done'" + where + " ORDER BY a.article_id, p.name")
    cur = conn.execute(query, (source,) if source else ())
    while True:
        chunk = cur.fetchmany(500)
        if not chunk:
            return
        ids = [r[0] for r in chunk]
        spans = {i: [] for i in ids}
        for aid, s, e, label in conn.execute(
            'SELECT annotation_id, start, "end", label FROM span WHERE origin != \'suggested\' '
            f"AND annotation_id IN ({','.join('?' * len(ids))}) "
            'ORDER BY annotation_id, start, "end", label', ids):
            spans[aid].append((s, e, label))
        for r in chunk:
            meta = json.loads(r[7])
            if r[4]: meta["title"] = r[4]
            if r[5]: meta["source"] = r[5]
            if r[6] is not None: meta["id"] = r[6]
            yield r[1], r[2], r[3], meta, r[8], r[9], spans[r[0]]
"""

BARE = {
    "doccano": r"""
out.mkdir(parents=True)
files = {}
for _, _, text, meta, name, _, spans in rows():
    f = files.get(name) or files.setdefault(name, open(out / f"{name}.jsonl", "w", encoding="utf-8"))
    line = {"text": text, "label": [list(s) for s in spans]}
    if meta: line["meta"] = meta
    f.write(json.dumps(line, ensure_ascii=False) + "\n")
for f in files.values(): f.close()
""",
    "prodigy": r"""
import spacy
tokenizer = spacy.blank("en").tokenizer
dataset = Path(db).stem
def signed(b): return int.from_bytes(b[:4], "big", signed=True)
with open(out, "w", encoding="utf-8") as f:
    for _, _, text, meta, name, h, spans in rows():
        toks = [(t.idx, t.idx + len(t)) for t in tokenizer(text)]
        n = len(toks)
        tokens = [{"text": text[s:e], "start": s, "end": e, "id": i,
                   "ws": (toks[i + 1][0] if i + 1 < n else len(text)) > e}
                  for i, (s, e) in enumerate(toks)]
        index = {s: i for i, (s, _) in enumerate(toks)}
        ends = {e: i for i, (_, e) in enumerate(toks)}
        ih = signed(bytes.fromhex(h[:8]))
        compact = json.dumps([list(s) for s in spans], separators=(",", ":"))
        task = {"text": text, "meta": meta, "_input_hash": ih,
                "_task_hash": signed(hashlib.sha256(f"{ih}:{compact}".encode()).digest()),
                "tokens": tokens,
                "spans": [{"start": s, "end": e, "token_start": index[s], "token_end": ends[e],
                           "label": l} for s, e, l in spans],
                "answer": "accept", "_annotator_id": name, "_session_id": f"{dataset}-{name}",
                "_view_id": "ner_manual"}
        f.write(json.dumps(task, ensure_ascii=False) + "\n")
""",
    "label-studio": r"""
import itertools
with open(out, "w", encoding="utf-8") as f:
    f.write("[")
    first = True
    for article_id, group in itertools.groupby(rows(), key=lambda r: r[0]):
        group = list(group)
        text, meta = group[0][2], group[0][3]
        data = {"text": text}
        if meta: data["meta"] = meta
        data["annotated_by"] = [r[4] for r in group]
        task = {"id": article_id, "data": data, "annotations": [
            {"was_cancelled": False, "result": [
                {"id": hashlib.sha256(f"{s}:{e}:{l}".encode()).hexdigest()[:10],
                 "from_name": "label", "to_name": "text", "type": "labels",
                 "value": {"start": s, "end": e, "text": text[s:e], "labels": [l]}}
                for s, e, l in spans]}
            for _, _, _, _, name, _, spans in group]}
        f.write("\n" if first else ",\n")
        f.write(json.dumps(task, ensure_ascii=False, indent=2))
        first = False
    f.write("\n]\n")
""",
    "brat": r"""
out.mkdir(parents=True)
names, taken, labels, made = {}, {}, set(), set()
for article_id, _, text, meta, person, _, spans in rows():
    name = names.get(article_id)
    if name is None:
        stem = Path(meta.get("source", "")).stem
        name = stem if stem and taken.get(stem, article_id) == article_id else f"article-{article_id}"
        taken[name] = article_id
        names[article_id] = name
    folder = out / person
    if person not in made:
        folder.mkdir(); made.add(person)
    with open(folder / f"{name}.txt", "wb") as f:
        f.write(text.encode("utf-8"))
    with open(folder / f"{name}.ann", "wb") as f:
        f.write("".join(f"T{i}\t{l} {s} {e}\t{text[s:e].replace(chr(13), ' ').replace(chr(10), ' ')}\n"
                        for i, (s, e, l) in enumerate(spans, 1)).encode("utf-8"))
    labels.update(l for _, _, l in spans)
with open(out / "annotation.conf", "w", encoding="utf-8") as f:
    f.write("# Entity types of this export, for brat's display.\n[entities]\n"
            + "\n".join(sorted(labels)) + "\n\n[relations]\n\n[events]\n\n[attributes]\n")
""",
    "conll": r"""
import spacy
tokenizer = spacy.blank("en").tokenizer
with open(out, "w", encoding="utf-8") as f:
    for _, _, text, _, _, _, spans in rows("ana"):
        pieces = []
        for t in tokenizer(text):
            if not t.text.isspace():
                pieces.append((t.idx, t.idx + len(t)))
        tags = ["O"] * len(pieces)
        inside = [False] * len(pieces)
        at = {s: i for i, (s, _) in enumerate(pieces)}
        for s, e, l in spans:
            i = first = at[s]
            while i < len(pieces) and pieces[i][1] <= e:
                tags[i] = ("B-" if i == first else "I-") + l
                inside[i] = i > first
                i += 1
        lines, previous = [], None
        for i, (s, e) in enumerate(pieces):
            if previous is not None and "\n" in text[previous:s] and not inside[i]:
                lines.append("")
            lines.append(f"{text[s:e]} {tags[i]}")
            previous = e
        f.write("-DOCSTART- -X- O O\n\n")
        if lines:
            f.write("\n".join(lines) + "\n\n")
""",
}

TAIL = r"""
# Ours says an export is done once it is on disk (an fsync, or one syncfs for a folder);
# the bare writer flushes the same way, else its figure would leave the disk writes out.
import ctypes
fd = os.open(out if out.is_dir() else out.parent, os.O_RDONLY)
ctypes.CDLL(None, use_errno=True).syncfs(fd)
os.close(fd)
import resource
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

OURS = r"""
import resource, runpy, sys, time
start = time.perf_counter()
db, fmt, out = sys.argv[1:4]
sys.argv = ["annotator", "export", "--db", db, "--format", fmt, "--out", out, *sys.argv[4:]]
try:
    runpy.run_module("annotator", run_name="__main__")
except SystemExit as exc:
    if exc.code:
        raise
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run(code: str, *args: str) -> tuple[float, float]:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    seconds, peak = proc.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(peak) / 1024


def digest(path: Path) -> str:
    """One hash over every file under ``path`` (names and bytes), the manifest left out."""
    sha = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        if file.name == ".annotator-export.json":
            continue
        if path.is_dir():
            sha.update(str(file.relative_to(path)).encode())
        # In pieces: a whole Prodigy export read at once made this process 800 MB, and a
        # child process forked after that reported it as its own peak memory.
        with file.open("rb") as handle:
            for piece in iter(lambda: handle.read(1 << 20), b""):
                sha.update(piece)
    return sha.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), choices=FORMATS)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(f"2 cores; load average {os.getloadavg()[0]:.1f}; best of {args.repeat}")
    print(
        f"{'format':<13} {'articles':>8} {'bare s':>7} {'ours s':>7} {'ratio':>6} "
        f"{'bare MB':>7} {'ours MB':>7}  same bytes"
    )
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            src = folder / "db-out.jsonl"
            generate(src, n)
            db = folder / "bench.db"
            fresh_db(db)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "annotator",
                    "import",
                    "--db",
                    str(db),
                    "-f",
                    "prodigy",
                    str(src),
                ],
                check=True,
                capture_output=True,
            )
            for fmt in args.formats:
                extra = ["--source", "ana"] if fmt == "conll" else []
                bare, ours, same = [], [], True
                for i in range(args.repeat):
                    suffix = "" if fmt in ("doccano", "brat") else ".out"
                    b_out, o_out = folder / f"bare{i}{suffix}", folder / f"ours{i}{suffix}"
                    bare.append(run(BARE_READ + BARE[fmt] + TAIL, str(db), fmt, str(b_out)))
                    ours.append(run(OURS, str(db), fmt, str(o_out), *extra))
                    same = same and digest(b_out) == digest(o_out)
                    for out in (b_out, o_out):
                        subprocess.run(["rm", "-rf", str(out)], check=True)
                (b, _), (o, _) = min(bare), min(ours)
                print(
                    f"{fmt:<13} {n:>8,} {b:>7.2f} {o:>7.2f} {b / o:>5.2f}x "
                    f"{max(m for _, m in bare):>7.0f} {max(m for _, m in ours):>7.0f}  "
                    f"{'yes' if same else 'NO'}"
                )
    print("ratio = bare seconds / ours (goal >= 0.8x)")


if __name__ == "__main__":
    main()
