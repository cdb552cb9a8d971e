"""The annotation screen: one article, its spans, and the keys that edit them.

The screen keeps the editor state and paints; all database work goes to the database
thread in order, all spaCy work to a worker thread; both answer with messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.content import Content
from textual.screen import Screen
from textual.style import Style

from annotator.domain.editing import Change, Editor, EditRefused, fallback_tokens
from annotator.domain.history import EDIT, REDO, UNDO, History
from annotator.domain.scheme import RESERVED_KEYS, LabelScheme
from annotator.domain.spans import Origin, Span, Status
from annotator.domain.text import visible
from annotator.domain.workitem import LoadedArticle
from annotator.tui.dbthread import DatabaseThread
from annotator.tui.messages import (
    ArticleLoaded,
    Conflict,
    NoMoreArticles,
    Prefetched,
    ProgressCounted,
    SessionFailed,
    SuggestionsSeeded,
    WorkFailed,
)
from annotator.tui.render import Marks, Painter
from annotator.tui.screens.dialogs import AskDialog
from annotator.tui.screens.help import HelpScreen
from annotator.tui.widgets.article import ArticleView
from annotator.tui.widgets.bars import InfoBar, KeysBar, Legend, TopBar, plain

ORIGIN_WORDS = {
    Origin.SUGGESTED: "suggested, not yet confirmed",
    Origin.ACCEPTED: "suggestion accepted",
    Origin.EDITED: "suggestion edited",
    Origin.MANUAL: "added by hand",
}


class AnnotateScreen(Screen):
    """Label one article at a time; every change is stored as it happens."""

    BINDINGS = [
        Binding("tab", "next_span", "next span", priority=True),
        Binding("shift+tab", "previous_span", "prev span", show=False, priority=True),
        Binding("right,l", "move(1)", "next token", show=False),
        Binding("left,h", "move(-1)", "previous token", show=False),
        Binding("shift+right", "extend(1)", "extend selection", show=False),
        Binding("shift+left", "extend(-1)", "shrink selection", show=False),
        Binding("down,j", "line(1)", "next line", show=False),
        Binding("up,k", "line(-1)", "previous line", show=False),
        Binding("home", "edge(-1)", "first token", show=False),
        Binding("end", "edge(1)", "last token", show=False),
        Binding("1", "label_key('1')", "label", key_display="1-9"),
        *(Binding(k, f"label_key('{k}')", f"label {k}", show=False) for k in "234567890"),
        Binding("space", "confirm", "confirm"),
        Binding("A", "confirm_all", "confirm all", show=False),
        Binding("delete,backspace", "delete", "delete", key_display="del"),
        Binding("left_square_bracket", "resize('start', -1)", "start ←", show=False),
        Binding("right_square_bracket", "resize('start', 1)", "start →", show=False),
        Binding("left_curly_bracket", "resize('end', -1)", "end ←", show=False),
        Binding("right_curly_bracket", "resize('end', 1)", "end →", show=False),
        Binding("escape", "clear_selection", "clear selection", show=False),
        Binding("a", "done", "done"),
        Binding("s", "skip", "skip"),
        Binding("f", "flag", "flag"),
        Binding("u,ctrl+z", "undo", "undo"),
        Binding("ctrl+y", "redo", "redo", show=False),
        Binding("p", "history(-1)", "previous article", show=False),
        Binding("n", "history(1)", "next article", show=False),
        Binding("slash", "find", "find", show=False),
        Binding("t", "toggle_tags", "label tags", show=False),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit_screen", "quit"),
    ]

    PROGRESS_WORD = "finished"

    KEYS_BAR = [
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

    HELP_ROWS = [
        ("tab / shift+tab", "next / previous span (the current span is shown reversed)"),
        ("→ ← (l h)", "move the token cursor"),
        ("↓ ↑ (j k)", "cursor to the next / previous line"),
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
        ("u / ctrl+z", "undo (the whole history of the article, across restarts)"),
        ("ctrl+y", "redo"),
        ("p / n", "previous / next article in your history"),
        ("/", "find text in the article (Enter again finds the next match)"),
        ("t", "show / hide label tags after spans"),
        ("mouse", "click a span or word to put the cursor there; drag to select"),
        ("?", "this help"),
        ("q", "quit (everything is already saved)"),
    ]

    def __init__(
        self,
        scheme: LabelScheme,
        open_session: Callable,
        open_nlp: Callable | None,
        first: LoadedArticle | None = None,
    ):
        super().__init__()
        self._first = first
        self.scheme = scheme
        self.painter = Painter(scheme)
        self.db = DatabaseThread(self, open_session)
        self._open_nlp = open_nlp
        self.loaded: LoadedArticle | None = None
        self.editor: Editor | None = None
        self.history = History()
        self.shown = ""
        self._local_ids = 0
        self._message = ""
        self._finished: int | None = None
        self._total: int | None = None
        self._finished_here = 0
        self._started = time.monotonic()
        self._last_query = ""
        self._nlp_state: object | None = None
        # local edit id -> event id; written and read only by the database thread
        self._event_ids: dict[int, int] = {}
        self._open_requested: float | None = None
        self._ahead: LoadedArticle | None = None  # the next article, read ahead
        # Edits wait until the database thread has opened the article: an edit shown but
        # not yet storable could be lost if the process were killed in that moment.
        self._db_ready = False

    # --- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # With an article from the fast start path, the first frame shows it whole (title
        # and info included): a later frame would wait behind SQLAlchemy's import.
        view = ArticleView(self.painter, id="article")
        if self._first is not None:
            self._take(self._first)
            assert self.editor is not None
            view.preset(self.shown, list(self.editor.spans), self._marks())
            self._message = "opening the database… (you can read and move; edits in a moment)"
        yield TopBar(self._top_content(), id="top")
        yield view
        yield InfoBar(Content("\n").join(self._info_lines()), markup=False, id="info")
        yield Legend(self.scheme, id="legend")
        yield KeysBar(self.KEYS_BAR, id="keys")

    def on_mount(self) -> None:
        first = self._first
        if first is None:
            self.db.submit(self._job_open_next)
            self.db.submit(lambda s: ProgressCounted(*s.progress()))
            self.db.start()
            return
        # The article came from the fast start path and is in the first frame. The job that
        # opens it in the database is queued now, ahead of any edit a fast typist makes;
        # the thread itself (and SQLAlchemy's import) starts after that first frame.
        self._after_article_shown(first)
        self.db.submit(lambda session: self._job_confirm_first(session, first.article_id))
        self.db.submit(lambda s: ProgressCounted(*s.progress()))
        self.call_after_refresh(self.db.start)

    def on_unmount(self) -> None:
        self.db.stop(timeout=10)

    @property
    def article_view(self) -> ArticleView:
        return self.query_one(ArticleView)

    # --- jobs (run in the database thread; they return messages) ----------------------------

    @staticmethod
    def _job_open_next(session) -> ArticleLoaded | NoMoreArticles:
        article_id = session.next_article_id()
        if article_id is None:
            return NoMoreArticles()
        return ArticleLoaded(session.load(article_id))

    @staticmethod
    def _job_confirm_first(session, article_id: int) -> ArticleLoaded:
        session.next_article_id()  # fills a new annotator's queue (the read-ahead uses it)
        return ArticleLoaded(session.load(article_id), confirms=True)

    # --- messages ---------------------------------------------------------------------------

    @on(ArticleLoaded)
    async def _show_article(self, message: ArticleLoaded) -> None:
        article = message.article
        self._db_ready = not message.provisional
        if (
            message.confirms
            and self.loaded is not None
            and self.loaded.article_id == article.article_id
        ):
            # The database's view of the article already on screen (from the fast start
            # path or read ahead). No edit can have happened since (edits waited for this),
            # so if the database knows better, show its version.
            if [(s.key, s.origin) for s in article.spans] != [
                (s.key, s.origin) for s in self.editor.spans
            ]:
                self._take(article)
                await self.article_view.show(self.shown, list(self.editor.spans), self._marks())
            self.loaded.annotation_id = article.annotation_id
            self.loaded.status = article.status
            self._say("")
            self._update_top()
            self._read_ahead(article.article_id)
            return
        self._take(article)
        assert self.editor is not None
        await self.article_view.show(self.shown, list(self.editor.spans), self._marks())
        self._message = message.note
        self._after_article_shown(article)
        if self._open_requested is not None and getattr(self.app, "measure", False):
            self.call_after_refresh(self._record_open, self._open_requested)
        self._open_requested = None
        if not message.provisional:
            self._read_ahead(article.article_id)

    def _read_ahead(self, article_id: int) -> None:
        """Fetch the article that comes after this one, so `a`, `s` and `f` show it at once."""
        self._ahead = None
        self.db.submit(lambda session: Prefetched(article_id, session.peek_next(article_id)))

    def on_prefetched(self, message: Prefetched) -> None:
        if self.loaded is not None and message.after == self.loaded.article_id:
            self._ahead = message.article

    def _record_open(self, requested: float) -> None:
        self.app.open_times.append(time.monotonic() - requested)  # type: ignore[attr-defined]

    def _take(self, article: LoadedArticle) -> None:
        """Make ``article`` the one being edited."""
        self.loaded = article
        self.history = article.history
        self.shown = visible(article.text)
        tokens = article.tokens if article.tokens is not None else fallback_tokens(article.text)
        self.editor = Editor(article.text, tokens, article.spans)

    def _after_article_shown(self, article: LoadedArticle) -> None:
        self._update_bars()
        if self._open_nlp is not None and (article.tokens is None or not article.has_suggestions):
            self._suggest_in_background(article.article_id)

    def on_no_more_articles(self, _: NoMoreArticles) -> None:
        self.loaded = None
        self.editor = None
        self.query_one(TopBar).update(plain("Nothing left to annotate", Style(bold=True)))
        self.run_worker(
            self.article_view.show(
                "Every article in your queue is finished. Press q to quit, p to go back.",
                [],
                Marks(),
            )
        )
        self._say("queue finished")

    def on_progress_counted(self, message: ProgressCounted) -> None:
        self._finished, self._total = message.finished, message.total
        self._update_bars()

    def on_suggestions_seeded(self, message: SuggestionsSeeded) -> None:
        if (
            self.editor is None
            or self.loaded is None
            or message.article_id != self.loaded.article_id
        ):
            return
        if message.tokens:
            self.editor.set_tokens(message.tokens)
        if message.change:
            self.editor.apply(message.change)
        self.article_view.spans = list(self.editor.spans)
        self.article_view.marks = self._marks()
        self.article_view.repaint_all()
        self.loaded.has_suggestions = True
        count = len(message.change.added)
        self._say(f"{count} suggestion{'s' if count != 1 else ''} added" if count else "")

    def on_conflict(self, message: Conflict) -> None:
        if self.loaded is None:
            return
        article_id = self.loaded.article_id
        note = f"{message.reason}: reloaded it as it is now; your last change was not saved"
        self.db.submit(lambda s: ArticleLoaded(s.load(article_id), note=note))

    def on_work_failed(self, message: WorkFailed) -> None:
        self._say(f"error: {message.reason}")

    def on_session_failed(self, message: SessionFailed) -> None:
        # A Text, not a str: Rich would read brackets in the reason as markup.
        self.app.exit(return_code=1, message=Text(f"error: {visible(message.reason)}"))

    # --- painting ---------------------------------------------------------------------------

    def _marks(self) -> Marks:
        if self.editor is None:
            return Marks()
        return Marks(
            cursor=self.editor.cursor_chars(),
            selection=self.editor.selection_chars(),
            current=self.editor.current,
        )

    def _repaint(self, dirty: list[tuple[int, int]]) -> None:
        if self.editor is None:
            return
        marks = self._marks()
        view = self.article_view
        view.update_marks(list(self.editor.spans), marks, dirty)
        if marks.cursor is not None:
            view.scroll_to_offset(marks.cursor[0])
        self._update_info()
        key_handled = getattr(self.app, "key_handled", None)
        if key_handled is not None:
            key_handled()

    def _say(self, message: str) -> None:
        self._message = message
        self._update_info()

    def _update_bars(self) -> None:
        self._update_top()
        self._update_info()

    def _update_top(self) -> None:
        if self.loaded is not None:
            self.query_one(TopBar).update(self._top_content())

    def _top_content(self) -> Content:
        """The title and the line about the article and the annotator's progress."""
        if self.loaded is None:
            return plain("opening…")
        title = self.loaded.title or self.loaded.text.strip().split("\n", 1)[0][:80]
        status = self.loaded.status.value.replace("_", " ")
        rate = "—"
        hours = (time.monotonic() - self._started) / 3600
        if self._finished_here and hours > 0:
            rate = f"{self._finished_here / hours:.0f}/h"
        progress = "…" if self._total is None else f"{self._finished}/{self._total}"
        line = (
            f"#{self.loaded.article_id} · {self.loaded.source or 'no source'} · {status}"
            f" · {self.PROGRESS_WORD} {progress} · {rate} this session"
        )
        if self.loaded.context:
            line += f" · {self.loaded.context}"
        return plain(title, Style(bold=True)) + Content("\n") + plain(line, Style(dim=True))

    def _update_info(self) -> None:
        # Fixed height: no layout pass needed, which would rearrange every paragraph.
        self.query_one(InfoBar).update(Content("\n").join(self._info_lines()), layout=False)

    def _info_lines(self) -> list[Content]:
        """What the bar under the article says (one line here; review adds one)."""
        editor = self.editor
        parts: list[Content] = []
        if self._message:  # first: at 80 columns the end of the line is cut
            parts.append(plain(f"{self._message} · ", Style(italic=True, bold=True)))
        if editor is not None:
            selection = editor.selection_chars()
            if selection is not None:
                text = editor.text[selection[0] : selection[1]]
                parts.append(plain(f"selected “{_short(text)}” · press a label key"))
            elif editor.current is not None:
                span = editor.current
                index = editor.spans.index(span) + 1 if span in editor.spans else 0
                parts.append(plain(f"“{_short(editor.text[span.start : span.end])}” "))
                parts.append(
                    plain(span.label, Style(bold=True, foreground=_colour(self.scheme, span.label)))
                )
                parts.append(
                    plain(f" · {self.describe_origin(span)} · span {index}/{len(editor.spans)}")
                )
            elif editor.tokens:
                start, end = editor.cursor_chars() or (0, 0)
                parts.append(
                    plain(
                        f"cursor on “{_short(editor.text[start:end])}” · {len(editor.spans)} spans"
                    )
                )
        return [Content("").join(parts)]

    def describe_origin(self, span: Span) -> str:
        """Where a span came from, in words."""
        return ORIGIN_WORDS[span.origin]

    # --- navigation actions -----------------------------------------------------------------

    def _navigate(self, move: Callable[[Editor], None]) -> None:
        if self.editor is None:
            return
        before = self._marks().ranges()
        move(self.editor)
        self._message = ""
        self._repaint(before)

    def action_next_span(self) -> None:
        self._navigate(lambda e: e.next_span(1))

    def action_previous_span(self) -> None:
        self._navigate(lambda e: e.next_span(-1))

    def action_move(self, delta: int) -> None:
        self._navigate(lambda e: e.move(delta))

    def action_extend(self, delta: int) -> None:
        self._navigate(lambda e: e.extend(delta))

    def action_edge(self, direction: int) -> None:
        self._navigate(lambda e: e.move(len(e.tokens) * direction))

    def action_line(self, direction: int) -> None:
        def move(editor: Editor) -> None:
            chars = editor.cursor_chars()
            if chars is None:
                return
            text = editor.text
            if direction > 0:
                newline = text.find("\n", chars[1])
                target = len(text) if newline < 0 else newline + 1
            else:
                line_start = text.rfind("\n", 0, chars[0])
                target = 0 if line_start < 0 else text.rfind("\n", 0, line_start) + 1
            editor.move_to_char(min(target, max(0, len(text) - 1)))

        self._navigate(move)

    def action_clear_selection(self) -> None:
        self._navigate(lambda e: e.clear_selection())

    @on(ArticleView.Clicked)
    def _clicked(self, message: ArticleView.Clicked) -> None:
        self._navigate(lambda e: e.move_to_char(message.offset))

    @on(ArticleView.Dragged)
    def _dragged(self, message: ArticleView.Dragged) -> None:
        self._navigate(lambda e: e.select_chars(message.start, message.end))

    # --- editing actions ----------------------------------------------------------------------

    def _writable(self) -> bool:
        """True when edits can be stored; otherwise says why the key did nothing."""
        if self.editor is None or self.loaded is None:
            return False
        if not self._db_ready:
            self._say("still opening the database: that key was not applied, try again in a moment")
            return False
        return True

    def _edit(self, make: Callable[[Editor], Change]) -> None:
        if not self._writable():
            return
        before = self._marks().ranges()
        try:
            change = make(self.editor)
        except EditRefused as refused:
            self._message = str(refused)
            self._repaint(before)
            return
        self._message = ""
        extent = change.extent()
        self._repaint(before + ([extent] if extent else []))
        if change:
            self._local_ids -= 1
            self.history.record(self._local_ids, change)
            self._store(change, EDIT, self._local_ids)

    def _store(self, change: Change, action: str, local_id: int) -> None:
        """Queue the write; the database thread maps local ids to event ids for undo."""
        assert self.loaded is not None
        article_id = self.loaded.article_id
        event_ids = self._event_ids

        def job(session):
            if action == EDIT:
                event_ids[local_id] = session.apply(article_id, change, EDIT)
            else:
                session.apply(article_id, change, action, of=event_ids.get(local_id, local_id))
            return None

        self.db.submit(job)

    def action_label_key(self, key: str) -> None:
        label = self.scheme.by_key(key)
        if label is None:
            self._say(f"no label on key {key} in scheme {self.scheme.name}")
            return
        self._edit(lambda e: e.label(label.name))

    def on_key(self, event: events.Key) -> None:
        # Letter hotkeys a scheme adds (digits are bindings); reserved keys never get here.
        character = event.character
        if character and character not in RESERVED_KEYS and not character.isdigit():
            label = self.scheme.by_key(character)
            if label is not None:
                event.stop()
                self._edit(lambda e: e.label(label.name))

    def action_confirm(self) -> None:
        self._edit(lambda e: e.confirm())

    def action_confirm_all(self) -> None:
        self._edit(lambda e: e.confirm_all())

    def action_delete(self) -> None:
        self._edit(lambda e: e.delete())

    def action_resize(self, edge: str, delta: int) -> None:
        self._edit(lambda e: e.resize(edge, delta))

    def action_undo(self) -> None:
        if self._writable():
            self._replay(self.history.take_undo(), UNDO, "nothing to undo")

    def action_redo(self) -> None:
        if self._writable():
            self._replay(self.history.take_redo(), REDO, "nothing to redo")

    def _replay(self, taken: tuple[int, Change] | None, action: str, nothing: str) -> None:
        if self.editor is None:
            return
        if taken is None:
            self._say(nothing)
            return
        edit_id, change = taken
        before = self._marks().ranges()
        self.editor.apply(change)
        extent = change.extent()
        self._message = f"{action} done"
        self._repaint(before + ([extent] if extent else []))
        self._store(change, action, edit_id)

    def action_toggle_tags(self) -> None:
        self.painter.show_tags = not self.painter.show_tags
        self.article_view.repaint_all()

    # --- article actions ----------------------------------------------------------------------

    def _finish(self, status: Status, note: str | None = None) -> None:
        if self.loaded is None or not self._writable():
            return
        article_id = self.loaded.article_id
        if not self.loaded.status.finished:
            self._finished_here += 1
            if self._finished is not None:
                self._finished += 1
        self._message = f"saved as {status.value}; opening the next article…"
        self._update_info()
        self._open_requested = time.monotonic()
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead.article_id != article_id:
            # Shown at once from the read-ahead; the database finishes this article and
            # opens that one behind it (edits wait until it has).
            def job_ahead(session):
                session.finish(article_id, status, note)
                return ArticleLoaded(session.load(ahead.article_id), confirms=True)

            self.post_message(ArticleLoaded(ahead, provisional=True))
            # After that frame: the job would otherwise compete for the GIL with the paint.
            self.call_after_refresh(self.db.submit, job_ahead)
            return

        def job(session):
            session.finish(article_id, status, note)
            return self._job_open_next(session)

        self.db.submit(job)

    def action_done(self) -> None:
        self._finish(Status.DONE)

    def action_skip(self) -> None:
        self._finish(Status.SKIPPED)

    def action_flag(self) -> None:
        if self.loaded is None:
            return

        def flagged(note: str | None) -> None:
            if note is not None:
                self._finish(Status.FLAGGED, note)

        self.app.push_screen(
            AskDialog(
                "Flag this article. Why? (the note is saved with it)", "note", self.loaded.note
            ),
            flagged,
        )

    def action_history(self, step: int) -> None:
        current = self.loaded.article_id if self.loaded is not None else None

        def job(session):
            if current is None:
                target = session.latest() if step < 0 else session.next_article_id()
            else:
                target = session.neighbour(current, step)
                if target is None and step > 0:
                    target = session.next_article_id()
                    if target == current:
                        target = None
            if target is None:
                return WorkFailed(
                    "no earlier article in your history" if step < 0 else "no further article"
                )
            return ArticleLoaded(session.load(target))

        self._open_requested = time.monotonic()
        self.db.submit(job)

    def action_find(self) -> None:
        if self.editor is None:
            return

        def found(query: str | None) -> None:
            if query:
                self._last_query = query
                self._find_next(query)

        self.app.push_screen(AskDialog("Find in this article", "text", self._last_query), found)

    def _find_next(self, query: str) -> None:
        editor = self.editor
        if editor is None:
            return
        text = editor.text.casefold()
        needle = query.casefold()
        chars = editor.cursor_chars() or (0, 0)
        position = text.find(needle, chars[0] + 1)
        if position < 0:
            position = text.find(needle)
        if position < 0:
            self._say(f"“{_short(query)}” is not in this article")
            return
        self._navigate(lambda e: e.select_chars(position, position + len(query)))
        self._say(f"found “{_short(query)}”: a label key labels it")

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.HELP_ROWS, self.scheme))

    def action_quit_screen(self) -> None:
        self._say("saving…")
        self._quit_after_writes()

    @work(thread=True, group="quit")
    def _quit_after_writes(self) -> None:
        self.db.wait_idle(timeout=30)
        self.app.call_from_thread(self.app.exit)

    # --- spaCy in the background ----------------------------------------------------------------

    @work(thread=True, exclusive=True, group="nlp")
    def _suggest_in_background(self, article_id: int) -> None:
        """Compute suggestions and tokens with spaCy (imported here, never at start-up),
        then let the database thread put them into the open annotation."""
        assert self._open_nlp is not None
        try:
            if self._nlp_state is None:
                self._nlp_state = self._open_nlp()
            tokenizer_id = self._nlp_state.suggest(article_id)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self.post_message(WorkFailed(f"suggestions failed: {exc}"))
            return

        def job(session):
            session.use_tokenizer(tokenizer_id)
            change = session.seed(article_id)
            return SuggestionsSeeded(article_id, change, session.tokens(article_id))

        self.db.submit(job)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _colour(scheme: LabelScheme, label: str) -> Color:
    return Color.parse(scheme.colour_of(label))
