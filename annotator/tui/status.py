"""The words on the bars around the article: the title and progress line, and the info
line (what must be known about saving and opening, the message, the current span or
selection). Plain functions of the screen's state, so the screen keeps only its actions."""

from __future__ import annotations

from collections.abc import Callable

from textual.color import Color
from textual.content import Content
from textual.style import Style

from annotator.domain.editing import Editor
from annotator.domain.lifecycle import Lifecycle, Phase
from annotator.domain.scheme import LabelScheme
from annotator.domain.spans import Span
from annotator.domain.workitem import LoadedArticle
from annotator.tui.texts import short
from annotator.tui.widgets.bars import plain


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def top_content(
    loaded: LoadedArticle | None,
    progress_word: str,
    progress: tuple[int | None, int | None],
    per_hour: float,
    model: str = "",
) -> Content:
    """The title and the line about the article and the person's progress (and, with
    --retrain-every, the model suggesting now)."""
    if loaded is None:
        return plain("opening…")
    title = loaded.title or loaded.text.strip().split("\n", 1)[0][:80]
    state = loaded.status.value.replace("_", " ")
    rate = f"{per_hour:.0f}/h" if per_hour >= 0.5 else "—"
    finished, total = progress
    counted = "…" if total is None else f"{finished}/{total}"
    line = (
        f"#{loaded.article_id} · {loaded.source or 'no source'} · {state}"
        f" · {progress_word} {counted} · {rate} this session"
    )
    if loaded.context:
        line += f" · {loaded.context}"
    if model:
        line += f" · {model}"
    return plain(title, Style(bold=True)) + Content("\n") + plain(line, Style(dim=True))


def state_words(life: Lifecycle, quitting: bool) -> str:
    """What the person must know about saving and opening (first on the info line)."""
    unsaved = life.unsaved()
    if unsaved:
        reason = next((w.error for w in reversed(unsaved) if w.error), "")
        words = f"NOT SAVED YET: {_plural(len(unsaved), 'change')}"
        words += f" ({reason}); retrying" if reason else " (waiting for the database)"
        if quitting:
            words += " · q again quits without them"
        return words
    if quitting:
        return "saving… (q again quits at once)"
    if life.phase is Phase.FAILED:
        return f"could not open the article: {life.failure} · ctrl+r tries again"
    if life.waiting:
        count = len(life.waiting)
        verb = "waits" if count == 1 else "wait"
        return f"opening the article… {_plural(count, 'key')} {verb}, applied when it opens"
    if life.notice:
        return life.notice
    if life.phase is Phase.PREVIEW:
        return "opening the article… (you can read, move and type)"
    return ""


def info_line(
    editor: Editor | None,
    scheme: LabelScheme,
    describe_origin: Callable[[Span], str],
    state: str,
    message: str,
) -> Content:
    """The state, the message, then the selection, the current span or the cursor."""
    parts: list[Content] = []
    for words in (state, message):
        if words:  # first: at 80 columns the end of the line is cut
            parts.append(plain(f"{words} · ", Style(italic=True, bold=True)))
    if editor is not None:
        selection = editor.selection_chars()
        if selection is not None:
            text = editor.text[selection[0] : selection[1]]
            parts.append(plain(f"selected “{short(text)}” · press a label key"))
        elif editor.current is not None:
            span = editor.current
            at = editor.index_of(span)
            index = 0 if at is None else at + 1
            colour = Color.parse(scheme.colour_of(span.label))
            parts.append(plain(f"“{short(editor.text[span.start : span.end])}” "))
            parts.append(plain(span.label, Style(bold=True, foreground=colour)))
            parts.append(plain(f" · {describe_origin(span)} · span {index}/{len(editor.spans)}"))
        elif editor.tokens:
            start, end = editor.cursor_chars() or (0, 0)
            parts.append(
                plain(f"cursor on “{short(editor.text[start:end])}” · {len(editor.spans)} spans")
            )
    return Content("").join(parts)


def layers_line(editor: Editor | None, loaded: LoadedArticle | None) -> Content:
    """Review: what each annotator marked where the selection, span or cursor is."""
    if editor is None or loaded is None or not loaded.layers:
        return Content("")
    region = editor.selection_chars()
    if region is None and editor.current is not None:
        region = (editor.current.start, editor.current.end)
    region = region or editor.cursor_chars()
    if region is None:
        return Content("")
    start, end = region
    parts: list[Content] = []
    for name, spans in loaded.layers.items():
        here = [s for s in spans if s.start < end and start < s.end]
        described = ", ".join(
            f"{s.label} “{short(editor.text[s.start : s.end], 30)}”" for s in here
        )
        parts.append(plain(f"{name}: ", Style(bold=True)))
        parts.append(plain(described or "—"))
        parts.append(plain("   "))
    return Content("").join(parts)
