"""Everything the annotation screen does to the database, for one annotator.

Called from the screen's single database thread, never from the event loop. Each write
claims the annotation's version with a compare-and-set (store.work.claim), so that two
terminals of the same annotator never silently overwrite each other, on SQLite and on
PostgreSQL alike. The session composes two small objects: an article source (which
article comes next, how far along the person is) and a work policy (which annotation
is edited, what it starts from, what finishing it means). The annotation screen uses the
annotator's queue and their own annotation; the review screen the worst-agreeing
articles and their gold (services.reviewing).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from annotator.domain.editing import Change
from annotator.domain.errors import ConflictError, InputError
from annotator.domain.history import EDIT, STATUS, History
from annotator.domain.patterns import superseded_by
from annotator.domain.spans import Kind, Origin, Span, Status, seed_suggestions, unpack_offsets
from annotator.domain.workitem import LoadedArticle
from annotator.store import queue, work
from annotator.store.engine import Store
from annotator.store.errors import is_transient
from annotator.store.work import AnnotationState

SUGGEST_SETTING = "suggest"  # {"tokenizer_id": ..., ...} written by `annotator suggest`


class ModelFollow(Protocol):
    """The newest model a session follows (services.retraining.Retrainer): unopened
    articles are seeded only once that model has suggested them."""

    def model_source(self) -> str | None: ...


class ArticleSource(Protocol):
    """Which article a session serves next, and how far along the person is."""

    def next_article_id(self, work_session: AnnotationSession) -> int | None: ...

    def progress(self, work_session: AnnotationSession) -> tuple[int, int]: ...

    def peek_next(self, work_session: AnnotationSession, skip: int) -> LoadedArticle | None: ...


class WorkPolicy(Protocol):
    """Which annotation a session edits and what it starts from and ends with."""

    kind: Kind

    def own(self, work_session: AnnotationSession, session, article_id: int) -> AnnotationState: ...

    def starting_spans(
        self, work_session: AnnotationSession, session, state: AnnotationState
    ) -> tuple[list[Span], dict] | None: ...

    def check_finish(self, session, state: AnnotationState, status: Status) -> None: ...

    def after_finish(
        self, work_session: AnnotationSession, session, state: AnnotationState, status: Status
    ) -> None: ...

    def describe(self, work_session: AnnotationSession, session, loaded: LoadedArticle) -> None: ...


class QueueSource:
    """The annotator's own queue: the first article they have not finished."""

    def next_article_id(self, work_session: AnnotationSession) -> int | None:
        with work_session.store.write() as session:
            person = queue.get_annotator(session, work_session.name)
            assert person is not None
            return queue.next_article_id(session, person)

    def progress(self, work_session: AnnotationSession) -> tuple[int, int]:
        with work_session.store.read() as session:
            finished = work.count_finished(
                session, annotator_id=work_session.annotator_id, kind=work_session.kind
            )
            return finished, work.queue_size(session, annotator_id=work_session.annotator_id)

    def peek_next(self, work_session: AnnotationSession, skip: int) -> LoadedArticle | None:
        from annotator.store.fastpath import first_article

        return first_article(work_session.store.url, work_session.name, {skip})


class OwnWork:
    """The annotator's own annotation, starting from the machine suggestions (pending)."""

    kind = Kind.ANNOTATION

    def own(self, work_session: AnnotationSession, session, article_id: int) -> AnnotationState:
        found = work.annotation_state(
            session, article_id=article_id, annotator_id=work_session.annotator_id, kind=self.kind
        )
        if found is not None:
            return found
        return work.create_annotation(
            session, article_id=article_id, annotator_id=work_session.annotator_id, kind=self.kind
        )

    def starting_spans(
        self, work_session: AnnotationSession, session, state: AnnotationState
    ) -> tuple[list[Span], dict] | None:
        if not work.has_suggestions(session, article_id=state.article_id):
            return None
        existing = work.spans_of_annotation(session, annotation_id=state.id)
        suggested = work.suggested_spans(session, article_id=state.article_id)
        newest = work_session.newest_model()
        if newest is not None:
            # Older versions of the model that now suggests are left out.
            suggested = [s for s in suggested if not superseded_by(s.sources[0], newest)]
        article = work.article_text(session, article_id=state.article_id)
        added = seed_suggestions(suggested, existing, article.text if article else None)
        return added, {"added": len(added)}

    def check_finish(self, session, state: AnnotationState, status: Status) -> None:
        return None

    def after_finish(
        self, work_session: AnnotationSession, session, state: AnnotationState, status: Status
    ) -> None:
        return None

    def describe(self, work_session: AnnotationSession, session, loaded: LoadedArticle) -> None:
        return None


class AnnotationSession:
    """One person's session: load articles, store edits and statuses, count progress."""

    def __init__(
        self,
        store: Store,
        annotator: str,
        *,
        source: ArticleSource | None = None,
        policy: WorkPolicy | None = None,
        follow: ModelFollow | None = None,
    ):
        self.store = store
        self.name = annotator
        self.follow = follow  # with `--retrain-every`: the retrainer, for its newest model
        self.source: ArticleSource = source or QueueSource()
        self.policy: WorkPolicy = policy or OwnWork()
        with store.write() as session:
            person = queue.ensure_annotator(session, annotator)
            assert person.id is not None  # ensure_annotator flushes a new annotator
            self.annotator_id: int = person.id
            config = queue.get_setting(session, SUGGEST_SETTING, {}) or {}
        self.tokenizer_id: str | None = config.get("tokenizer_id")
        self._versions: dict[int, int] = {}  # annotation id -> version we last saw
        self._annotation_of: dict[int, int] = {}  # article id -> this session's annotation id

    def newest_model(self) -> str | None:
        """The source of the newest model this session follows (model:<name>@<run>), or
        None: then every stored suggestion seeds an article, as without retraining."""
        return None if self.follow is None else self.follow.model_source()

    def _waits_for_model(self, session, article_id: int) -> bool:
        """True when the newest model has not suggested the article yet, or an older
        version's suggestions are still stored for it: it is not seeded (nor shown ahead
        of time) until the screen's suggester has run the newest model on it."""
        newest = self.newest_model()
        if newest is None:
            return False
        runs = work.run_counts(session, article_id=article_id)
        return newest not in runs or any(
            count and superseded_by(source, newest) for source, count in runs.items()
        )

    def take_notices(self) -> str:
        """What opening the database did to the data (schema repairs), once, in words."""
        notices, self.store.notices = self.store.notices, []
        return "; ".join(notices)

    @property
    def kind(self) -> Kind:
        """Which kind of annotation this session edits."""
        return self.policy.kind

    @staticmethod
    def is_transient(exc: BaseException) -> bool:
        """True for a failure that may pass if the write is tried again (a lock, a full
        disk, a lost connection)."""
        return is_transient(exc)

    # --- reading -----------------------------------------------------------------------

    def next_article_id(self) -> int | None:
        """The next article this session serves, or None when there is none."""
        return self.source.next_article_id(self)

    def progress(self) -> tuple[int, int]:
        """(articles finished, articles in the queue)."""
        return self.source.progress(self)

    def peek_next(self, skip: int) -> LoadedArticle | None:
        """The article that will come after ``skip``, read ahead of time (read-only; None
        when it cannot tell)."""
        ahead = self.source.peek_next(self, skip)
        if ahead is not None and ahead.status is Status.IN_PROGRESS and self.follow is not None:
            with self.store.read() as session:
                if self._waits_for_model(session, ahead.article_id):
                    return None  # its preview would show the older model's suggestions
        return ahead

    def load(self, article_id: int) -> LoadedArticle:
        """Open an article: create this session's annotation if new, put what it starts
        from into it once (only while it is in progress: suggestions never enter finished
        work), and read what the screen shows."""
        with self.store.write() as session:
            article = work.article_text(session, article_id=article_id)
            if article is None:
                raise InputError(f"article {article_id} does not exist")
            state = self.policy.own(self, session, article_id)
            has_suggestions = work.has_suggestions(session, article_id=article_id)
            if not state.seeded and state.status is Status.IN_PROGRESS:
                if self._waits_for_model(session, article_id):
                    # Left unseeded: the screen's suggester (following the same model)
                    # suggests it, then seed() puts those suggestions in.
                    has_suggestions = False
                else:
                    state = self._seed(session, state) or state
            spans = work.spans_of_annotation(session, annotation_id=state.id)
            blob = work.tokens_blob(session, article_id=article_id, tokenizer=self.tokenizer_id)
            events = work.events_of(session, annotation_id=state.id)
            self._versions[state.id] = state.version
            self._annotation_of[article_id] = state.id
            loaded = LoadedArticle(
                article_id=article_id,
                title=article.title,
                text=article.text,
                source=article.source,
                annotation_id=state.id,
                status=state.status,
                note=state.note,
                spans=spans,
                has_suggestions=has_suggestions,
                tokens=None if blob is None else unpack_offsets(blob),
                history=History.replay(events),
            )
            self.policy.describe(self, session, loaded)
            return loaded

    def tokens(self, article_id: int) -> list[tuple[int, int]] | None:
        """Cached token offsets of an article, if any."""
        with self.store.read() as session:
            blob = work.tokens_blob(session, article_id=article_id, tokenizer=self.tokenizer_id)
        return None if blob is None else unpack_offsets(blob)

    def use_tokenizer(self, tokenizer_id: str) -> None:
        """Prefer tokens of this tokenizer from now on."""
        self.tokenizer_id = tokenizer_id

    def neighbour(self, article_id: int, step: int) -> int | None:
        """The article before (step=-1) or after (step=1) this one in this session's
        history (the order articles were first opened in), or None at either end."""
        with self.store.read() as session:
            return work.opened_neighbour(
                session,
                annotator_id=self.annotator_id,
                kind=self.kind,
                article_id=article_id,
                step=step,
            )

    def latest(self) -> int | None:
        """The article opened last, or None."""
        with self.store.read() as session:
            return work.opened_neighbour(
                session, annotator_id=self.annotator_id, kind=self.kind, article_id=None, step=-1
            )

    # --- writing -------------------------------------------------------------------------

    def _seed(self, session, state: AnnotationState) -> AnnotationState | None:
        """Put the starting spans into an annotation in progress; None if there are none
        yet (the annotation stays unseeded, so that later suggestions still go in)."""
        start = self.policy.starting_spans(self, session, state)
        if start is None:
            return None
        spans, payload = start
        work.add_spans(session, annotation_id=state.id, spans=spans)
        work.mark_seeded(session, annotation_id=state.id)
        version = work.claim(session, annotation_id=state.id, seen=state.version)
        if version is None:
            raise ConflictError("this article was changed in another terminal")
        work.append_event(
            session,
            action="seed",
            annotator_id=self.annotator_id,
            article_id=state.article_id,
            annotation_id=state.id,
            payload=payload,
        )
        return replace(state, seeded=True, version=version)

    def _claimed(self, session, article_id: int) -> AnnotationState:
        """This session's annotation of the article, its version claimed for one write."""
        annotation_id = self._annotation_of.get(article_id)
        if annotation_id is None:
            raise ConflictError(f"article {article_id} was not opened in this session")
        seen = self._versions.get(annotation_id, -1)
        version = work.claim(session, annotation_id=annotation_id, seen=seen)
        state = work.annotation_by_id(session, annotation_id=annotation_id)
        if version is None or state is None:
            raise ConflictError("this article was changed in another terminal")
        return state

    def seed(self, article_id: int) -> Change:
        """Put newly computed suggestions into the annotation, if it is still in progress
        and got none yet; returns the spans added (those overlapping nothing it has)."""
        with self.store.write() as session:
            state = self._claimed(session, article_id)
            # The claimed version is ours from here on, whether anything is added or not.
            self._versions[state.id] = state.version
            if state.seeded or state.status is not Status.IN_PROGRESS:
                return Change()
            before = {s.key for s in work.spans_of_annotation(session, annotation_id=state.id)}
            seeded = self._seed(session, state)
            if seeded is None:
                return Change()
            added = [
                s
                for s in work.spans_of_annotation(session, annotation_id=state.id)
                if s.key not in before
            ]
            version = seeded.version
        self._versions[state.id] = version
        return Change(added=tuple(added))

    def apply(
        self, article_id: int, change: Change, action: str = EDIT, of: int | None = None
    ) -> int:
        """Store one edit (or an undo/redo of edit ``of``) of this session's annotation of
        the article; a change with a status moves the status too. Returns the event id."""
        with self.store.write() as session:
            state = self._claimed(session, article_id)
            if not work.remove_spans(session, annotation_id=state.id, spans=change.removed):
                raise ConflictError("this article was changed in another terminal")
            work.add_spans(session, annotation_id=state.id, spans=change.added)
            if change.status is not None:
                work.store_status(session, state=state, status=Status(change.status[1]))
            payload: dict[str, Any] = dict(change.to_payload())
            if of is not None:
                payload["of"] = of
            event_id = work.append_event(
                session,
                action=action,
                annotator_id=self.annotator_id,
                article_id=article_id,
                annotation_id=state.id,
                payload=payload,
            )
        self._versions[state.id] = state.version
        return event_id

    def finish(self, article_id: int, status: Status, note: str | None = None) -> int:
        """Mark the article done, skipped or flagged; done accepts the pending suggestions.
        Logged as an undoable change (accepted spans and the status move); returns the
        event id."""
        with self.store.write() as session:
            state = self._claimed(session, article_id)
            self.policy.check_finish(session, state, status)
            spans = work.spans_of_annotation(session, annotation_id=state.id)
            pending = tuple(s for s in spans if s.origin is Origin.SUGGESTED)
            accepted = tuple(replace(s, origin=Origin.ACCEPTED) for s in pending)
            if status is not Status.DONE:
                pending, accepted = (), ()
            if accepted:
                work.accept_pending(session, annotation_id=state.id)
            work.store_status(session, state=state, status=status, note=note)
            moved = (state.status.value, status.value)
            if moved[0] == moved[1] and not accepted:
                change = Change()  # finished again as it was: nothing to undo
            else:
                change = Change(removed=pending, added=accepted, status=moved)
            payload: dict = {**change.to_payload(), "status": status.value, "note": note or ""}
            if change.status is None:
                payload.pop("removed"), payload.pop("added")
            payload["accepted"] = len(accepted)
            event_id = work.append_event(
                session,
                action=STATUS,
                annotator_id=self.annotator_id,
                article_id=article_id,
                annotation_id=state.id,
                payload=payload,
            )
            self.policy.after_finish(self, session, state, status)
        self._versions[state.id] = state.version
        return event_id

    def undo_finish(self, article_id: int) -> LoadedArticle:
        """Undo the finishing of an article (the newest undoable step of its history must
        be that): it is in progress again with exactly the spans it had before. Returns the
        article as it now is."""
        loaded = self.load(article_id)
        if not loaded.history.undo:
            raise InputError(f"article {article_id}: nothing to undo")
        event_id = loaded.history.undo[-1]
        change = loaded.history.changes[event_id]
        if change.status is None:
            raise InputError(f"article {article_id}: its last step was an edit, not finishing it")
        taken = loaded.history.take_undo()
        assert taken is not None
        self.apply(article_id, taken[1], "undo", of=event_id)
        return self.load(article_id)


class BackgroundSuggester:
    """Suggestions and tokens for one article at a time, for the annotation screen's spaCy
    worker thread. Building it imports spaCy, so the screen does that only after the first
    article is on screen."""

    def __init__(self, db: str, follow: ModelFollow | None = None):
        from annotator.services.suggesting import build_suggester, project_config
        from annotator.store.engine import open_store

        self.store = open_store(db)
        self.follow = follow
        self.followed = follow.model_source() if follow is not None else None
        self.suggester = build_suggester(project_config(self.store))

    def suggest(self, article_id: int) -> str:
        """Store suggestions and token offsets for the article (if missing); returns the
        tokenizer id under which its tokens are stored. When the followed retrainer has a
        newer model, the suggester is first built again from the project's setup, which
        the retrainer made that model (loading it here, in the caller's thread)."""
        from annotator.services.suggesting import build_suggester, project_config, suggest_article

        newest = self.follow.model_source() if self.follow is not None else None
        if newest is not None and newest != self.followed:
            self.suggester = build_suggester(project_config(self.store))
            self.followed = newest
        suggest_article(self.store, self.suggester, article_id)
        return self.suggester.tokenizer_id
