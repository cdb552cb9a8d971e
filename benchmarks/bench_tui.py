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

5. Each edit key on its own (relabel, delete, tab), in-app, against a LEAN bare app that,
   like ours, skips the layout pass when only styles change, in --edit-rounds rounds
   (the lean app measured just before ours in each; the ratio is the median of the
   rounds' ratios). Goal: <= 1.2x per key.
6. A long paragraph: one line of --long-chars characters with --long-spans suggestions
   (painting and keys must cost what is visible, not the paragraph). Baseline: the lean
   bare app with the same text in the same chunks. Goal: Tab <= 50 ms.
7. `a` until the next article (of --words words, --spans spans) is painted, in-app, and
   how many chunk paints and layout passes one `a` costs, against the lean bare app
   replacing its paragraphs with the next article's. Goal: <= 1.5x.

    python benchmarks/bench_tui.py [--words 5000] [--spans 300] [--articles 100000]
        [--only start,keys,edits,long,next,open,memory]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from textual import events
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

# A tmux server of this run's own: a server another program started (perhaps at a lower
# priority) would run our programs and the baselines at its priority.
TMUX = ["tmux", "-L", f"annotator-bench-{os.getpid()}"]


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

    return measured_app_class()(
        scheme=find_scheme("conflict"),
        open_session=lambda: AnnotationSession(open_store(db), annotator),
        first=first_article(str(db), annotator),
    )


COUNTS = {"layouts": 0, "chunk_updates": 0}


def measured_app_class():
    """The production app with the benchmark's instrumentation on top: each key's
    latency is kept with the key's name, and layout passes and chunk updates are
    counted (by wrapping Textual's screen layout and the chunk widget's update)."""
    from textual.screen import Screen

    from annotator.tui.measured import MeasuredApp
    from annotator.tui.widgets.article import Paragraph

    if not getattr(Screen._refresh_layout, "_counted", False):
        refresh_layout, update = Screen._refresh_layout, Paragraph.update

        def counted_layout(self, *args, **kwargs):
            COUNTS["layouts"] += 1
            return refresh_layout(self, *args, **kwargs)

        def counted_update(self, *args, **kwargs):
            COUNTS["chunk_updates"] += 1
            return update(self, *args, **kwargs)

        counted_layout._counted = True  # type: ignore[attr-defined]
        Screen._refresh_layout = counted_layout  # type: ignore[method-assign]
        Paragraph.update = counted_update  # type: ignore[method-assign]

    class KeyedApp(MeasuredApp):
        # Textual reads CSS_PATH relative to the module defining the class: this one.
        CSS_PATH = str(Path(sys.modules[MeasuredApp.__module__].__file__).parent / "app.tcss")

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.keyed: list[tuple[str, float]] = []
            self._key_name = ""

        async def on_event(self, event: events.Event) -> None:
            if isinstance(event, events.Key):
                self._key_name = event.key
            await super().on_event(event)

        def key_handled(self) -> None:
            if self._key_time is not None:
                created, name = self._key_time, self._key_name
                self._key_time = None

                def record() -> None:
                    latency = time.monotonic() - created
                    self.latencies.append(latency)
                    self.keyed.append((name, latency))

                self.screen.call_after_refresh(record)

    return KeyedApp


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
    """Baseline: the same paragraphs as plain Statics; each key moves one highlight.
    ``lean`` skips the layout pass for these style-only updates (as ours does);
    ``chunks`` cuts the text into the same chunks as our view."""

    def __init__(self, text: str, lean: bool = False, chunks: bool = False):
        super().__init__()
        if chunks:
            from annotator.tui.widgets.article import chunk_ranges

            self.lines = [text[a:b] for a, b in chunk_ranges(text)]
        else:
            self.lines = text.split("\n")
        self.lean = lean
        self.latencies: list[float] = []
        self.position = 0
        self.shown: list[int] | None = None  # the lines on screen, found at the first key

    def compose(self):
        with VerticalScroll():
            for line in self.lines:
                yield Static(Content(line), markup=False)

    def on_key(self, event) -> None:
        created = event.time
        statics = list(self.query(Static))
        if self.shown is None:
            # The highlight moves through the lines on screen only, as a cursor the view
            # follows does: restyling a line out of view costs almost nothing, and 9 of the
            # 15 lines 300 keys reached were out of view, so half the keys measured nothing.
            height = self.screen.size.height
            self.shown = [
                i for i, s in enumerate(statics) if s.region.height and s.region.y < height
            ] or list(range(len(statics)))
        shown = self.shown
        line = shown[self.position // 20 % len(shown)]
        layout = not self.lean
        statics[line].update(Content(self.lines[line]), layout=layout)
        self.position += 1
        line = shown[self.position // 20 % len(shown)]
        start = (self.position % 20) * 5
        statics[line].update(
            Content(self.lines[line], [StyleSpan(start, start + 5, "reverse")]), layout=layout
        )
        self.screen.call_after_refresh(lambda: self.latencies.append(time.monotonic() - created))


async def bare_latency(
    text: str, presses: int, gap: float, lean: bool = False, chunks: bool = False
) -> list[float]:
    app = BareHighlight(text, lean, chunks)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(presses):
            await press(app, "right", gap)
        await pilot.pause()
        return list(app.latencies)


EDIT_KEYS = ["tab", "2", "tab", "4", "tab", "delete", "tab", "3", "shift+tab", "1"]
LONG_KEYS = ["tab", "tab", "down", "tab", "2", "up", "tab", "right", "shift+tab", "tab"]
RELABEL = set("0123456789")


def long_paragraph(chars: int, spans: int, seed: int = 3) -> tuple[str, list[Span]]:
    """One line of about ``chars`` characters with ``spans`` one-word spans spread evenly."""
    rng = random.Random(seed)
    words: list[str] = []
    length = 0
    while length < chars:
        words.append(rng.choice(WORDS))
        length += len(words[-1]) + 1
    chosen = {round(i * len(words) / spans) for i in range(spans)}
    found: list[Span] = []
    position = 0
    for i in range(len(words)):
        if i in chosen:
            words[i] = rng.choice(NAMES)
            found.append(Span(position, position + len(words[i]), "LOCATION"))
        position += len(words[i]) + 1
    while position < chars:  # names are shorter than the words they replaced
        words.append(rng.choice(WORDS))
        position += len(words[-1]) + 1
    return " ".join(words), found


async def keyed_latency(
    db: Path, keys: list[str], presses: int, gap: float, size=(120, 40)
) -> list[tuple[str, float]]:
    """(key, latency) of each key of ``keys`` pressed in turn ``presses`` times."""
    app = make_app(db, "bench")
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app.screen)
        await pilot.pause(0.2)
        app.keyed.clear()
        for i in range(presses):
            await press(app, keys[i % len(keys)], gap)
        await settle(pilot, app.screen)
        return list(app.keyed)


def summary(values: list[float]) -> str:
    ms = 1000
    return (
        f"p50 {statistics.median(values) * ms:.1f} ms  p95 {percentile(values, 0.95) * ms:.1f} ms"
        f"  max {max(values) * ms:.1f} ms  (n={len(values)})"
    )


async def next_article(db: Path, opens: int) -> tuple[list[float], list[tuple[int, int]]]:
    """`a` until the next article is painted; and per `a`, the chunk updates and layout
    passes from the key until the database is idle again (the article confirmed)."""
    app = make_app(db, "next")
    costs: list[tuple[int, int]] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await settle(pilot, screen)
        await pilot.pause(0.2)
        for _ in range(opens):
            current = screen.loaded.article_id
            COUNTS["layouts"] = COUNTS["chunk_updates"] = 0
            await app._press_keys(["a"])
            for _ in range(2000):
                await asyncio.sleep(0.002)
                if screen.loaded is not None and screen.loaded.article_id != current:
                    break
            await settle(pilot, screen)
            await pilot.pause(0.1)
            costs.append((COUNTS["chunk_updates"], COUNTS["layouts"]))
        return list(app.open_times), costs


class BareNext(App):
    """Baseline for `a`: the lean bare app's paragraphs replaced by the next article's."""

    def __init__(self, texts: list[str]):
        super().__init__()
        self.texts = [t.split("\n") for t in texts]
        self.at = 0
        self.latencies: list[float] = []

    def compose(self):
        with VerticalScroll():
            for line in self.texts[0]:
                yield Static(Content(line), markup=False)

    def on_key(self, event) -> None:
        created = event.time
        self.at = (self.at + 1) % len(self.texts)
        for static, line in zip(self.query(Static), self.texts[self.at], strict=False):
            static.update(Content(line))
        self.query_one(VerticalScroll).scroll_home(animate=False)
        self.screen.call_after_refresh(lambda: self.latencies.append(time.monotonic() - created))


async def bare_next(texts: list[str], opens: int) -> list[float]:
    app = BareNext(texts)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(opens):
            await press(app, "a", 0.1)
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
        [*TMUX, "new-session", "-d", "-s", name, "-x", "120", "-y", "40", f"exec {command}"],
        check=True,
    )
    try:
        while time.perf_counter() - start < 30:
            screen = subprocess.run(
                [*TMUX, "capture-pane", "-p", "-t", name], capture_output=True, text=True
            ).stdout
            if needle in screen:
                return time.perf_counter() - start, name
            time.sleep(0.003)
        raise SystemExit(f"{needle!r} never appeared for {command}")
    except BaseException:
        subprocess.run([*TMUX, "kill-session", "-t", name])
        raise


def tmux_kill(name: str) -> None:
    subprocess.run([*TMUX, "kill-session", "-t", name], capture_output=True)


def rss_mb(name: str) -> float:
    pid = subprocess.run(
        [*TMUX, "list-panes", "-t", name, "-F", "#{pane_pid}"], capture_output=True, text=True
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
    parser.add_argument("--edit-presses", type=int, default=300)
    parser.add_argument("--edit-rounds", type=int, default=3)
    parser.add_argument("--long-chars", type=int, default=200_000)
    parser.add_argument("--long-spans", type=int, default=9_000)
    parser.add_argument("--long-presses", type=int, default=60)
    parser.add_argument("--next-opens", type=int, default=15)
    parser.add_argument(
        "--only",
        default="start,keys,edits,long,next,open,memory",
        help="comma-separated sections to run",
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    folder = Path(tempfile.mkdtemp(prefix="bench-tui-"))
    ms = 1000
    if shutil.which("tmux"):
        # A session that lives for the whole run: without it the server exits with the last
        # measured session, and the next one can race its exit ("server exited unexpectedly").
        subprocess.run([*TMUX, "new-session", "-d", "-s", "keep", "sleep 86400"], check=True)
    try:
        # 3. start to first article, seen from tmux; first, before the big database is
        # written (its disk traffic would slow both starts unevenly).
        has_tmux = shutil.which("tmux") is not None
        if not has_tmux:
            print("tmux is not installed: start time and memory not measured")
        if has_tmux and {"start", "memory"} & only:
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
        if has_tmux and "start" in only:
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
        if "keys" in only:
            lean = asyncio.run(bare_latency(text, args.presses, args.gap, lean=True))
            ours = asyncio.run(key_latency(db, args.presses, args.gap))
            bare = asyncio.run(bare_latency(text, args.presses, args.gap))
            print(
                f"key latency, {args.words} words, {len(spans)} spans, {len(ours)} keys {args.gap * 1000:.0f} ms apart (in-app):"
            )
            print(f"  ours: {summary(ours)}  (goal p95 <= 16 ms)")
            print(f"  bare highlight app (a layout per key): {summary(bare)}")
            print(f"  lean bare app (no layout for styles): {summary(lean)}")
            print(
                f"  ratio ours/bare at p95: {percentile(ours, 0.95) / percentile(bare, 0.95):.2f}x,"
                f" ours/lean bare at p95: {percentile(ours, 0.95) / percentile(lean, 0.95):.2f}x"
            )

        # 5. each edit key on its own, against the lean bare app, in rounds: the lean app
        # right before ours in each round, so that a slow spell of the machine (it moves
        # a whole run by up to 30 % here) falls on both sides of one round's ratio.
        if "edits" in only:
            rounds: list[tuple[list[float], list[tuple[str, float]]]] = []
            for number in range(args.edit_rounds):
                # A fresh article each round: the keys edit it.
                edit_db = folder / f"edits{number}.db"
                store = open_store(edit_db)
                add_article(store, text, "A long article", spans)
                store.dispose()
                round_lean = asyncio.run(bare_latency(text, args.presses, args.gap, lean=True))
                keyed = asyncio.run(keyed_latency(edit_db, EDIT_KEYS, args.edit_presses, args.gap))
                rounds.append((round_lean, keyed))
            pooled_lean = [v for round_lean, _ in rounds for v in round_lean]
            print(
                f"edit keys one by one, {args.words} words, {len(spans)} spans (in-app),"
                f" {len(rounds)} rounds, each against the lean bare app measured just before"
                f" (p50 {statistics.median(pooled_lean) * ms:.1f} ms,"
                f" p95 {percentile(pooled_lean, 0.95) * ms:.1f} ms over the rounds):"
            )
            groups = {
                "relabel (digit)": lambda k: k in RELABEL,
                "delete": lambda k: k == "delete",
                "tab / shift+tab": lambda k: k in ("tab", "shift+tab"),
            }
            for name, wanted in groups.items():
                per_round = [
                    ([v for k, v in keyed if wanted(k)], round_lean) for round_lean, keyed in rounds
                ]
                per_round = [(values, base) for values, base in per_round if values]
                if not per_round:
                    print(f"  {name}: not measured")
                    continue
                p50s = [
                    statistics.median(values) / statistics.median(base)
                    for values, base in per_round
                ]
                p95s = [
                    percentile(values, 0.95) / percentile(base, 0.95) for values, base in per_round
                ]
                pooled = [v for values, _ in per_round for v in values]
                print(
                    f"  {name}: {summary(pooled)}  ratio p50 {statistics.median(p50s):.2f}x"
                    f" (rounds {' '.join(f'{r:.2f}x' for r in p50s)}),"
                    f" p95 {statistics.median(p95s):.2f}x (goal <= 1.2x)"
                )
            every = [v for _, keyed in rounds for _, v in keyed]
            print(f"  every key: {summary(every)}  (goal p95 <= 16 ms)")

        # 6. a long paragraph
        if "long" in only:
            long_text, long_spans = long_paragraph(args.long_chars, args.long_spans)
            long_db = folder / "paragraph.db"
            store = open_store(long_db)
            add_article(store, long_text, "One long paragraph", long_spans)
            store.dispose()
            keyed = asyncio.run(
                keyed_latency(long_db, LONG_KEYS, args.long_presses, max(args.gap, 0.1))
            )
            chunked = asyncio.run(
                bare_latency(
                    long_text, args.long_presses, max(args.gap, 0.1), lean=True, chunks=True
                )
            )
            tabs = [v for k, v in keyed if k in ("tab", "shift+tab")]
            print(
                f"one paragraph of {len(long_text):,} characters with {len(long_spans):,} suggestions (in-app):"
            )
            print(f"  tab: {summary(tabs)}  (goal <= 50 ms)")
            print(f"  every key (tab, down, up, right, relabel): {summary([v for _, v in keyed])}")
            print(f"  lean bare app, same text in the same chunks: {summary(chunked)}")
            print(
                f"  ratio tab/lean bare at p95: {percentile(tabs, 0.95) / percentile(chunked, 0.95):.2f}x"
            )

        # 7. `a` until the next article is painted
        if "next" in only:
            next_db = folder / "next.db"
            store = open_store(next_db)
            texts = []
            for seed in range(args.next_opens + 2):
                article_text, article_spans = long_article(args.words, args.spans, seed=10 + seed)
                texts.append(article_text)
                add_article(store, article_text, f"Article {seed}", article_spans)
            store.dispose()
            opened, costs = asyncio.run(next_article(next_db, args.next_opens))
            bare_opened = asyncio.run(bare_next(texts, args.next_opens))
            print(
                f"`a` until the next article ({args.words} words, {args.spans} spans) is painted, {len(opened)} times (in-app):"
            )
            print(f"  ours: {summary(opened)}")
            print(f"  lean bare app replacing its paragraphs: {summary(bare_opened)}")
            print(
                f"  ratio p50 {statistics.median(opened) / statistics.median(bare_opened):.2f}x,"
                f" p95 {percentile(opened, 0.95) / percentile(bare_opened, 0.95):.2f}x (goal <= 1.5x)"
            )
            updates = [u for u, _ in costs]
            layouts = [n for _, n in costs]
            chunks = len(texts[0].split("\n"))
            print(
                f"  per `a`: chunk updates median {statistics.median(updates):.0f} (article has {chunks} chunks),"
                f" layout passes median {statistics.median(layouts):.0f}, max {max(layouts)}"
            )

        # 2. opening the next article in a big database
        if {"open", "memory"} & only:
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
        if "open" in only:
            opened = asyncio.run(open_next(big, args.opens))
            fetch = bare_fetch(big, args.opens)
            print(
                f"opening the next article, {args.articles:,} articles in the database, {len(opened)} opens (in-app):"
            )
            print(
                f"  ours: p50 {statistics.median(opened) * ms:.1f} ms  p95 {percentile(opened, 0.95) * ms:.1f} ms  (goal p95 <= 50 ms)"
            )
            print(
                f"  bare sqlite3 fetch of the article: p50 {statistics.median(fetch) * ms:.3f} ms"
            )

        # 4. memory, seen from tmux
        if not has_tmux or "memory" not in only:
            return
        seconds, name = tmux_start(
            f"{sys.executable} -m annotator annotate --db {big} --annotator memory",
            "Report",
        )
        try:
            for _ in range(args.opens):
                subprocess.run([*TMUX, "send-keys", "-t", name, "a"], check=True)
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
        if shutil.which("tmux"):
            subprocess.run([*TMUX, "kill-server"], capture_output=True)


if __name__ == "__main__":
    main()
