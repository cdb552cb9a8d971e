"""The annotation screen's speed and memory, each against a bare baseline in the same run.

1. Key latency, measured inside the app (key event created -> end of the refresh that
   shows the key's effect), on one article of --words words with --spans spans, over a
   mix of keys pressed --gap seconds apart (default 50 ms: 20 keys a second, faster than
   anyone types; Textual paints on a 60 fps timer, so keys closer than 17 ms apart would
   each wait for the next frame, whatever the app does). Baseline: a bare Textual app with
   the same paragraphs that moves one highlight per key, measured the same way.
   Goal: p95 <= 16 ms.
2. Opening the next article (`a` pressed -> next article painted), inside the app, in a
   database of --articles articles. Baseline: the stdlib sqlite3 fetch of that article.
   Goal: p95 <= 50 ms.
3. Start to first article on screen, seen from tmux (launch, poll the pane until the
   title appears), `annotator annotate` vs a bare Textual app showing the same text.
   Goal: <= 1.5x.
4. Resident memory of `annotator annotate` after opening --opens articles of the big
   database (tmux, real command, suggestions on: spaCy loads in the background and
   suggests for each article opened), vs the bare app. Goal: < 300 MB.

    python benchmarks/bench_tui.py [--words 5000] [--spans 300] [--articles 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from textual.app import App
from textual.containers import VerticalScroll
from textual.content import Content
from textual.content import Span as StyleSpan
from textual.widgets import Static

from annotator.domain.spans import Span
from annotator.services.schemes import find_scheme
from annotator.store.engine import open_store
from annotator.store.models import Article, SuggestionRun
from annotator.store.models import Suggestion as SuggestionRow

WORDS = (
    "the forces village shelling province rebels regime ceasefire airstrike convoy crossing "
    "hospital civilians displaced front highway council statement officials monitors said"
).split()
NAMES = ["Idlib", "Hama", "Aleppo", "Saraqeb", "Ariha", "Atarib", "Kafranbel", "Sarmada"]
KEYS = [
    "right",
    "right",
    "tab",
    "shift+right",
    "3",
    "u",
    "left",
    "tab",
    "space",
    "l",
    "h",
    "shift+tab",
    "1",
    "ctrl+y",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def long_article(words: int, spans: int, seed: int = 0) -> tuple[str, list[Span]]:
    """A news-like text of ``words`` words in paragraphs of ~100 words, with ``spans``
    one-word LOCATION spans spread evenly."""
    rng = random.Random(seed)
    tokens = [rng.choice(WORDS) for _ in range(words)]
    every = max(1, words // spans)
    for i in range(0, words, every):
        tokens[i] = rng.choice(NAMES)
    text, offsets, position = [], [], 0
    for i, token in enumerate(tokens):
        sep = "" if i == 0 else ("\n" if i % 100 == 0 else " ")
        position += len(sep)
        text.append(sep + token)
        if i % every == 0 and len(offsets) < spans:
            offsets.append(Span(position, position + len(token), "LOCATION"))
        position += len(token)
    return "".join(text), offsets


def add_article(store, text: str, title: str, suggestions: list[Span]) -> None:
    from annotator.domain.text import content_hash

    with store.write() as session:
        article = Article(content_hash=content_hash(text), text=text, title=title, source="bench")
        session.add(article)
        session.flush()
        for s in suggestions:
            session.add(
                SuggestionRow(
                    article_id=article.id, source="bench", start=s.start, end=s.end, label=s.label
                )
            )
        session.add(SuggestionRun(article_id=article.id, source="bench", count=len(suggestions)))


def make_app(db: Path, annotator: str):
    from annotator.services.annotating import AnnotationSession
    from annotator.store.fastpath import first_article
    from annotator.tui.measured import MeasuredApp

    return MeasuredApp(
        scheme=find_scheme("conflict"),
        open_session=lambda: AnnotationSession(open_store(db), annotator),
        first=first_article(str(db), annotator),
    )


async def settle(pilot, screen) -> None:
    await asyncio.to_thread(screen.db.wait_idle, 30)
    await pilot.pause()


async def press(app, key: str, gap: float) -> None:
    """Send a key the way the terminal driver does, then wait ``gap`` seconds.

    Not pilot.press: after each key it posts a message to every widget and waits for all
    of them (50 paragraphs here), work a terminal never does, which would be measured too.
    """
    await app._press_keys([key])
    await asyncio.sleep(gap)


async def key_latency(db: Path, presses: int, gap: float) -> list[float]:
    app = make_app(db, "bench")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app.screen)
        app.latencies.clear()
        for i in range(presses):
            await press(app, KEYS[i % len(KEYS)], gap)
        await settle(pilot, app.screen)
        return list(app.latencies)


class BareHighlight(App):
    """Baseline: the same paragraphs as plain Statics; each key moves one highlight."""

    def __init__(self, text: str):
        super().__init__()
        self.lines = text.split("\n")
        self.latencies: list[float] = []
        self.position = 0

    def compose(self):
        with VerticalScroll():
            for line in self.lines:
                yield Static(Content(line), markup=False)

    def on_key(self, event) -> None:
        created = event.time
        statics = list(self.query(Static))
        line = self.position // 20 % len(statics)
        old = statics[line]
        old.update(Content(self.lines[line]))
        self.position += 1
        line = self.position // 20 % len(statics)
        start = (self.position % 20) * 5
        statics[line].update(Content(self.lines[line], [StyleSpan(start, start + 5, "reverse")]))
        self.screen.call_after_refresh(lambda: self.latencies.append(time.monotonic() - created))


async def bare_latency(text: str, presses: int, gap: float) -> list[float]:
    app = BareHighlight(text)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(presses):
            await press(app, "right", gap)
        await pilot.pause()
        return list(app.latencies)


async def open_next(db: Path, opens: int) -> list[float]:
    app = make_app(db, "opener")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await settle(pilot, screen)
        for _ in range(opens):
            current = screen.loaded.article_id
            await pilot.press("a")
            for _ in range(2000):
                await pilot.pause(0.002)
                if screen.loaded is not None and screen.loaded.article_id != current:
                    break
        await settle(pilot, screen)
        return list(app.open_times)


def bare_fetch(db: Path, count: int) -> list[float]:
    conn = sqlite3.connect(db)
    out = []
    for article_id in range(1, count + 1):
        start = time.perf_counter()
        conn.execute("SELECT title, text FROM article WHERE id = ?", (article_id,)).fetchone()
        out.append(time.perf_counter() - start)
    conn.close()
    return out


def tmux_start(command: str, needle: str) -> tuple[float, str]:
    name = f"bench{time.monotonic_ns()}"
    start = time.perf_counter()
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40", f"exec {command}"],
        check=True,
    )
    try:
        while time.perf_counter() - start < 30:
            screen = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True
            ).stdout
            if needle in screen:
                return time.perf_counter() - start, name
            time.sleep(0.003)
        raise SystemExit(f"{needle!r} never appeared for {command}")
    except BaseException:
        subprocess.run(["tmux", "kill-session", "-t", name])
        raise


def tmux_kill(name: str) -> None:
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def rss_mb(name: str) -> float:
    pid = subprocess.run(
        ["tmux", "list-panes", "-t", name, "-F", "#{pane_pid}"], capture_output=True, text=True
    ).stdout.split()[0]
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


BARE_APP = """
import sys
from textual.app import App
from textual.containers import VerticalScroll
from textual.widgets import Static
text = open(sys.argv[1], encoding="utf-8").read()
class Bare(App):
    def compose(self):
        with VerticalScroll():
            yield Static(text, markup=False)
Bare().run()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=5000)
    parser.add_argument("--spans", type=int, default=300)
    parser.add_argument("--presses", type=int, default=300)
    parser.add_argument("--gap", type=float, default=0.05)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--opens", type=int, default=60)
    parser.add_argument("--starts", type=int, default=11)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-tui-"))
    ms = 1000
    try:
        # 3. start to first article, seen from tmux; first, before the big database is
        # written (its disk traffic would slow both starts unevenly).
        has_tmux = shutil.which("tmux") is not None
        if not has_tmux:
            print("tmux is not installed: start time and memory not measured")
        else:
            start_db = folder / "start.db"
            store = open_store(start_db)
            demo_text, demo_spans = long_article(600, 30, seed=2)
            add_article(store, demo_text, "Start article", demo_spans)
            store.dispose()
            bare_script = folder / "bare.py"
            bare_script.write_text(BARE_APP)
            article_file = folder / "article.txt"
            article_file.write_text("Start article\n" + demo_text)
            ours_cmd = f"{sys.executable} -m annotator annotate --db {start_db} --annotator starter --no-suggest"
            bare_cmd = f"{sys.executable} {bare_script} {article_file}"
            needle = " ".join(
                demo_text.split()[1:5]
            )  # early words of the text (no span among them)
            tmux_kill(tmux_start(ours_cmd, needle)[1])  # creates the annotator and queue once
            ours_starts, bare_starts = [], []
            for _ in range(args.starts):
                seconds, name = tmux_start(bare_cmd, needle)
                bare_starts.append(seconds)
                tmux_kill(name)
                time.sleep(0.2)
                seconds, name = tmux_start(ours_cmd, needle)
                ours_starts.append(seconds)
                tmux_kill(name)
                time.sleep(0.2)
            ours_s, bare_s = statistics.median(ours_starts), statistics.median(bare_starts)
            print(f"start to first article on screen (tmux, median of {args.starts}):")
            print(
                f"  ours {ours_s * ms:.0f} ms, bare Textual app {bare_s * ms:.0f} ms, ratio {ours_s / bare_s:.2f}x (goal <= 1.5x)"
            )

        # 1. key latency
        text, spans = long_article(args.words, args.spans)
        db = folder / "long.db"
        store = open_store(db)
        add_article(store, text, "A long article", spans)
        store.dispose()
        ours = asyncio.run(key_latency(db, args.presses, args.gap))
        bare = asyncio.run(bare_latency(text, args.presses, args.gap))
        print(
            f"key latency, {args.words} words, {len(spans)} spans, {len(ours)} keys {args.gap * 1000:.0f} ms apart (in-app):"
        )
        print(
            f"  ours: p50 {statistics.median(ours) * ms:.1f} ms  p95 {percentile(ours, 0.95) * ms:.1f} ms  max {max(ours) * ms:.1f} ms  (goal p95 <= 16 ms)"
        )
        print(
            f"  bare highlight app: p50 {statistics.median(bare) * ms:.1f} ms  p95 {percentile(bare, 0.95) * ms:.1f} ms"
        )
        print(f"  ratio ours/bare at p95: {percentile(ours, 0.95) / percentile(bare, 0.95):.2f}x")

        # 2. opening the next article in a big database
        big = folder / "big.db"
        source = folder / "big.jsonl"
        rng = random.Random(1)
        with source.open("w") as out:
            for i in range(args.articles):
                body = " ".join(rng.choice(WORDS) for _ in range(250))
                out.write(
                    json.dumps(
                        {
                            "title": f"Report {i}",
                            "text": f"Report {i} from {rng.choice(NAMES)}.\n{body}",
                        }
                    )
                    + "\n"
                )
        from annotator.services.importing import import_articles

        store = open_store(big)
        import_articles(store, [source])
        store.dispose()
        opened = asyncio.run(open_next(big, args.opens))
        fetch = bare_fetch(big, args.opens)
        print(
            f"opening the next article, {args.articles:,} articles in the database, {len(opened)} opens (in-app):"
        )
        print(
            f"  ours: p50 {statistics.median(opened) * ms:.1f} ms  p95 {percentile(opened, 0.95) * ms:.1f} ms  (goal p95 <= 50 ms)"
        )
        print(f"  bare sqlite3 fetch of the article: p50 {statistics.median(fetch) * ms:.3f} ms")

        # 4. memory, seen from tmux
        if not has_tmux:
            return
        seconds, name = tmux_start(
            f"{sys.executable} -m annotator annotate --db {big} --annotator memory",
            "Report",
        )
        try:
            for _ in range(args.opens):
                subprocess.run(["tmux", "send-keys", "-t", name, "a"], check=True)
                time.sleep(0.05)
            time.sleep(1.0)
            ours_rss = rss_mb(name)
        finally:
            tmux_kill(name)
        seconds, name = tmux_start(bare_cmd, needle)
        bare_rss = rss_mb(name)
        tmux_kill(name)
        print(
            f"memory after opening {args.opens} articles of {args.articles:,}: ours {ours_rss:.0f} MB RSS (goal < 300 MB), bare Textual app {bare_rss:.0f} MB"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
