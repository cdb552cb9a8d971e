"""Adjudication: a reviewer settles annotators' disagreements into one gold annotation.

The review screen edits the article's gold annotation with the annotation screen's own
machinery (so every change is stored at once, with undo across restarts); this session
decides what the gold starts from and which articles come first:

- spans every annotator has exactly are pre-accepted (origin accepted);
- every other span of any annotator is a candidate (a pending span, its ``sources``
  naming who proposed it), to be taken, rejected or edited;
- articles come worst first (lowest agreement), those already settled left out.
When the gold is done, each of its spans records the annotators who had exactly it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from annotator.audit.disagreements import rank
from annotator.audit.documents import DocAnnotations
from annotator.domain.editing import Change
from annotator.domain.errors import InputError
from annotator.domain.spans import Kind, Origin, Span, Status
from annotator.domain.workitem import LoadedArticle
from annotator.services.agreement import documents, measure
from annotator.services.annotating import AnnotationSession
from annotator.store.annotations import gold_of, log_event, touch
from annotator.store.engine import Store
from annotator.store.models import Annotation
from annotator.store.models import Span as SpanRow


def layers_of(doc: DocAnnotations) -> dict[str, list[Span]]:
    """Each annotator's spans of a document as domain spans, sorted."""
    return {
        name: sorted(
            (s if isinstance(s, Span) else Span(s[0], s[1], s[2]) for s in spans),
            key=lambda s: s.key,
        )
        for name, spans in sorted(doc.spans.items())
    }


def gold_start(layers: dict[str, list[Span]]) -> list[Span]:
    """What a gold annotation starts from: spans all annotators share, accepted, and every
    other span as a pending candidate naming its annotators."""
    people = sorted(layers)
    holders: dict[tuple[int, int, str], list[str]] = {}
    for name in people:
        for span in layers[name]:
            holders.setdefault(span.key, []).append(name)
    start: list[Span] = []
    for (begin, end, label), names in sorted(holders.items()):
        origin = Origin.ACCEPTED if len(names) == len(people) else Origin.SUGGESTED
        start.append(Span(begin, end, label, origin, tuple(sorted(set(names)))))
    return start


class ReviewSession(AnnotationSession):
    """A reviewer's session over the gold annotations of articles with disagreements."""

    kind = Kind.GOLD
    always_seed = True

    def __init__(self, store: Store, reviewer: str, annotators: Sequence[str] | None = None):
        super().__init__(store, reviewer)
        self.annotators = sorted(set(annotators)) if annotators else None
        self._queue: list[int] | None = None
        self._scores: dict[int, float] = {}

    # --- which articles --------------------------------------------------------------

    def queue(self) -> list[int]:
        """Articles done by two or more annotators that disagree, worst first."""
        if self._queue is None:
            try:
                report = measure(self.store, annotators=self.annotators).report
            except InputError:
                report = None
            ranked = rank(report.articles) if report is not None else []
            self._queue = [int(f.doc_id) for f in ranked]
            self._scores = {int(f.doc_id): f.score for f in ranked}
        return self._queue

    def _settled(self, ids: list[int]) -> set[int]:
        if not ids:
            return set()
        with self.store.read() as session:
            rows = session.execute(
                select(Annotation.article_id).where(
                    Annotation.kind == Kind.GOLD.value,
                    Annotation.status == Status.DONE.value,
                    Annotation.article_id.in_(ids),  # type: ignore[attr-defined]
                )
            )
            return {row[0] for row in rows}

    def next_article_id(self) -> int | None:
        """The worst article whose disagreements are not settled yet."""
        ids = self.queue()
        settled = self._settled(ids)
        return next((i for i in ids if i not in settled), None)

    def progress(self) -> tuple[int, int]:
        """(articles settled into gold, articles with disagreements)."""
        ids = self.queue()
        return len(self._settled(ids)), len(ids)

    def peek_next(self, skip: int) -> LoadedArticle | None:
        """Review reads its articles through the agreement measures: no read-ahead."""
        return None

    # --- opening an article ---------------------------------------------------------------

    def _layers(self, session, article_id: int) -> dict[str, list[Span]]:
        for _, doc in documents(session, annotators=self.annotators, article_ids=[article_id]):
            return layers_of(doc)
        return {}

    def _own_annotation(self, session, article_id: int) -> Annotation:
        gold = gold_of(session, article_id)
        if gold is None:
            gold = Annotation(
                article_id=article_id, annotator_id=self.annotator_id, kind=Kind.GOLD.value
            )
            session.add(gold)
            session.flush()
        elif gold.annotator_id != self.annotator_id:
            # One gold per article: another reviewer's draft is taken over, and logged.
            log_event(
                session,
                "takeover",
                annotator_id=self.annotator_id,
                article_id=article_id,
                annotation_id=gold.id,
                payload={"from_annotator_id": gold.annotator_id},
            )
            gold.annotator_id = self.annotator_id
            touch(gold)
            session.add(gold)
            session.flush()
        return gold

    def _seed(self, session, annotation: Annotation) -> Change:
        layers = self._layers(session, annotation.article_id)
        if len(layers) < 2:
            raise InputError(
                f"article {annotation.article_id} is not done by two or more annotators: "
                "nothing to adjudicate"
            )
        start = gold_start(layers)
        payload = {
            "agreed": sum(s.origin is Origin.ACCEPTED for s in start),
            "candidates": sum(s.origin is Origin.SUGGESTED for s in start),
        }
        return self._store_seed(session, annotation, list(start), payload)

    def load(self, article_id: int) -> LoadedArticle:
        """Open the article's gold (created from the annotators' spans if new), with each
        annotator's spans alongside for the screen to compare."""
        loaded = super().load(article_id)
        with self.store.read() as session:
            loaded.layers = self._layers(session, article_id)
        score = self._scores.get(article_id)
        people = ", ".join(loaded.layers)
        loaded.context = f"annotators: {people}" + (
            f" · agreement {1 - score:.2f}" if score is not None else ""
        )
        return loaded

    # --- settling --------------------------------------------------------------------------

    def finish(self, article_id: int, status: Status, note: str | None = None) -> None:
        """Store the gold's status; a done gold must have no candidate left, and each of
        its spans then records the annotators who had exactly it (provenance)."""
        if status is Status.DONE:
            with self.store.read() as session:
                annotation = session.get(Annotation, self._annotation_of[article_id])
                pending = session.scalar(
                    select(func.count())
                    .select_from(SpanRow)
                    .where(
                        SpanRow.annotation_id == annotation.id,  # type: ignore[union-attr]
                        SpanRow.origin == Origin.SUGGESTED.value,
                    )
                )
            if pending:
                raise InputError(
                    f"{pending} candidate span(s) not settled yet: take or reject each"
                )
        super().finish(article_id, status, note)
        if status is not Status.DONE:
            return
        with self.store.write() as session:
            layers = self._layers(session, article_id)
            holders: dict[tuple[int, int, str], list[str]] = {}
            for name, spans in layers.items():
                for span in spans:
                    holders.setdefault(span.key, []).append(name)
            rows = session.scalars(
                select(SpanRow).where(SpanRow.annotation_id == self._annotation_of[article_id])
            ).all()
            for row in rows:
                row.sources = sorted(holders.get((row.start, row.end, row.label), []))
                session.add(row)
