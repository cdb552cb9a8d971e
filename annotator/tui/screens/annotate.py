"""The annotation screen: one article, its spans, and the keys that edit them.

The screen keeps the editor and paints. Where the article on screen stands with the
database (previewed, open, failed...), which keys wait and which writes are not stored
yet is kept by a Lifecycle (domain.lifecycle), the one place that decides it. All
database work goes to the database thread in order, all spaCy work to a worker thread;
both answer with messages that name their article.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.style import Style

from annotator.domain import hints
from annotator.domain.editing import Change, Editor, EditRefused, fallback_tokens
from annotator.domain.history import EDIT, REDO, UNDO, History
from annotator.domain.lifecycle import Lifecycle, Phase, describe_unsaved
from annotator.domain.scheme import RESERVED_KEYS, LabelScheme
from annotator.domain.spans import Span, Status
from annotator.domain.text import visible
from annotator.domain.workitem import LoadedArticle
from annotator.tui import status, texts
from annotator.tui.dbthread import DatabaseThread
from annotator.tui.messages import (
    ArticleLoaded,
    Conflict,
    JobFailed,
    NoMoreArticles,
    Prefetched,
    ProgressCounted,
    SessionFailed,
    SuggestionsSeeded,
    Target,
    WriteFailing,
    WriteRefused,
    WriteStored,
)
from annotator.tui.render import Marks, Painter
from annotator.tui.screens.dialogs import AskDialog
from annotator.tui.screens.help import HelpScreen
from annotator.tui.widgets.article import ArticleView
from annotator.tui.widgets.bars import InfoBar, KeysBar, Legend, TopBar, plain
from annotator.tui.widgets.kept import KeptLines

if TYPE_CHECKING:
    from annotator.services.annotating import AnnotationSession

QUIT_WAIT_S = 20.0  # how long `q` waits for writes the database has not taken yet


class Suggests(Protocol):
    """What the screen's spaCy worker uses (services.annotating.BackgroundSuggester)."""

    def suggest(self, article_id: int) -> str:
        """Store the article's suggestions and tokens; returns the tokenizer id."""
        ...


@dataclass
class ScreenMode:
    """What differs between annotating and reviewing on the screen: its words and keys,
    and what it says of a span; the review screen passes another one in."""

    keys_bar: list[tuple[str, str]] = field(default_factory=lambda: texts.ANNOTATE_KEYS)
    help_rows: list[tuple[str, str]] = field(default_factory=lambda: texts.ANNOTATE_HELP)
    progress_word: str = "finished"
    describe_origin: Callable[[Span], str] = lambda span: texts.ORIGIN_WORDS[span.origin]
    # Review: a done article must have no pending span left.
    done_needs_no_pending: bool = False
    # Review: a second info line comparing the annotators where the cursor is.
    compare_layers: bool = False


class AnnotateScreen(KeptLines, Screen):
    """Label one article at a time; every change is stored as it happens."""

    BINDINGS = [
        Binding("tab", "next_span", "next span"),
        Binding("shift+tab", "previous_span", "prev span", show=False),
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
        Binding("ctrl+r", "retry", "retry", show=False),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit_screen", "quit"),
        # Keys that fix many spans at once (see "keys that fix many spans" below).
        Binding("e", "every_mention", "every mention", show=False),
        Binding("w", "next_name(1)", "next missing name", show=False),
        Binding("W", "next_name(-1)", "previous missing name", show=False),
        Binding("b", "fit", "fit span to name", show=False),
        Binding("r", "hints", "jump hints", show=False),
    ]

    MODE = ScreenMode()

    def __init__(
        self,
        scheme: LabelScheme,
        open_session: Callable,
        open_nlp: Callable[[], Suggests] | None,
        first: LoadedArticle | None = None,
        retrainer: Any = None,
    ):
        super().__init__()
        self.mode = self.MODE
        self._first = first
        self.scheme = scheme
        self.painter = Painter(scheme)
        self.life = Lifecycle()
        self.db = DatabaseThread(self, open_session, on_attempt=self.life.write_started)
        self._open_nlp = open_nlp
        # `--retrain-every`: told of every finish; trains in a helper process, never here.
        self._retrainer = retrainer
        self._model_words = ""
        self.loaded: LoadedArticle | None = None  # the article painted (may be finished)
        self.editor: Editor | None = None
        self.history = History()
        self.shown = ""
        self._message = ""
        self._finished: int | None = None
        self._total: int | None = None
        self._finished_here = 0
        self._started = time.monotonic()
        self._last_query = ""
        self._nlp_state: Suggests | None = None
        self._quitting = False
        self._had_unsaved = False  # some change was shown as not saved since the last "saved"
        self._titles: dict[int, str] = {}  # article id -> title, for the list of unsaved work
        # Jump hints while shown (label -> token index), and the letters typed so far.
        self._hints: dict[str, int] | None = None
        self._hint_typed = ""
        self._hint_queue: list[str] | None = None  # letters typed after `r` while waiting
        self._preview_pending = False  # _finish_now started showing the read-ahead article
        self._frozen: set[str] = set()  # the stages _keep_long_lived has frozen the heap at

    # --- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # With an article from the fast start path, the first frame shows it whole (title
        # and info included): a later frame would wait behind SQLAlchemy's import.
        view = ArticleView(self.painter, id="article")
        if self._first is not None:
            self._take(self._first)
            self.life.preview(self._first)
            assert self.editor is not None
            view.preset(self.shown, list(self.editor.spans), self._marks())
        yield TopBar(self._top_content(), id="top")
        yield view
        yield InfoBar(Content("\n").join(self._info_lines()), markup=False, id="info")
        yield Legend(self.scheme, id="legend")
        yield KeysBar(self.mode.keys_bar, id="keys")

    def on_mount(self) -> None:
        self.set_interval(0.5, self._watch_writes)
        if self._retrainer is not None:
            self.set_interval(1.0, self._watch_model)
        first = self._first
        ticket = self.life.request_open()
        if first is None:
            self.db.submit(self._job_open_next(ticket), ticket=ticket)
            self.db.submit(lambda s: ProgressCounted(*s.progress()))
            self.db.start()
            return
        # The article came from the fast start path and is in the first frame. The job that
        # opens it in the database is queued now; keys typed before it answers wait (see
        # Lifecycle) and are replayed then. The thread itself (and SQLAlchemy's import)
        # starts after that first frame.
        self._after_article_shown(first)
        self.db.submit(
            self._job_open(first.article_id, ticket, fill=True), first.article_id, ticket
        )
        self.db.submit(lambda s: ProgressCounted(*s.progress()))
        self.call_after_refresh(self.db.start)

    def on_unmount(self) -> None:
        self.db.stop(timeout=10)
        if self._frozen:
            # The app is ending: a process that runs apps one after another (the tests,
            # the benchmarks) gets their objects collected again.
            gc.unfreeze()
        if self._retrainer is not None:
            self._retrainer.close()

    def _watch_model(self) -> None:
        """Show the model version in use and its dev F1 once the retrainer has one (reading
        its status is a lock and two attributes: nothing waits)."""
        words = self._retrainer.status_words()
        if words != self._model_words:
            self._model_words = words
            self._update_top()
        notice = self._retrainer.take_notice()
        if notice:
            # A new model suggests now: say so, and read the next article ahead again
            # (the copy read before has the older model's suggestions).
            self._say(notice)
            if self.life.article_id is not None:
                self._read_ahead(self.life.article_id)

    @property
    def article_view(self) -> ArticleView:
        return self.query_one(ArticleView)

    # --- jobs (run in the database thread; they return messages) ----------------------------

    @staticmethod
    def _job_open_next(ticket: int) -> Callable:
        def job(session) -> ArticleLoaded | NoMoreArticles:
            article_id = session.next_article_id()
            if article_id is None:
                return NoMoreArticles(ticket)
            return ArticleLoaded(session.load(article_id), session.take_notices(), ticket)

        return job

    @staticmethod
    def _job_open(article_id: int, ticket: int, note: str = "", fill: bool = False) -> Callable:
        def job(session) -> ArticleLoaded:
            if fill:
                session.next_article_id()  # fills a new annotator's queue (the read-ahead uses it)
            loaded = session.load(article_id)
            return ArticleLoaded(loaded, note or session.take_notices(), ticket)

        return job

    def _open(self, article_id: int | None, note: str = "") -> None:
        """Ask the database to open ``article_id`` (None: the next in the queue)."""
        ticket = self.life.request_open()
        if article_id is None:
            self.db.submit(self._job_open_next(ticket), ticket=ticket)
        else:
            self.db.submit(self._job_open(article_id, ticket, note), article_id, ticket)

    def _reload(self, article_id: int, note: str) -> None:
        """Go back to ``article_id`` as the database has it (after a conflict or a refused
        write): the screen never shows what is not stored."""
        self.life.go_back()
        self._open(article_id, note)

    # --- messages ---------------------------------------------------------------------------

    @on(ArticleLoaded)
    async def _show_article(self, message: ArticleLoaded) -> None:
        if not self.life.is_current(message.ticket):
            return  # the answer to a request the screen has moved past
        opened = self.life.opened(message.article)
        article = opened.article
        if opened.show:
            self._take(article)
            assert self.editor is not None
            await self.article_view.show(self.shown, list(self.editor.spans), self._marks())
            self._after_article_shown(article)
        else:
            # The database's view of the article already on screen: keep the editor (and
            # its cursor), take the ids it now has.
            assert self.loaded is not None
            self.loaded.annotation_id = article.annotation_id
            self.loaded.status = article.status
            self.loaded.layers, self.loaded.context = article.layers, article.context
            self.history = article.history
        self._titles[article.article_id] = article.title
        if message.note or self._hints is None:
            self._message = message.note  # (hints shown on the preview keep saying so)
        self._update_bars()
        self._read_ahead(article.article_id)
        if opened.replay:
            # A notice (kept until the next key); a replayed key that is refused says so too.
            count = len(opened.replay)
            self.life.notice = f"{count} key{'s' if count != 1 else ''} typed while opening applied"
        for replay in opened.replay:
            replay()
        self._update_info()
        self.app.article_shown()  # type: ignore[attr-defined]
        self._keep_long_lived("database")

    def _keep_long_lived(self, stage: str) -> None:
        """Once per ``stage`` ("database": the session is open and SQLAlchemy imported;
        "spacy": the model is loaded), put every object alive now out of the garbage
        collector's reach (gc.freeze). They live as long as the app, and a full
        collection that walks them all stops the event loop for tens of milliseconds,
        over a hundred with spaCy loaded, at whatever key comes then. Whatever of them
        becomes garbage later is still freed by reference counting, unless it is part
        of a reference cycle: that stays, once, as it was when frozen."""
        if stage not in self._frozen:
            self._frozen.add(stage)
            gc.freeze()

    def _read_ahead(self, article_id: int) -> None:
        """Fetch the article that comes after this one, so `a`, `s` and `f` show it at once."""

        def job(session) -> Prefetched:
            ahead = session.peek_next(article_id)
            if ahead is not None and ahead.tokens is None:
                # Found here, off the event loop: showing the article then costs no tokenizing.
                ahead.rough_tokens = fallback_tokens(ahead.text)
            return Prefetched(article_id, ahead)

        self.db.submit(job)

    def on_prefetched(self, message: Prefetched) -> None:
        self.life.prefetched(message.after, message.article)

    def _take(self, article: LoadedArticle) -> None:
        """Make ``article`` the one painted and edited."""
        self.loaded = article
        self.history = article.history
        self.shown = visible(article.text)
        self._hints = None
        tokens = article.tokens if article.tokens is not None else article.rough_tokens
        if tokens is None:
            tokens = fallback_tokens(article.text)
        self.editor = Editor(article.text, tokens, article.spans)

    def _after_article_shown(self, article: LoadedArticle) -> None:
        self._update_bars()
        if self._open_nlp is not None and (article.tokens is None or not article.has_suggestions):
            self._suggest_in_background(article.article_id)

    def on_no_more_articles(self, message: NoMoreArticles) -> None:
        if not self.life.is_current(message.ticket):
            return
        self.life.queue_finished()
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
        self._update_top()

    def on_suggestions_seeded(self, message: SuggestionsSeeded) -> None:
        if self.editor is None or self.life.article_id != message.article_id:
            return
        if message.tokens:
            self.editor.set_tokens(message.tokens)
        if message.change:
            # The cursor stays where the person put it (they may have started already).
            self.editor.add_suggestions(message.change)
        self.article_view.spans = list(self.editor.spans)
        self.article_view.marks = self._marks()
        self.article_view.repaint_all()
        if self.loaded is not None:
            self.loaded.has_suggestions = True
        count = len(message.change.added)
        self._say(f"{count} suggestion{'s' if count != 1 else ''} added" if count else "")

    def on_conflict(self, message: Conflict) -> None:
        if message.article_id is None or message.article_id != self.life.article_id:
            return
        self._reload(message.article_id, f"{message.reason}: reloaded it as it is now")

    def on_job_failed(self, message: JobFailed) -> None:
        if message.ticket is not None and self.life.is_current(message.ticket):
            if self.life.failed(message.article_id, message.reason):
                self._update_info()
                return
        self._say(f"error: {message.reason}")

    def on_target(self, message: Target) -> None:
        if message.after != self.life.article_id:
            return  # the screen moved on since `p` / `n` was pressed
        if message.article_id is None:
            self._say(message.reason)
            return
        self.life.go_back()
        self._open(message.article_id)

    def on_write_stored(self, message: WriteStored) -> None:
        write = self.life.write_stored(message.local_id, message.event_id)
        if write is not None and write.finishing:
            self._finished_here += 1
            if self._retrainer is not None:
                self._retrainer.finished_one(message.article_id)
        self._after_trouble()

    def _after_trouble(self) -> None:
        """Once every change that was not saved is stored, say so (in place of what was
        said while it was not)."""
        if self._had_unsaved and not self.life.writes:
            self._had_unsaved = False
            self._say("saved: every change is stored now")

    def on_write_failing(self, message: WriteFailing) -> None:
        self.life.write_failing(message.local_id, message.reason, message.attempts)
        self._had_unsaved = True
        self._update_info()

    def on_write_refused(self, message: WriteRefused) -> None:
        write = self.life.write_refused(message.local_id)
        what = write.what if write is not None else "a change"
        note = f"{message.reason}: {what} was not saved; reloaded the article as it is now"
        self._reload(message.article_id, note)

    def on_session_failed(self, message: SessionFailed) -> None:
        self.app.leave(1, f"error: {visible(message.reason)}")  # type: ignore[attr-defined]

    def _watch_writes(self) -> None:
        """Every half second while writes are out: show the ones that hang."""
        if self.life.unsaved():
            self._had_unsaved = True
        if self.life.writes or self._quitting:
            self._update_info()

    # --- painting ---------------------------------------------------------------------------

    def _marks(self) -> Marks:
        if self.editor is None:
            return Marks()
        return Marks(
            cursor=self.editor.cursor_chars(),
            selection=self.editor.selection_chars(),
            current=self.editor.current,
            hints=self._hint_marks(),
        )

    def _hint_marks(self) -> tuple[tuple[int, str], ...]:
        """The jump hints still reachable with the letters typed, as (offset, label)."""
        if self._hints is None or self.editor is None:
            return ()
        tokens = self.editor.tokens
        live = hints.narrowed(self._hints, self._hint_typed)
        return tuple((tokens[index][0], label) for label, index in live.items())

    def _repaint(self, dirty: list[tuple[int, int]]) -> None:
        if self.editor is None:
            return
        marks = self._marks()
        view = self.article_view
        view.update_marks(self.editor.spans, marks, dirty)  # (see ArticleView.spans)
        view.follow(marks)  # the cursor, and the current span or selection as far as they fit
        self._update_info()
        self.app.key_handled()  # type: ignore[attr-defined]

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
        return status.top_content(
            self.loaded,
            self.mode.progress_word,
            (self._finished, self._total),
            self._finished_here / max(1e-9, (time.monotonic() - self._started) / 3600),
            self._model_words,
        )

    def _update_info(self) -> None:
        # Fixed height: no layout pass needed, which would rearrange every paragraph.
        self.query_one(InfoBar).update(Content("\n").join(self._info_lines()), layout=False)

    def _info_lines(self) -> list[Content]:
        """What the bar under the article says (one line; the review screen adds one)."""
        state = status.state_words(self.life, self._quitting)
        lines = [
            status.info_line(
                self.editor, self.scheme, self.mode.describe_origin, state, self._message
            )
        ]
        if self.mode.compare_layers:
            lines.append(status.layers_line(self.editor, self.loaded))
        return lines

    # --- keys -------------------------------------------------------------------------------

    def _key(self, run: Callable[[], None], edit: bool = True) -> None:
        """Run a key's action now, or keep it for when the article is open (edits wait
        until the database has the article, and everything typed after a waiting edit
        waits behind it, in order)."""
        self.life.key_pressed()
        self._hint_queue = None  # a key ends the letters of a waiting `r`
        if self._hints is not None:
            self._drop_hints()  # any other key takes the jump hints away
        self._run_or_wait(run, edit)

    def _must_wait(self, edit: bool) -> bool:
        """Whether a key must wait now (see Lifecycle.must_wait); every key waits while
        the read-ahead article is being put in place (_show_preview)."""
        return self._preview_pending or self.life.must_wait(edit)

    def _run_or_wait(self, run: Callable[[], None], edit: bool) -> None:
        """Run a key's action, or keep it until the article is open. A waiting key is
        replayed through here again: after a replayed `a` the keys behind it wait for
        the next article, as they did when typed."""
        if self._must_wait(edit):
            self.life.wait(lambda: self._run_or_wait(run, edit))
            self._update_info()
            return
        # The database jobs the key submits (its write) are held until the frame that
        # shows its effect is painted, so that they do not compete with the paint for
        # Python's lock; they keep their order (see DatabaseThread.hold).
        self.db.hold()
        try:
            run()
        finally:
            self.call_after_refresh(self.db.release)

    # --- navigation actions -----------------------------------------------------------------

    def _navigate(self, move: Callable[[Editor], None]) -> None:
        """A key that moves the cursor or selection (it waits behind waiting edits)."""
        self._key(lambda: self._move_now(move), edit=False)

    def _move_now(self, move: Callable[[Editor], None]) -> None:
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
        # The first or last token of the article; _repaint scrolls the view to it.
        self._navigate(lambda e: e.move(len(e.tokens) * direction))

    def action_line(self, direction: int) -> None:
        # One visual (wrapped) row down or up, across chunk and paragraph boundaries,
        # keeping the column the run of up/down moves started from (the view knows the
        # rows as drawn).
        view = self.article_view

        def move(editor: Editor) -> None:
            chars = editor.cursor_chars()
            if chars is None:
                return
            target = view.line_target(chars[0], direction, editor.tokens)
            if target is not None:
                editor.move_to_char(target)

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

    def _edit(self, make: Callable[[Editor], Change]) -> None:
        self._key(lambda: self._edit_now(make))

    def _edit_now(self, make: Callable[[Editor], Change]) -> None:
        if self.editor is None:
            return
        if not self.life.accepts_edits:  # (the key gate lets none through; kept, not lost)
            self.life.wait(lambda: self._run_or_wait(lambda: self._edit_now(make), True))
            self._update_info()
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
            local_id = self._store(change, EDIT, None, _describe(change))
            self.history.record(local_id, change)

    def _store(self, change: Change, action: str, of: int | None, what: str) -> int:
        """Send one change of the open article to the database; returns its local id.
        The database thread maps local ids to event ids, for undo."""
        article_id = self.life.article_id
        assert article_id is not None
        local_id = self.life.new_write(article_id, what)
        event_ids = self.life.event_ids

        def job(session) -> int:
            if action == EDIT:
                return session.apply(article_id, change, EDIT)
            assert of is not None
            return session.apply(article_id, change, action, of=event_ids.get(of, of))

        self.db.submit_write(job, local_id, article_id)
        return local_id

    def action_label_key(self, key: str) -> None:
        label = self.scheme.by_key(key)
        if label is None:
            self._say(f"no label on key {key} in scheme {self.scheme.name}")
            return
        self._edit(lambda e: e.label(label.name))

    def on_key(self, event: events.Key) -> None:
        if self._hint_queue is not None and self._queued_hint_key(event):
            return
        if self._hints is not None and self._hint_key(event):
            return
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

    def action_take(self) -> None:
        self._edit(lambda e: e.take())

    def action_take_all(self) -> None:
        def take_all(editor: Editor) -> Change:
            pending = editor.pending()
            if any(a.overlaps(b) for i, a in enumerate(pending) for b in pending[i + 1 :]):
                raise EditRefused("candidates overlap: take or reject them one by one")
            return editor.confirm_all()

        self._edit(take_all)

    def action_delete(self) -> None:
        self._edit(lambda e: e.delete())

    def action_resize(self, edge: str, delta: int) -> None:
        self._edit(lambda e: e.resize(edge, delta))

    def action_undo(self) -> None:
        self._key(self._undo_now)

    def _undo_now(self) -> None:
        life = self.life
        if life.came_from is not None and not life.edited_here:
            # Right after a, s or f: reopen the article just finished, as it was before.
            self._unfinish(life.came_from)
            return
        self._replay(self.history.take_undo(), UNDO, "nothing to undo")

    def action_redo(self) -> None:
        self._key(lambda: self._replay(self.history.take_redo(), REDO, "nothing to redo"))

    def _replay(self, taken: tuple[int, Change] | None, action: str, nothing: str) -> None:
        if self.editor is None or self.loaded is None:
            return
        if taken is None:
            self._say(nothing)
            return
        edit_id, change = taken
        before = self._marks().ranges()
        self.editor.apply(change)
        if change.status is not None:
            self.loaded.status = Status(change.status[1])
            self._update_top()
        extent = change.extent()
        self._message = f"{action} done"
        self._repaint(before + ([extent] if extent else []))
        self._store(change, action, edit_id, f"{action} of {_describe(change)}")

    def _unfinish(self, article_id: int) -> None:
        """Undo the finishing of ``article_id`` in the database, then show it."""
        local_id = self.life.new_write(article_id, "reopening it")
        self._finished_here = max(0, self._finished_here - 1)  # the session's rate

        def job(session: AnnotationSession) -> None:
            # No event id to map for undo: the article is read again from the database.
            session.undo_finish(article_id)

        self.db.submit_write(job, local_id, article_id)
        self.db.submit(lambda s: ProgressCounted(*s.progress()))
        self.life.go_back()
        self._open(article_id, "reopened: the article is in progress again, as it was")

    def action_toggle_tags(self) -> None:
        self.painter.show_tags = not self.painter.show_tags
        self.article_view.repaint_all()

    def action_retry(self) -> None:
        if self.life.phase is not Phase.FAILED:
            self._say("nothing to retry")
            return
        article_id = self.life.retry()
        self._open(article_id)
        self._update_info()

    # --- article actions ----------------------------------------------------------------------

    def _leaving_refused(self) -> bool:
        """True (and says why) when the article has changes not stored yet."""
        article_id = self.life.article_id
        unsaved = self.life.unsaved(article_id) if article_id is not None else []
        if unsaved:
            self._say(
                f"not leaving this article: {len(unsaved)} change{'s' if len(unsaved) != 1 else ''}"
                " not saved yet (retrying)"
            )
            return True
        return False

    def _finish(self, status: Status, note: str | None = None) -> None:
        self._key(lambda: self._finish_now(status, note))

    def _finish_now(self, status: Status, note: str | None = None) -> None:
        if self.editor is None or self.life.article_id is None or self._leaving_refused():
            return
        if status is Status.DONE and self.mode.done_needs_no_pending and self.editor.pending():
            count = len(self.editor.pending())
            self._say(
                f"{count} candidate{'s' if count != 1 else ''} left: take (space) or reject (delete) each"
            )
            return
        article_id = self.life.article_id
        local_id = self.life.new_write(article_id, status.value, finishing=True)
        self._message = f"#{article_id} saved as {status.value}"
        _, ahead = self.life.leave()
        ticket = self.life.request_open()
        next_job = (
            self._job_open_next(ticket)
            if ahead is None
            else self._job_open(ahead.article_id, ticket)
        )

        def send() -> None:
            """The finish, the count and the opening of the next article, in this order."""
            self.db.submit_write(lambda s: s.finish(article_id, status, note), local_id, article_id)
            self.db.submit(lambda s: ProgressCounted(*s.progress()))
            self.db.submit(next_job, None if ahead is None else ahead.article_id, ticket)

        if ahead is None:
            self._message += "; opening the next article…"
            self._update_info()
            send()
            return
        # Shown at once from the read-ahead (keys typed meanwhile wait until the database
        # has opened it). The jobs are held until the frame that shows it is painted: run
        # at once, they would compete with the paint for Python's lock. Nothing can be
        # lost meanwhile: the write is registered already, held jobs count as pending, and
        # stopping the thread sends them first.
        self.db.hold()
        send()
        # Until the worker has the read-ahead article's editor in place, every key waits
        # (a cursor move would move the finished article's cursor, and be lost).
        self._preview_pending = True
        self.run_worker(self._show_preview(ahead), group="preview")

    async def _show_preview(self, article: LoadedArticle) -> None:
        """Show the read-ahead ``article``, then release the database jobs _finish_now
        held (after the frame that shows it)."""
        try:
            if self.life.article_id != article.article_id:
                return
            self._take(article)
            assert self.editor is not None
            await self.article_view.show(self.shown, list(self.editor.spans), self._marks())
            self._after_article_shown(article)
            self.app.article_shown()  # type: ignore[attr-defined]
        finally:
            self._preview_pending = False
            self.call_after_refresh(self.db.release)

    def action_done(self) -> None:
        self._finish(Status.DONE)

    def action_skip(self) -> None:
        self._finish(Status.SKIPPED)

    def action_flag(self) -> None:
        def ask() -> None:
            if self.loaded is None or self._leaving_refused():
                return

            def flagged(note: str | None) -> None:
                if note is not None:
                    self._finish_now(Status.FLAGGED, note)

            self.app.push_screen(
                AskDialog(
                    "Flag this article. Why? (the note is saved with it)", "note", self.loaded.note
                ),
                flagged,
            )

        self._key(ask)

    def action_history(self, step: int) -> None:
        self._key(lambda: self._history_now(step))

    def _history_now(self, step: int) -> None:
        if self.life.phase is not Phase.EMPTY and self._leaving_refused():
            return
        current = self.life.article_id

        def job(session) -> Target:
            if current is None:
                target = session.latest() if step < 0 else session.next_article_id()
            else:
                target = session.neighbour(current, step)
                if target is None and step > 0:
                    target = session.next_article_id()
                    if target == current:
                        target = None
            reason = "no earlier article in your history" if step < 0 else "no further article"
            return Target(current, target, "" if target is not None else reason)

        self.db.submit(job, current)

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
        found = editor.find(query)
        if found is None:
            self._say(f"“{texts.short(query)}” is not in this article")
            return
        self._navigate(lambda e: e.select_chars(*found))
        self._say(f"found “{texts.short(query)}”: a label key labels it")

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.mode.help_rows, self.scheme))

    def action_quit_screen(self) -> None:
        if self._quitting:
            self._exit_reporting()  # q again: at once, saying what was not stored
            return
        self._quitting = True
        self._update_info()
        self._quit_after_writes()

    @work(thread=True, group="quit")
    def _quit_after_writes(self) -> None:
        stored = self.db.wait_idle(timeout=QUIT_WAIT_S) if self.db.started else True
        self.app.call_from_thread(
            self._exit_reporting if not stored or self.life.writes else self._exit_clean
        )

    def _exit_clean(self) -> None:
        if self.life.writes or self.life.waiting:
            self._exit_reporting()
            return
        self.app.exit()

    def _exit_reporting(self) -> None:
        """Quit; if anything was not stored, say exactly what and exit with code 1."""
        self.db.abandon()
        lines = describe_unsaved(self.life.not_stored(), self._titles)
        if self.life.waiting:
            count = len(self.life.waiting)
            lines.append(
                f"{count} key{'s' if count != 1 else ''} typed while an article was opening"
            )
        if not lines:
            self.app.exit()
            return
        text = "error: not saved: " + "; ".join(visible(line) for line in lines)
        self.app.leave(1, text)  # type: ignore[attr-defined]

    # --- keys that fix many spans ------------------------------------------------------------

    def _edit_saying(self, make: Callable[[Editor], Change], say: Callable[[Change], str]) -> None:
        """An edit whose effect the status line then states in words."""

        def run() -> None:
            made: list[Change] = []

            def tracked(editor: Editor) -> Change:
                made.append(make(editor))
                return made[-1]

            self._edit_now(tracked)
            if made and made[-1]:
                self._say(say(made[-1]))

        self._key(run)

    def _last_edit(self) -> Change:
        if not self.history.undo:
            raise EditRefused("no edit yet to repeat on the other mentions")
        return self.history.changes[self.history.undo[-1]]

    def action_every_mention(self) -> None:
        def say(change: Change) -> str:
            if not change.added:
                label = change.removed[0].label
                return f"removed {len(change.removed)} more mention{'s' if len(change.removed) != 1 else ''} suggested as {label}"
            label = change.added[0].label
            count = len(change.added)
            return f"labelled {count} more mention{'s' if count != 1 else ''} as {label}"

        self._edit_saying(lambda e: e.every_mention(self._last_edit()), say)

    def action_fit(self) -> None:
        def say(change: Change) -> str:
            span = change.added[0]
            assert self.editor is not None
            return f"span now “{texts.short(self.editor.text[span.start : span.end])}” {span.label}"

        self._edit_saying(lambda e: e.fit(), say)

    def action_next_name(self, step: int) -> None:
        def run() -> None:
            editor = self.editor
            if editor is None:
                return
            before = self._marks().ranges()
            try:
                start, end = editor.next_candidate(step)
            except EditRefused as refused:
                self._message = str(refused)
            else:
                words = texts.short(editor.text[start:end])
                self._message = f"no span on “{words}”: a label key labels it, w goes on"
            self._repaint(before)

        self._key(run, edit=False)

    # --- jump hints ----------------------------------------------------------------------------

    def action_hints(self) -> None:
        """Draw a label of one or two letters over every word in view; typing one puts
        the cursor on its word (a label key then labels it). Pressed while keys wait for
        the article to open, it waits too, and the letters typed after it (at most two,
        the longest label) wait with it as its letters."""
        letters: list[str] = []
        waits = self._must_wait(False)
        self._key(lambda: self._hints_now(letters), edit=False)
        if waits:
            self._hint_queue = letters

    def _hints_now(self, letters: list[str]) -> None:
        if self._hint_queue is letters:
            self._hint_queue = None
        editor = self.editor
        if editor is None or not editor.tokens:
            return
        if letters == ["escape"]:
            self._say("jump cancelled")
            return
        found = self.hint_targets()
        if not found:
            self._say("no word in view to jump to")
            return
        self._hints, self._hint_typed = found, ""
        self._show_hints([], "jump: type the letters on a word (escape: cancel)")
        for at, letter in enumerate(letters):
            if self._hints is None:
                dropped = "".join(letters[at:])
                self._say(f"{self._message}; “{dropped}” typed while opening was dropped")
                break
            self._hint_letter(letter)

    def hint_targets(self) -> dict[str, int]:
        """The jump hints `r` draws now: label -> token index of each word in view."""
        editor = self.editor
        view = self.article_view.in_view()
        if editor is None or view is None:
            return {}
        return hints.targets(editor.text, editor.tokens, *view, editor.cursor)

    def _show_hints(self, before: list[tuple[int, int]], message: str) -> None:
        """Repaint the hints (no scrolling: they name what is in view) and say ``message``."""
        assert self.editor is not None
        self._message = message
        self.article_view.update_marks(list(self.editor.spans), self._marks(), before)
        self._update_info()
        self.app.key_handled()  # type: ignore[attr-defined]

    def _drop_hints(self, message: str = "") -> None:
        if self._hints is None or self.editor is None:
            self._hints = None
            return
        before = self._marks().ranges()
        self._hints, self._hint_typed = None, ""
        self._show_hints(before, message)

    def _hint_key(self, event: events.Key) -> bool:
        """A key while hints are shown: a hint letter narrows them or jumps, escape
        cancels; any other key takes them away and does what it does. True when the key
        was a hint's."""
        assert self._hints is not None
        if event.key == "escape":
            event.stop()
            self._drop_hints("jump cancelled")
            return True
        character = event.character
        if not character or len(character) != 1 or character not in hints.ALPHABET:
            self._drop_hints()
            return False
        event.stop()
        self._hint_letter(character)
        return True

    def _queued_hint_key(self, event: events.Key) -> bool:
        """A key while `r` waits for the article to open: its letters wait with it."""
        letters = self._hint_queue
        assert letters is not None
        character = event.character
        if event.key == "escape":
            event.stop()
            letters[:] = ["escape"]
            self._hint_queue = None
            return True
        if character and len(character) == 1 and character in hints.ALPHABET:
            event.stop()
            letters.append(character)
            if len(letters) >= 2:
                self._hint_queue = None  # no label is longer
            return True
        self._hint_queue = None  # any other key ends the letters; it waits as itself
        return False

    def _hint_letter(self, character: str) -> None:
        """One letter typed while hints are shown: narrow them, or jump."""
        assert self._hints is not None
        typed = self._hint_typed + character
        left = hints.narrowed(self._hints, typed)
        if typed in left and self.editor is not None:
            editor = self.editor
            before = self._marks().ranges()
            self._hints, self._hint_typed = None, ""
            start, end = editor.tokens[left[typed]]
            editor.move_to_char(start)
            word = texts.short(editor.text[start:end])
            self._message = f"cursor on “{word}”: a label key labels it, shift+→ extends"
            self._repaint(before)
        elif left:
            before = self._marks().ranges()
            self._hint_typed = typed
            self._show_hints(before, f"jump: “{typed}”, one more letter (escape: cancel)")
        else:
            self._drop_hints(f"no jump hint “{typed}”")

    # --- spaCy in the background ----------------------------------------------------------------

    @work(thread=True, exclusive=True, group="nlp")
    def _suggest_in_background(self, article_id: int) -> None:
        """Compute suggestions and tokens with spaCy (imported here, never at start-up),
        then let the database thread put them into the open annotation."""
        assert self._open_nlp is not None
        try:
            if self._nlp_state is None:
                self._nlp_state = self._open_nlp()
            tokenizer_id = self._nlp_state.suggest(article_id)
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self.post_message(JobFailed(article_id, f"suggestions failed: {exc}"))
            return
        if self._retrainer is None:  # (with one, each newer model replaces the one loaded)
            self._keep_long_lived("spacy")  # loaded by the first suggest (gc.freeze: any thread)

        def job(session):
            session.use_tokenizer(tokenizer_id)
            change = session.seed(article_id)
            return SuggestionsSeeded(article_id, change, session.tokens(article_id))

        self.db.submit(job, article_id)


def _describe(change: Change) -> str:
    """An edit in a few words, for the list of what was not saved."""
    if change.status is not None:
        return f"status {change.status[1].replace('_', ' ')}"
    added = ", ".join(s.label for s in change.added)
    removed = ", ".join(s.label for s in change.removed)
    if added and removed:
        return f"{removed} -> {added}"
    return f"+{added}" if added else f"-{removed}"
