"""What the annotation and review screens say: key tables, help rows, and the words for
where a span came from. Kept apart from the screens, which keep bindings and actions."""

from __future__ import annotations

from annotator.domain.spans import Origin, Span

ORIGIN_WORDS = {
    Origin.SUGGESTED: "suggested, not yet confirmed",
    Origin.ACCEPTED: "suggestion accepted",
    Origin.EDITED: "suggestion edited",
    Origin.MANUAL: "added by hand",
}

ANNOTATE_KEYS = [
    ("tab", "next span"),
    ("1-9", "label"),
    ("space", "confirm"),
    ("del", "delete"),
    ("a", "done"),
    ("s", "skip"),
    ("f", "flag"),
    ("u", "undo"),
    ("?", "help"),
    ("q", "quit"),
]

ANNOTATE_HELP = [
    ("tab / shift+tab", "next / previous span (the current span is shown reversed)"),
    ("→ ← (l h)", "move the token cursor"),
    ("↓ ↑ (j k)", "cursor one visual row down / up (across paragraphs)"),
    ("home / end", "first / last token"),
    ("shift+→ shift+←", "extend / shrink a selection token by token"),
    ("1..9, 0", "give the selection (or the current span, or the cursor token) the N-th label"),
    ("space", "confirm the current suggestion as it is"),
    ("A (shift+a)", "confirm all suggestions"),
    ("delete / backspace", "remove the current span (a removed suggestion stays removed)"),
    ("[  ]", "move the current span's start one token left / right"),
    ("{  }", "move the current span's end one token left / right"),
    ("escape", "drop the selection"),
    ("a", "article done: its spans (suggestions included) are your annotation; next article"),
    ("s", "skip the article"),
    ("f", "flag the article with a note"),
    (
        "u / ctrl+z",
        "undo (the whole history of the article, across restarts; right after a, s or f: reopen that article)",
    ),
    ("ctrl+y", "redo"),
    ("p / n", "previous / next article in your history"),
    ("/", "find text: the match is selected, a label key labels it (/ Enter: next match)"),
    ("e", "every mention: after a label, label every other mention of those words the same;"),
    ("", "after removing a suggestion, remove every other suggestion of those words"),
    (
        "w / W",
        "select the next / previous capitalised name that has no span (a label key labels it)",
    ),
    ("b", "fit the current span to its name: drop a leading “the”, grow to the whole name"),
    (
        "r",
        "jump hints: letters over the words in view; type a word's letters to put the cursor there",
    ),
    ("t", "show / hide label tags after spans"),
    ("ctrl+r", "try again to open the article, after opening failed"),
    ("mouse", "click a span or word to put the cursor there; drag to select"),
    ("?", "this help"),
    ("q", "quit (waits until every change is stored; q again quits at once)"),
]

REVIEW_KEYS = [
    ("tab", "next span"),
    ("space", "take"),
    ("del", "reject"),
    ("1-9", "relabel"),
    ("[ ] { }", "resize"),
    ("a", "gold done"),
    ("u", "undo"),
    ("?", "help"),
    ("q", "quit"),
]

REVIEW_HELP = [
    ("", "Spans all annotators share are already accepted (filled). Every other span is a"),
    ("", "candidate (underlined), tagged with who proposed it: Idlib·LOCATION?ana,bob."),
    ("tab / shift+tab", "next / previous span"),
    ("space", "take the current span as gold; the candidates it overlaps are rejected"),
    ("delete / backspace", "reject the current span"),
    ("1..9, 0", "relabel the current span, or label the selection (edit)"),
    ("[  ]  {  }", "move the current span's start / end by one token (edit)"),
    ("A (shift+a)", "take every candidate (only when they do not overlap)"),
    ("a", "this gold is done (no candidate may be left); next article"),
    ("s / f", "skip / flag the article (with a note)"),
    ("u / ctrl+z, ctrl+y", "undo / redo (across restarts)"),
    ("p / n", "previous / next article you reviewed"),
    ("→ ← ↓ ↑, shift+→ ←", "move the cursor, select"),
    ("/", "find text"),
    ("r", "jump hints: type the letters shown on a word to put the cursor there"),
    ("ctrl+r", "try again to open the article, after opening failed"),
    ("q", "quit (waits until every change is stored)"),
]


def short(text: str, limit: int = 60) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def review_origin(span: Span) -> str:
    """Where a span of a gold draft came from, in words."""
    if span.origin is Origin.SUGGESTED:
        return f"candidate from {', '.join(span.sources) or 'nobody'}"
    if span.origin is Origin.ACCEPTED:
        return "in gold" + (f" (as {', '.join(span.sources)})" if span.sources else "")
    if span.origin is Origin.EDITED:
        return "in gold, edited"
    return "in gold, added by the reviewer"
