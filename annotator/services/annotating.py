"""Everything the annotation screen does to the database, for one annotator.

Called from the screen's single database thread, never from the event loop. Each write
checks the annotation's version against the one this session last saw, so that two
terminals of the same annotator never silently overwrite each other.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select

from annotator.domain.editing import Change
from annotator.domain.errors import ConflictError, InputError
from annotator.domain.history import EDIT, History
from annotator.domain.spans import Kind, Origin, Span, Status, seed_suggestions, unpack_offsets
from annotator.domain.workitem import LoadedArticle
from annotator.store import queue
from annotator.store.annotations import (
    ensure_annotation,
    get_annotation,
    log_event,
    set_status,
    spans_of,
    touch,
)
from annotator.store.engine import Store
from annotator.store.models import (
    Annotation,
    Article,
    Event,
    QueueItem,
    Suggestion,
    SuggestionRun,
    Tokens,
)
from annotator.store.models import Span as SpanRow

SUGGEST_SETTING = "suggest"  # {"tokenizer_id": ..., ...} written by `annotator suggest`


class AnnotationSession:
    """One annotator's session: load articles, store edits and statuses, count progress.

    The review screen uses a subclass that works on the gold annotation instead."""

    kind = Kind.ANNOTATION
    always_seed = False  # seed even when the article has no machine suggestions

    def __init__(self, store: Store, annotator: str):
        self.store = store
        self.name = annotator
        with store.write() as session:
            person = queue.ensure_annotator(session, annotator)
            self.annotator_id: int = person.id  # type: ignore[assignment]
            config = queue.get_setting(session, SUGGEST_SETTING, {}) or {}
        self.tokenizer_id: str | None = config.get("tokenizer_id")
        self._versions: dict[int, int] = {}  # annotation id -> version we last saw
        self._annotation_of: dict[int, int] = {}  # article id -> this annotator's annotation id

    # --- reading -----------------------------------------------------------------------

    def next_article_id(self) -> int | None:
        """The first article in this annotator's queue that they have not finished."""
        with self.store.write() as session:
            person = queue.get_annotator(session, self.name)
            assert person is not None
            return queue.next_article_id(session, person)

    def load(self, article_id: int) -> LoadedArticle:
        """Open an article: create this annotator's annotation if new, put the article's
        suggestions into it once (as pending spans), and read what the screen shows."""
        with self.store.write() as session:
            article = session.get(Article, article_id)
            if article is None:
                raise InputError(f"article {article_id} does not exist")
            annotation = self._own_annotation(session, article_id)
            has_suggestions = self._has_suggestions(session, article_id)
            if not annotation.seeded and (has_suggestions or self.always_seed):
                self._seed(session, annotation)
            spans = spans_of(session, annotation.id)  # type: ignore[arg-type]
            tokens = self._tokens(session, article_id)
            events = session.execute(
                select(Event.id, Event.action, Event.payload)
                .where(Event.annotation_id == annotation.id)
                .order_by(Event.id)
            ).all()
            self._versions[annotation.id] = annotation.version  # type: ignore[index]
            self._annotation_of[article_id] = annotation.id  # type: ignore[assignment]
            return LoadedArticle(
                article_id=article_id,
                title=article.title,
                text=article.text,
                source=article.source,
                annotation_id=annotation.id,
                status=Status(annotation.status),
                note=annotation.note,
                spans=spans,
                has_suggestions=has_suggestions,
                tokens=tokens,
                history=History.replay((e.id, e.action, e.payload) for e in events),
            )

    def _own_annotation(self, session, article_id: int) -> Annotation:
        """This session's annotation of the article, created if new."""
        return ensure_annotation(session, article_id, self.annotator_id, self.kind)

    def _has_suggestions(self, session, article_id: int) -> bool:
        return (
            session.scalar(
                select(func.count())
                .select_from(SuggestionRun)
                .where(SuggestionRun.article_id == article_id)
            )
            or 0
        ) > 0

    def _tokens(self, session, article_id: int) -> list[tuple[int, int]] | None:
        query = select(Tokens.offsets).where(Tokens.article_id == article_id)
        if self.tokenizer_id:
            query = query.where(Tokens.tokenizer == self.tokenizer_id)
        data = session.scalars(query.order_by(Tokens.tokenizer).limit(1)).first()
        return None if data is None else unpack_offsets(data)

    def _seed(self, session, annotation: Annotation) -> Change:
        existing = spans_of(session, annotation.id)  # type: ignore[arg-type]
        suggested = [
            Span(s.start, s.end, s.label, Origin.SUGGESTED)
            for s in session.scalars(
                select(Suggestion).where(Suggestion.article_id == annotation.article_id)
            )
        ]
        added = seed_suggestions(suggested, existing)
        return self._store_seed(session, annotation, added, {"added": len(added)})

    def _store_seed(
        self, session, annotation: Annotation, spans: list[Span], payload: dict
    ) -> Change:
        """Add the spans an annotation starts from, mark it seeded and log the seeding."""
        for span in spans:
            session.add(
                SpanRow(
                    annotation_id=annotation.id,
                    start=span.start,
                    end=span.end,
                    label=span.label,
                    origin=span.origin.value,
                    sources=list(span.sources) or None,
                )
            )
        annotation.seeded = True
        touch(annotation)
        session.add(annotation)
        log_event(
            session,
            "seed",
            annotator_id=self.annotator_id,
            article_id=annotation.article_id,
            annotation_id=annotation.id,
            payload=payload,
        )
        return Change(added=tuple(spans))

    # --- writing -------------------------------------------------------------------------

    def _locked(self, session, article_id: int) -> Annotation:
        annotation_id = self._annotation_of.get(article_id)
        if annotation_id is None:
            raise ConflictError(f"article {article_id} was not opened in this session")
        annotation = session.get(Annotation, annotation_id)
        known = self._versions.get(annotation_id)
        if annotation is None or known is None or annotation.version != known:
            raise ConflictError("this article was changed in another terminal")
        return annotation

    def _done_writing(self, annotation: Annotation) -> None:
        self._versions[annotation.id] = annotation.version  # type: ignore[index]

    def seed(self, article_id: int) -> Change:
        """Put newly computed suggestions into the annotation (if not done yet); returns
        the spans added (those that overlap nothing the annotator already has)."""
        with self.store.write() as session:
            annotation = self._locked(session, article_id)
            if annotation.seeded:
                return Change()
            change = self._seed(session, annotation)
        self._done_writing(annotation)
        return change

    def apply(
        self, article_id: int, change: Change, action: str = EDIT, of: int | None = None
    ) -> int:
        """Store one edit (or an undo/redo of edit ``of``) of this session's annotation of
        the article; returns the event id."""
        with self.store.write() as session:
            annotation = self._locked(session, article_id)
            annotation_id = annotation.id
            for span in change.removed:
                result = session.execute(
                    delete(SpanRow).where(
                        SpanRow.annotation_id == annotation_id,
                        SpanRow.start == span.start,
                        SpanRow.end == span.end,
                        SpanRow.label == span.label,
                    )
                )
                if result.rowcount != 1:  # type: ignore[attr-defined]
                    raise ConflictError("this article was changed in another terminal")
            for span in change.added:
                session.add(
                    SpanRow(
                        annotation_id=annotation_id,
                        start=span.start,
                        end=span.end,
                        label=span.label,
                        origin=span.origin.value,
                        sources=list(span.sources) or None,
                    )
                )
            touch(annotation)
            session.add(annotation)
            payload = change.to_payload()
            if of is not None:
                payload["of"] = of
            event = log_event(
                session,
                action,
                annotator_id=self.annotator_id,
                article_id=annotation.article_id,
                annotation_id=annotation_id,
                payload=payload,
            )
            session.flush()
            event_id = event.id
        self._done_writing(annotation)
        return event_id  # type: ignore[return-value]

    def finish(self, article_id: int, status: Status, note: str | None = None) -> None:
        """Mark the article done, skipped or flagged (done accepts pending suggestions)."""
        with self.store.write() as session:
            annotation = self._locked(session, article_id)
            annotation_id = annotation.id
            accepted = 0
            if status is Status.DONE:
                rows = session.scalars(
                    select(SpanRow).where(
                        SpanRow.annotation_id == annotation_id,
                        SpanRow.origin == Origin.SUGGESTED.value,
                    )
                ).all()
                for row in rows:
                    row.origin = Origin.ACCEPTED.value
                    session.add(row)
                accepted = len(rows)
            set_status(session, annotation, status, note)
            log_event(
                session,
                "status",
                annotator_id=self.annotator_id,
                article_id=annotation.article_id,
                annotation_id=annotation_id,
                payload={"status": status.value, "note": note or "", "accepted": accepted},
            )
        self._done_writing(annotation)

    # --- counting and moving through history ---------------------------------------------

    def progress(self) -> tuple[int, int]:
        """(articles this annotator finished, articles in their queue or the project)."""
        with self.store.read() as session:
            finished = (
                session.scalar(
                    select(func.count())
                    .select_from(Annotation)
                    .where(
                        Annotation.annotator_id == self.annotator_id,
                        Annotation.kind == self.kind.value,
                        Annotation.status != Status.IN_PROGRESS.value,
                    )
                )
                or 0
            )
            if queue.get_setting(session, queue.ASSIGNMENT, "open") == "open":
                total = session.scalar(select(func.count()).select_from(Article)) or 0
            else:
                total = (
                    session.scalar(
                        select(func.count())
                        .select_from(QueueItem)
                        .where(QueueItem.annotator_id == self.annotator_id)
                    )
                    or 0
                )
        return finished, total

    def neighbour(self, article_id: int, step: int) -> int | None:
        """The article before (step=-1) or after (step=1) this one in the annotator's
        history (the order they opened articles in), or None at either end."""
        with self.store.read() as session:
            current = get_annotation(session, article_id, self.annotator_id, self.kind)
            if current is None:
                return None
            order = Annotation.id.desc() if step < 0 else Annotation.id.asc()  # type: ignore[union-attr]
            bound = Annotation.id < current.id if step < 0 else Annotation.id > current.id
            return session.scalar(
                select(Annotation.article_id)
                .where(
                    Annotation.annotator_id == self.annotator_id,
                    Annotation.kind == self.kind.value,
                    bound,
                )
                .order_by(order)
                .limit(1)
            )

    def peek_next(self, skip: int) -> LoadedArticle | None:
        """The article that will come after ``skip``, read ahead of time (read-only, and
        only for SQLite files; None when it cannot tell)."""
        from annotator.store.fastpath import first_article

        return first_article(self.store.url, self.name, {skip})

    def latest(self) -> int | None:
        """The article this annotator opened last, or None."""
        with self.store.read() as session:
            return session.scalar(
                select(Annotation.article_id)
                .where(
                    Annotation.annotator_id == self.annotator_id,
                    Annotation.kind == self.kind.value,
                )
                .order_by(Annotation.id.desc())  # type: ignore[union-attr]
                .limit(1)
            )

    def tokens(self, article_id: int) -> list[tuple[int, int]] | None:
        """Cached token offsets of an article, if any."""
        with self.store.read() as session:
            return self._tokens(session, article_id)

    def use_tokenizer(self, tokenizer_id: str) -> None:
        """Prefer tokens of this tokenizer from now on."""
        self.tokenizer_id = tokenizer_id


class BackgroundSuggester:
    """Suggestions and tokens for one article at a time, for the annotation screen's spaCy
    worker thread. Building it imports spaCy, so the screen does that only after the first
    article is on screen."""

    def __init__(self, db: str):
        from annotator.services.suggesting import build_suggester, project_config
        from annotator.store.engine import open_store

        self.store = open_store(db)
        self.suggester = build_suggester(project_config(self.store))

    def suggest(self, article_id: int) -> str:
        """Store suggestions and token offsets for the article (if missing); returns the
        tokenizer id under which its tokens are stored."""
        from annotator.services.suggesting import suggest_article

        suggest_article(self.store, self.suggester, article_id)
        return self.suggester.tokenizer_id
