"""`annotator train` against bare `spacy train` with the same config and data, in one run.

A generated task (tests/synthetic.py: template news with a hidden truth) is stored as one
annotator's finished work in a real SQLite file. Both sides run as the user runs them, a
process each, alternately, --repeat times; the best wall time of each is compared:

- ours: `annotator train --source ana --max-steps S`: open the database, choose and check
  the data, split it, build the DocBins, spaCy's training loop, save the run folder.
- bare: `python -m spacy train` on the config.cfg, train.spacy and dev.spacy that our run
  saved (the same config, data and seed), with its output folder.

Both report the same best dev F1 (same seed, same data): printed as a check. Wall time and CPU time
(user + system of the process) are both printed: on a machine shared with other work the
CPU time is the fair comparison, as waiting for a core is not either side's doing.

    python benchmarks/bench_train.py [--articles 300] [--steps 300] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def make_db(folder: Path, articles: int) -> None:
    from annotator.domain.spans import Origin, Span
    from tests.exchange import Annotation, Article, new_store, populate
    from tests.synthetic import make_task

    task = make_task(articles, seed=3)
    store = new_store(folder, "news.db")
    populate(
        store,
        [Article(t.text, t.title) for t in task],
        [
            Annotation(i, "ana", [Span(s, e, label, Origin.MANUAL) for s, e, label in t.truth])
            for i, t in enumerate(task)
        ],
    )
    store.dispose()


def timed(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of the child) and the output of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-train-"))
    try:
        make_db(folder, args.articles)
        ours_times, bare_times, ours_cpu, bare_cpu = [], [], [], []
        ours_f1 = bare_f1 = None
        run: Path | None = None
        for round_ in range(args.repeat):
            out = folder / f"runs{round_}"
            bare_out = folder / f"bare{round_}"
            ours_command = [
                sys.executable,
                "-m",
                "annotator",
                "train",
                "--db",
                "news.db",
                "--source",
                "ana",
                "--max-steps",
                str(args.steps),
                "--out",
                str(out),
            ]

            def bare_command(run: Path, bare_out: Path = bare_out) -> list[str]:
                return [
                    sys.executable,
                    "-m",
                    "spacy",
                    "train",
                    str(run / "config.cfg"),
                    "--paths.train",
                    str(run / "train.spacy"),
                    "--paths.dev",
                    str(run / "dev.spacy"),
                    "--output",
                    str(bare_out),
                ]

            # The first round makes the data bare trains on; later rounds alternate who
            # goes first, so that a change in the machine's load does not favour one side.
            order = ("ours", "bare") if round_ % 2 == 0 or run is None else ("bare", "ours")
            for side in order:
                if side == "ours":
                    seconds, cpu, _ = timed(ours_command, folder)
                    ours_times.append(seconds)
                    ours_cpu.append(cpu)
                    run = next(p for p in out.iterdir() if not p.name.startswith("."))
                    ours_f1 = json.loads((run / "scores.json").read_text())["f1"]
                else:
                    seconds, cpu, _ = timed(bare_command(run), folder)
                    bare_times.append(seconds)
                    bare_cpu.append(cpu)
                    meta = json.loads((bare_out / "model-best" / "meta.json").read_text())
                    bare_f1 = meta["performance"]["ents_f"]
            print(
                f"round {round_ + 1} ({' then '.join(order)}): ours {ours_times[-1]:.1f} s "
                f"({ours_cpu[-1]:.1f} s CPU), bare {bare_times[-1]:.1f} s "
                f"({bare_cpu[-1]:.1f} s CPU)"
            )
        data = json.loads((run / "data.json").read_text())
        print(
            f"{args.articles} articles ({data['parts']['train']} train, {data['parts']['dev']} "
            f"dev), {args.steps} steps max"
        )
        print(f"best dev F1: ours {ours_f1:.4f}, bare spacy train {bare_f1:.4f}")
        best_ours, best_bare = min(ours_times), min(bare_times)
        print(
            f"wall (best of {args.repeat}): annotator train {best_ours:.1f} s, bare spacy "
            f"train {best_bare:.1f} s: {best_bare / best_ours:.2f}x the bare speed"
        )
        cpu_ours, cpu_bare = min(ours_cpu), min(bare_cpu)
        print(
            f"CPU (best of {args.repeat}; fair on a shared machine): annotator train "
            f"{cpu_ours:.1f} s, bare {cpu_bare:.1f} s: {cpu_bare / cpu_ours:.2f}x the bare "
            "speed (target >= 0.95x)"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
