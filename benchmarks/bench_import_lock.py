"""Write-lock holds during a large annotated import while another process edits.

An editor process writes one small transaction (an event, the way the annotation screen
logs an edit, through the store's BEGIN IMMEDIATE session) every 50 ms and records how
long each took, lock wait included. Meanwhile `import --format prodigy` of N articles x 3
annotators runs in another process, which times each of its own write transactions.
The bare baseline is the stdlib importer of bench_import_annotated (one transaction for
the whole import, as our import was before it was staged), with the same editor beside it.

    python benchmarks/bench_import_lock.py [--articles 10000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_import_annotated import BARE, fresh_db, generate  # noqa: E402

EDITOR = r"""
import sys, time
from pathlib import Path
from annotator.store.annotations import log_event
from annotator.store.engine import open_store
store = open_store(sys.argv[1]); stop = Path(sys.argv[2])
waits = []
while not stop.exists():
    start = time.perf_counter()
    with store.write() as session:
        log_event(session, "bench-edit", payload={"n": len(waits)})
    waits.append(time.perf_counter() - start)
    time.sleep(0.05)
waits.sort()
print(len(waits), waits[-1], waits[int(0.99 * (len(waits) - 1))])
"""

OURS = r"""
import sys, time
from contextlib import contextmanager
from pathlib import Path
from annotator.services.importing import import_files
from annotator.store.engine import Store, open_store
holds = []
plain = Store.write_connection

@contextmanager
def timed(self):
    start = time.perf_counter()
    with plain(self) as conn:
        yield conn
    holds.append(time.perf_counter() - start)  # BEGIN IMMEDIATE to the end of COMMIT

Store.write_connection = timed
start = time.perf_counter()
report = import_files(open_store(sys.argv[1]), [Path(sys.argv[2])], fmt="prodigy")
total = time.perf_counter() - start
print(total, len(holds), max(holds), report.annotations)
"""


def run(code: str, db: Path, src: Path, folder: Path) -> tuple[list[str], list[str]]:
    stop = folder / "stop"
    stop.unlink(missing_ok=True)
    editor = subprocess.Popen(
        [sys.executable, "-c", EDITOR, str(db), str(stop)], stdout=subprocess.PIPE, text=True
    )
    time.sleep(1.5)  # the editor is up and editing
    proc = subprocess.run(
        [sys.executable, "-c", code, str(db), str(src)], capture_output=True, text=True
    )
    stop.touch()
    out, _ = editor.communicate(timeout=120)
    if proc.returncode != 0 or editor.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    return proc.stdout.split(), out.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()
    n = args.articles
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        src = folder / "db-out.jsonl"
        spans = generate(src, n)
        print(
            f"{3 * n:,} records ({n:,} articles x 3 annotators, {spans:,} spans); "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        db = folder / "ours.db"
        fresh_db(db)
        ours, ours_editor = run(OURS, db, src, folder)
        db = folder / "bare.db"
        fresh_db(db)
        bare, bare_editor = run(BARE, db, src, folder)
    total, count, longest, _ = ours
    print(
        f"ours: import {float(total):.1f} s in {count} write transactions, longest hold "
        f"{float(longest) * 1000:.0f} ms; the editor's {ours_editor[0]} edits waited at most "
        f"{float(ours_editor[1]) * 1000:.0f} ms (p99 {float(ours_editor[2]) * 1000:.0f} ms)"
    )
    print(
        f"bare one-transaction import: {float(bare[0]):.1f} s holding the lock throughout; "
        f"the editor's {bare_editor[0]} edits waited at most {float(bare_editor[1]) * 1000:.0f} ms"
    )
    print(
        f"longest hold: ours {float(longest):.2f} s vs one transaction {float(bare[0]):.2f} s "
        f"(goal: at most ~1 s at a time)"
    )


if __name__ == "__main__":
    main()
