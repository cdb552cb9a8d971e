"""Scraped news as it comes: site furniture repeated across the articles of one import
(logo lines, disclaimers, share forms) found and trimmed, and the real headline found.

Pure functions over text. A line is furniture only when it, or every sentence of it,
occurs in other articles of the same group too (at least ``min_articles`` of them), so a
line with anything of its own is never trimmed, and a line found in one article only
never is. Lines longer than SENTENCE_LINES characters count only as whole lines.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from annotator.domain.records import ArticleRecord

TITLE_LIMIT = 120  # characters; a longer headline is cut at a word and gets an ellipsis
TITLE_LOOKAHEAD = 8  # non-empty lines at the top of an article considered for the title
SAMPLE = 2000  # articles of a group whose sentences are counted to find its furniture
MIN_SHARE = 0.01  # furniture occurs in at least this share of a group's sampled articles
SENTENCE_LINES = 500  # characters: longer lines are matched whole, not sentence by sentence

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_WORD = re.compile(r"\w+")


def sentences(line: str) -> list[str]:
    """The sentences of one line (split after . ! ? … and whitespace), stripped."""
    return [part for part in (p.strip() for p in _SENTENCE_END.split(line.strip())) if part]


@dataclass
class Furniture:
    """What a group of articles repeats: sentences found in at least ``min_articles`` of
    its sampled articles."""

    repeated: frozenset[str] = frozenset()
    min_articles: int = 2

    def is_furniture(self, line: str) -> bool:
        """Whether every sentence of ``line`` is repeated across the group's articles."""
        if not self.repeated:
            return False
        stripped = line.strip()
        if not stripped:
            return False
        if stripped in self.repeated:
            return True
        if len(stripped) > SENTENCE_LINES:
            return False
        parts = sentences(stripped)
        return bool(parts) and all(part in self.repeated for part in parts)


def learn_furniture(texts: Iterable[str], min_share: float = MIN_SHARE) -> Furniture:
    """The sentences (and whole lines) that occur in at least two of ``texts``, and in at
    least ``min_share`` of them; each counted once per text."""
    counts: Counter[str] = Counter()
    n = 0
    for text in texts:
        n += 1
        seen: set[str] = set()
        for line in text.split("\n"):
            stripped = line.strip()
            if not stripped:
                continue
            seen.add(stripped)
            if len(stripped) <= SENTENCE_LINES:
                seen.update(sentences(stripped))
        counts.update(seen)
    least = max(2, math.ceil(min_share * n))
    return Furniture(frozenset(s for s, c in counts.items() if c >= least), least)


@dataclass
class Trimmed:
    """An article's text with its furniture lines removed, and what was removed (1-based
    line numbers of the original text)."""

    text: str
    removed: list[tuple[int, str]] = field(default_factory=list)


def trim_furniture(text: str, furniture: Furniture, title: str = "") -> Trimmed:
    """``text`` without its furniture lines, and without the second copy of the headline
    ``title`` when it is repeated as the first body line near the top (scraped pages carry
    the page title and the article's own heading). Paragraph breaks stay as they were: a
    removed paragraph takes one of the blank runs beside it (the shorter) with it."""
    if not furniture.repeated and (not title or text.count(title) < 2):
        return Trimmed(text)  # the common case of a group without furniture: no split
    lines = text.split("\n")
    drop: set[int] = set()
    if furniture.repeated:
        drop.update(i for i, line in enumerate(lines) if furniture.is_furniture(line))
    if title:
        drop.update(_repeated_headline(lines, title, drop))
    if not drop:
        return Trimmed(text)
    removed = [(i + 1, lines[i].strip()) for i in sorted(drop)]
    # Blocks of non-blank lines, and seps[k]: the blank lines before block k (the last
    # entry: blank lines after the last block).
    blocks: list[list[str]] = []
    seps: list[int] = []
    blank = 0
    current: list[str] | None = None
    for i, line in enumerate(lines):
        if not line.strip():
            if current is not None:
                blocks.append(current)
                current = None
            blank += 1
            continue
        if current is None:
            seps.append(blank)
            blank = 0
            current = []
        if i not in drop:
            current.append(line)
    if current is not None:
        blocks.append(current)
    seps.append(blank)
    kept: list[list[str]] = []
    kept_seps = [seps[0]]
    for k, block in enumerate(blocks):
        if block:
            kept.append(block)
            kept_seps.append(seps[k + 1])
        elif kept:
            kept_seps[-1] = max(kept_seps[-1], seps[k + 1])
    if not kept:
        return Trimmed(text)  # nothing of its own: an article is never trimmed to nothing
    kept_seps[0], kept_seps[-1] = seps[0], seps[-1]
    out: list[str] = [""] * kept_seps[0]
    for k, block in enumerate(kept):
        out.extend(block)
        out.extend([""] * kept_seps[k + 1])
    return Trimmed("\n".join(out), removed)


def _repeated_headline(lines: list[str], title: str, drop: set[int]) -> list[int]:
    """Index of the second copy of ``title`` among the first non-empty lines, if any."""
    copies = []
    seen = 0
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or i in drop:
            continue
        seen += 1
        if seen > TITLE_LOOKAHEAD:
            break
        if stripped == title:
            copies.append(i)
    return copies[1:2]


def has_sentence_shape(line: str) -> bool:
    """At least three words and mostly letters: a headline, not "Logo Wide", "|" or a
    form field ("Sender's Name:")."""
    stripped = line.strip()
    if stripped.endswith(":") or len(_WORD.findall(stripped)) < 3:
        return False
    letters = sum(ch.isalpha() for ch in stripped)
    return letters >= 0.6 * len(stripped.replace(" ", ""))


def cap_title(line: str, limit: int = TITLE_LIMIT) -> str:
    """``line`` stripped; longer than ``limit``: its first sentence when that fits, else cut
    at the last word boundary with an ellipsis."""
    line = line.strip()
    if len(line) <= limit:
        return line
    first = sentences(line)[0]
    if len(first) <= limit:
        return first
    cut = line[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"


def detect_title(text: str, furniture: Furniture | None = None) -> str:
    """The headline of a scraped article: among its first non-empty lines, furniture and
    lines without a sentence shape are passed over; a line repeated further down (the page
    title and the article heading) is preferred; else the first candidate; capped at
    TITLE_LIMIT. Falls back to the first non-empty line when nothing qualifies."""
    furniture = furniture or Furniture()
    top: list[str] = []
    first = ""
    lines = [line.strip() for line in text.split("\n")]
    for line in lines:
        if not line:
            continue
        first = first or line
        if len(top) >= TITLE_LOOKAHEAD:
            break
        top.append(line)
    candidates = [
        line for line in top if not furniture.is_furniture(line) and has_sentence_shape(line)
    ]
    if not candidates:
        return cap_title(first) if first else ""
    counts = Counter(line for line in lines if line)
    for line in candidates:
        if counts[line] > 1:
            return cap_title(line)
    return cap_title(candidates[0])


@dataclass
class GroupCleaner:
    """Cleans the plain articles of one import, a group (a source) at a time: learns the
    group's furniture from its first ``sample`` articles, then gives each article a title
    (unless it came with one) and, unless ``keep``, trims its furniture, recording what was
    removed in ``meta["trimmed"]``. Records come back in the order given."""

    keep: bool = False
    sample: int = SAMPLE
    trimmed_lines: int = 0
    trimmed_articles: int = 0
    _group: object = None
    _buffer: list[ArticleRecord] = field(default_factory=list)
    _furniture: Furniture | None = None

    def feed(self, record: ArticleRecord, group: object) -> list[ArticleRecord]:
        """Take one record of ``group``; returns the records now ready (maybe none)."""
        ready: list[ArticleRecord] = []
        if group != self._group:
            ready = self.flush()
            self._group = group
        if self._furniture is not None:
            ready.append(self._clean(record))
            return ready
        self._buffer.append(record)
        if len(self._buffer) >= self.sample:
            ready.extend(self._release())
        return ready

    def flush(self) -> list[ArticleRecord]:
        """The records still held (the end of a group or of the import)."""
        ready = self._release() if self._buffer else []
        self._furniture = None
        self._group = None
        return ready

    def _release(self) -> list[ArticleRecord]:
        self._furniture = learn_furniture(r.text for r in self._buffer)
        ready = [self._clean(r) for r in self._buffer]
        self._buffer = []
        return ready

    def _clean(self, record: ArticleRecord) -> ArticleRecord:
        furniture = self._furniture or Furniture()
        if not record.title:
            record.title = detect_title(record.text, furniture)
        if self.keep:
            return record
        trimmed = trim_furniture(record.text, furniture, record.title)
        if trimmed.removed:
            record.text = trimmed.text
            record.meta = {
                **record.meta,
                "trimmed": [{"line": n, "text": line} for n, line in trimmed.removed],
            }
            self.trimmed_lines += len(trimmed.removed)
            self.trimmed_articles += 1
        return record
