"""PostgreSQL at scale: our commands against bare psycopg scripts, whole process, per size.

Starts a throwaway PostgreSQL server (initdb into a temporary folder, unix socket only, run
as `nobody` when we are root, at nice 19), and removes it at the end, on an error or Ctrl-C
too. For each of --sizes it generates N plain articles (bench_import's generator; the
smaller sizes are prefixes of the largest file) and times, each as a child process of its
own from start to exit:

- import: `annotator import` against two bare importers of the same JSONL (json.loads,
  SHA-256, then psycopg executemany of INSERT ... ON CONFLICT DO NOTHING in batches of
  10,000 in one transaction; or one COPY);
- stats on the database our import made, against a bare psycopg script (the same counts,
  one query each); export and agreement refuse a database without finished annotations.

For each of --annotated-sizes it does the same with `annotator import --format prodigy` of N
articles x 3 annotators (bench_import_annotated's generator) against a bare importer
(executemany ... RETURNING for articles and annotations, COPY for spans), then stats,
export --format doccano and agreement on that database, against bare psycopg scripts (one
grouped SELECT written as doccano JSONL; exact span F1 per pair of annotators, a smaller
job than ours, which also measures tokens, kappa and alpha). Every run is capped at --cap seconds; a capped run
is killed and reported as such. Peak RSS is the largest process of the child's tree (the
import's reader subprocess included), from wait4. Sizes not run are extrapolated from a
straight line (seconds = a + b * size) through the measured points.

    python benchmarks/bench_postgres.py [--sizes 10000 100000 1000000]
        [--annotated-sizes 3000 10000] [--cap 900]
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import generate as generate_articles  # noqa: E402
from bench_import_annotated import generate as generate_annotated  # noqa: E402

TARGET = 1_000_000  # the size the issue asks about


class Server:
    """A PostgreSQL server in a temporary folder, reachable on a unix socket only."""

    def __init__(self) -> None:
        found = shutil.which("initdb")
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if found:
            self.bin = Path(found).parent
        elif candidates:
            self.bin = Path(candidates[-1]).parent
        else:
            raise SystemExit("PostgreSQL server binaries (initdb) are not installed")
        # PostgreSQL refuses to run as root: as root, the server runs as `nobody`.
        self.prefix = ["nice", "-n", "19"]
        if os.geteuid() == 0:
            self.prefix += ["runuser", "-u", "nobody", "--"]
        self.folder = Path(tempfile.mkdtemp(prefix="annotator-pgbench-"))
        self.folder.chmod(0o777)  # the server's user writes its data and socket here
        self.data = self.folder / "data"
        self.started = False
        with socket.socket() as probe:  # a free port number names the socket file
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    def start(self) -> None:
        """initdb, then pg_ctl start (waiting until the server accepts connections)."""
        self._run("initdb", "-D", str(self.data), "-U", "annotator", "--auth=trust", "-E", "UTF8")
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-w",
            "-l",
            str(self.folder / "server.log"),
            "-o",
            f"-k {self.folder} -c listen_addresses='' -p {self.port}",
            "start",
        )
        self.started = True

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its folder."""
        if self.started:
            subprocess.run(
                [*self.prefix, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast"]
                + ["stop"],
                capture_output=True,
            )
            self.started = False
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, tool: str, *args: str) -> None:
        proc = subprocess.run(
            [*self.prefix, str(self.bin / tool), *args], capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise SystemExit(f"{tool} failed: {' '.join(proc.stderr.split())[:300]}")

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+psycopg://annotator@/{database}?host={self.folder}&port={self.port}"

    def conninfo(self, database: str) -> str:
        """The psycopg connection string of ``database`` on this server."""
        return f"host={self.folder} port={self.port} user=annotator dbname={database}"

    def create(self, database: str) -> None:
        """A fresh empty database named ``database`` (an old one of that name is dropped)."""
        import psycopg

        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
            conn.execute(f'CREATE DATABASE "{database}"')

    def drop(self, database: str) -> None:
        import psycopg

        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}"')

    def counts(self, database: str) -> tuple[int, int, int]:
        """Rows in article, annotation and span."""
        import psycopg

        with psycopg.connect(self.conninfo(database)) as conn:
            return tuple(  # type: ignore[return-value]
                conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("article", "annotation", "span")
            )


@dataclass
class Run:
    seconds: float
    peak_mb: float
    capped: bool = False


def run_child(argv: list[str], cap: float) -> Run:
    """Run ``argv`` in a session of its own; its wall seconds and its tree's peak RSS. Past
    ``cap`` seconds the whole session is killed and the run marked capped."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    capped = threading.Event()

    def kill() -> None:
        capped.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(cap, kill)
    timer.start()
    try:
        stderr = proc.stderr.read()  # type: ignore[union-attr]
        # wait4's rusage: the largest peak of the child and the children it waited for.
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        kill()
        raise
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if capped.is_set():
        return Run(seconds, usage.ru_maxrss / 1024, capped=True)
    if proc.returncode != 0:
        last = stderr.decode(errors="replace").strip().splitlines()[-1:] or ["(no message)"]
        what = " ".join(argv[1:4]) if argv[1] == "-m" else "a bare script"
        raise SystemExit(f"{what} ... failed: {last[0][:300]}")
    return Run(seconds, usage.ru_maxrss / 1024)


PY = [sys.executable]
ANNOTATOR = [sys.executable, "-m", "annotator"]

SCHEMA = (
    "import sys; from annotator.store.engine import open_store; open_store(sys.argv[1]).dispose()"
)

# Bare importer of plain articles: parse, hash, then executemany (batches of 10,000 rows in
# one transaction; psycopg 3 pipelines an executemany) or one COPY.
BARE_IMPORT = r"""
import datetime, hashlib, json, sys
import psycopg
conninfo, src, how = sys.argv[1], sys.argv[2], sys.argv[3]
now = datetime.datetime.now(datetime.UTC)
cols = "content_hash, text, title, source, external_id, meta, created_at"
def rows():
    with open(src, encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            yield (hashlib.sha256(o["text"].encode()).hexdigest(), o["text"], o["title"],
                   "bench.jsonl", str(o["id"]), json.dumps(o["meta"]), now)
with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
    if how == "copy":
        with cur.copy(f"COPY article ({cols}) FROM STDIN") as copy:
            for row in rows():
                copy.write_row(row)
    else:
        sql = (f"INSERT INTO article ({cols}) VALUES (%s,%s,%s,%s,%s,%s,%s) "
               "ON CONFLICT (content_hash) DO NOTHING")
        batch = []
        for row in rows():
            batch.append(row)
            if len(batch) == 10000:
                cur.executemany(sql, batch); batch = []
        cur.executemany(sql, batch)
"""

# Bare importer of Prodigy annotations: per 3,000 tasks, new articles and the annotations
# by executemany ... RETURNING id, their spans by COPY; one transaction.
BARE_ANNOTATED = r"""
import datetime, hashlib, json, sys
import psycopg
conninfo, src = sys.argv[1], sys.argv[2]
now = datetime.datetime.now(datetime.UTC)
with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
    people = {}
    for name in ("ana", "ben", "cy"):
        cur.execute("INSERT INTO annotator (name, synced_upto, created_at) VALUES (%s, 0, %s) "
                    "RETURNING id", (name, now))
        people[name] = cur.fetchone()[0]
    articles, pending, tasks = {}, {}, []
    def flush():
        if not tasks:
            return
        new = list(pending.items())
        if new:
            cur.executemany(
                "INSERT INTO article (content_hash, text, title, source, external_id, meta, "
                "created_at) VALUES (%s,%s,%s,'',NULL,%s,%s) RETURNING id",
                [(h, t, m.get("title", ""), json.dumps(m), now) for h, (t, m) in new],
                returning=True)
            for (h, _), i in zip(new, ids(cur)):
                articles[h] = i
        cur.executemany(
            "INSERT INTO annotation (article_id, annotator_id, kind, status, note, seeded, "
            "version, created_at, updated_at) VALUES (%s,%s,'annotation','done','',false,1,%s,%s) "
            "RETURNING id", [(articles[h], people[w], now, now) for h, w, _ in tasks],
            returning=True)
        annotations = ids(cur)
        with cur.copy('COPY span (annotation_id, start, "end", label, origin) FROM STDIN') as copy:
            for a, (_, _, spans) in zip(annotations, tasks):
                for s in spans:
                    copy.write_row((a, s["start"], s["end"], s["label"], "manual"))
        pending.clear(); tasks.clear()
    def ids(cur):
        out = []
        while True:
            out.append(cur.fetchone()[0])
            if not cur.nextset():
                return out
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
"""

# Bare stats: the counts `annotator stats` shows, one query each.
BARE_STATS = r"""
import sys
import psycopg
with psycopg.connect(sys.argv[1]) as conn:
    conn.execute("SELECT count(*) FROM article").fetchall()
    conn.execute("SELECT r.name, a.status, count(*) FROM annotation a JOIN annotator r "
                 "ON r.id = a.annotator_id GROUP BY r.name, a.status").fetchall()
    conn.execute("SELECT s.label, count(*) FROM span s JOIN annotation a ON a.id = "
                 "s.annotation_id WHERE a.status = 'done' GROUP BY s.label").fetchall()
    conn.execute("SELECT source, count(*) FROM suggestion GROUP BY source").fetchall()
"""

# Bare doccano export: one grouped SELECT through a server-side cursor, a JSONL file per
# annotator of {"text", "label": [[start, end, label], ...]}.
BARE_EXPORT = r"""
import json, os, sys
import psycopg
conninfo, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
files = {}
with psycopg.connect(conninfo) as conn, conn.cursor(name="export") as cur:
    cur.execute(
        "SELECT r.name, ar.text, coalesce(json_agg(json_build_array(s.start, s.\"end\", s.label) "
        "ORDER BY s.start, s.\"end\", s.label) FILTER (WHERE s.id IS NOT NULL), '[]') "
        "FROM annotation a JOIN annotator r ON r.id = a.annotator_id "
        "JOIN article ar ON ar.id = a.article_id LEFT JOIN span s ON s.annotation_id = a.id "
        "WHERE a.status = 'done' AND a.kind = 'annotation' GROUP BY a.id, r.name, ar.id "
        "ORDER BY r.name, ar.id")
    for name, text, labels in cur:
        f = files.get(name) or files.setdefault(name, open(os.path.join(out, name + ".jsonl"), "w"))
        f.write(json.dumps({"text": text, "label": labels}) + "\n")
for f in files.values():
    f.close()
"""

# Bare agreement: exact span F1 per pair of annotators over articles done by two or more.
BARE_AGREEMENT = r"""
import itertools, sys
from collections import defaultdict
import psycopg
spans = defaultdict(lambda: defaultdict(set))
with psycopg.connect(sys.argv[1]) as conn, conn.cursor(name="agreement") as cur:
    cur.execute("SELECT a.article_id, a.annotator_id, s.start, s.\"end\", s.label FROM annotation a "
                "LEFT JOIN span s ON s.annotation_id = a.id WHERE a.status = 'done' "
                "AND a.kind = 'annotation'")
    for article, who, start, end, label in cur:
        got = spans[article][who]
        if start is not None:
            got.add((start, end, label))
pairs = defaultdict(lambda: [0, 0, 0])
for by in spans.values():
    for x, y in itertools.combinations(sorted(by), 2):
        tally = pairs[x, y]
        tally[0] += len(by[x] & by[y]); tally[1] += len(by[x]); tally[2] += len(by[y])
print({k: 2 * t / (a + b) if a + b else 1.0 for k, (t, a, b) in pairs.items()})
"""


@dataclass
class Row:
    command: str
    size: int
    ours: Run | None
    bare: Run | None
    copy: Run | None = None
    rows: int = 0  # what the rows/s figure counts (articles, or spans)
    unit: str = "articles"
    note: str = ""


def fmt_run(run: Run | None) -> str:
    if run is None:
        return "-"
    return f">{run.seconds:.0f} CAP" if run.capped else f"{run.seconds:.2f}"


def ratio(ours: Run | None, base: Run | None) -> str:
    """bare seconds / ours seconds, or - when either is missing or capped."""
    if ours is None or base is None or ours.capped or base.capped:
        return "-"
    return f"{base.seconds / ours.seconds:.2f}x"


def print_table(rows: list[Row]) -> None:
    print(
        f"{'command':<22} {'size':>9} {'ours s':>10} {'bare s':>9} {'ratio':>6} "
        f"{'COPY s':>8} {'ratio':>6} {'rows/s (ours)':>20} {'ours MB':>8} {'bare MB':>8}  note"
    )
    for r in rows:
        rate = (
            f"{r.rows / r.ours.seconds:,.0f} {r.unit}/s"
            if r.ours and not r.ours.capped and r.rows
            else "-"
        )
        print(
            f"{r.command:<22} {r.size:>9,} {fmt_run(r.ours):>10} {fmt_run(r.bare):>9} "
            f"{ratio(r.ours, r.bare):>6} {fmt_run(r.copy):>8} {ratio(r.ours, r.copy):>6} {rate:>20} "
            f"{r.ours.peak_mb if r.ours else 0:>8.0f} {r.bare.peak_mb if r.bare else 0:>8.0f}"
            f"  {r.note}"
        )
    print("ratio = bare seconds / ours seconds (1.00x: as fast as the bare script); (ann.): on")
    print("the database of the annotated import above it; CAP: killed at the cap")


def line_fit(points: list[tuple[int, float]]) -> tuple[float, float] | None:
    """(a, b) of seconds = a + b * size by least squares; None under two points."""
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    b = sum((x - mx) * (y - my) for x, y in points) / sxx
    return my - b * mx, b


def extrapolate(rows: list[Row], command: str, target: int) -> str:
    """What ``command`` would take at ``target`` from the measured (uncapped) points."""
    points = [
        (r.size, r.ours.seconds)
        for r in rows
        if r.command == command and r.ours is not None and not r.ours.capped
    ]
    if any(size == target for size, _ in points):
        return f"{command}: measured at {target:,}"
    fit = line_fit(points)
    if fit is None:
        return f"{command}: too few points to extrapolate"
    a, b = fit
    seconds = a + b * target
    sizes = ", ".join(f"{s:,}" for s, _ in points)
    return (
        f"{command}: at {target:,} about {seconds:,.0f} s ({seconds / 3600:.1f} h), "
        f"from seconds = {a:.1f} + {b * 1e6:.1f} us x size through {sizes}"
    )


def prefix_lines(src: Path, dst: Path, n: int) -> None:
    """The first ``n`` lines of ``src`` into ``dst`` (the generator's output for n)."""
    with src.open("rb") as f, dst.open("wb") as out:
        for _ in range(n):
            out.write(f.readline())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--annotated-sizes", type=int, nargs="*", default=[3_000, 10_000])
    parser.add_argument("--cap", type=float, default=900.0, help="seconds per run (default 900)")
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=["copy", "stats", "export", "agreement"],
        help="runs to leave out",
    )
    parser.add_argument(
        "--bare-up-to",
        type=int,
        default=None,
        help="run the bare scripts only at sizes up to this (at 1,000,000 x 3 the bare "
        "agreement would hold about 23 GB); larger sizes run ours alone",
    )
    args = parser.parse_args()
    # A SIGTERM unwinds like Ctrl-C, so that the server is stopped and removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load = os.getloadavg()
    print(
        f"{os.cpu_count()} cores; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        f"before the runs; one run each, capped at {args.cap:.0f} s",
        flush=True,
    )
    server = Server()
    work = Path(tempfile.mkdtemp(prefix="annotator-pgbench-files-"))
    table: list[Row] = []
    try:
        server.start()
        print(f"PostgreSQL server from {server.bin} on {server.folder}", flush=True)
        plain(server, work, args, table)
        annotated(server, work, args, table)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print()
    print_table(table)
    print()
    for command in (
        "import",
        "stats",
        "import prodigy",
        "stats (ann.)",
        "export doccano (ann.)",
        "agreement (ann.)",
    ):
        print(extrapolate(table, command, TARGET))
    spans = [r for r in table if r.command == "import prodigy" and r.ours and not r.ours.capped]
    if spans:
        largest = max(spans, key=lambda r: r.size)
        per_article = largest.rows / largest.size
        rate = largest.rows / largest.ours.seconds
        print(
            f"import prodigy: 1,000,000 x 3 is about {per_article * TARGET:,.0f} spans; at "
            f"{rate:,.0f} spans/s (the rate at {largest.size:,}) about "
            f"{per_article * TARGET / rate / 3600:.1f} h"
        )


def step(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {text}", flush=True)


def plain(server: Server, work: Path, args: argparse.Namespace, table: list[Row]) -> None:
    """Plain imports at each size, then stats, export and agreement on our database."""
    if not args.sizes:
        return
    largest = work / "largest.jsonl"
    step(f"generating {max(args.sizes):,} articles")
    generate_articles(largest, max(args.sizes))
    for n in sorted(args.sizes):
        src = work / f"articles{n}.jsonl"
        if n == max(args.sizes):
            src = largest
        else:
            prefix_lines(largest, src, n)
        mb = src.stat().st_size / 1e6
        results: dict[str, Run] = {}
        for how in ("executemany", "copy", "ours"):
            if how == "copy" and "copy" in args.skip:
                continue
            db = f"plain_{how}"
            server.create(db)
            subprocess.run([*PY, "-c", SCHEMA, server.url(db)], check=True)
            step(f"import {n:,} articles ({mb:,.0f} MB): {how}")
            if how == "ours":
                argv = [*ANNOTATOR, "import", "--db", server.url(db), str(src)]
            else:
                argv = [*PY, "-c", BARE_IMPORT, server.conninfo(db), str(src), how]
            results[how] = run_child(argv, args.cap)
            if not results[how].capped and server.counts(db)[0] != n:
                raise SystemExit(f"{how}: stored {server.counts(db)[0]} articles, expected {n}")
            if how != "ours":
                server.drop(db)
        table.append(
            Row(
                "import",
                n,
                results["ours"],
                results["executemany"],
                results.get("copy"),
                rows=n,
                note=f"{mb:,.0f} MB JSONL; bare = executemany",
            )
        )
        if not results["ours"].capped:
            # export and agreement refuse a database without finished annotations.
            queries(server, work, "plain_ours", n, args, table, "no annotations", ("stats",))
        server.drop("plain_ours")
        if src != largest:
            src.unlink()


def annotated(server: Server, work: Path, args: argparse.Namespace, table: list[Row]) -> None:
    """Annotated (Prodigy) imports at each size, then stats, export and agreement."""
    for n in sorted(args.annotated_sizes):
        src = work / f"prodigy{n}.jsonl"
        step(f"generating {n:,} articles x 3 annotators")
        spans = generate_annotated(src, n)
        results: dict[str, Run | None] = {}
        for how in ("bare", "ours"):
            if how == "bare" and not _bare_at(args, n):
                results[how] = None
                continue
            db = f"annotated_{how}"
            server.create(db)
            subprocess.run([*PY, "-c", SCHEMA, server.url(db)], check=True)
            step(f"import --format prodigy {n:,} x 3 ({spans:,} spans): {how}")
            if how == "ours":
                argv = [*ANNOTATOR, "import", "--db", server.url(db), "--format", "prodigy"]
                argv.append(str(src))
            else:
                argv = [*PY, "-c", BARE_ANNOTATED, server.conninfo(db), str(src)]
            run = results[how] = run_child(argv, args.cap)
            if not run.capped and server.counts(db) != (n, 3 * n, spans):
                raise SystemExit(f"{how}: stored {server.counts(db)}, expected {(n, 3 * n, spans)}")
            if how != "ours":
                server.drop(db)
        table.append(
            Row(
                "import prodigy",
                n,
                results["ours"],
                results["bare"],
                rows=spans,
                unit="spans",
                note=f"{n:,} x 3 annotators",
            )
        )
        ours = results["ours"]
        if ours is not None and not ours.capped:
            queries(server, work, "annotated_ours", n, args, table, f"{3 * n:,} annotations")
        server.drop("annotated_ours")
        src.unlink()


def _bare_at(args: argparse.Namespace, n: int) -> bool:
    """Whether the bare scripts run at size ``n`` (see --bare-up-to)."""
    return args.bare_up_to is None or n <= args.bare_up_to


def queries(
    server: Server,
    work: Path,
    db: str,
    n: int,
    args: argparse.Namespace,
    table: list[Row],
    note: str,
    only: tuple[str, ...] = ("stats", "export", "agreement"),
) -> None:
    """stats, export --format doccano and agreement (those in ``only``) on ``db``, ours and
    bare."""
    url, conninfo = server.url(db), server.conninfo(db)
    out = work / "export"
    runs = (
        ("stats", [*ANNOTATOR, "stats", "--db", url], [*PY, "-c", BARE_STATS, conninfo]),
        (
            "export doccano",
            [*ANNOTATOR, "export", "--format", "doccano", "--db", url, "-o", str(out / "ours")],
            [*PY, "-c", BARE_EXPORT, conninfo, str(out / "bare")],
        ),
        (
            "agreement",
            [*ANNOTATOR, "agreement", "--db", url, "-f", "json", "-o", str(work / "agree.json")],
            [*PY, "-c", BARE_AGREEMENT, conninfo],
        ),
    )
    for command, ours_argv, bare_argv in runs:
        if command.split()[0] in args.skip or command.split()[0] not in only:
            continue
        step(f"{command} on {n:,} articles ({note}): ours{', bare' if _bare_at(args, n) else ''}")
        ours = run_child(ours_argv, args.cap)
        bare = run_child(bare_argv, args.cap) if _bare_at(args, n) else None
        shutil.rmtree(out, ignore_errors=True)
        label = command if "stats" in only and len(only) == 1 else f"{command} (ann.)"
        table.append(Row(label, n, ours, bare, note=note))


if __name__ == "__main__":
    main()
