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

from annotator.audit.disagreements import rank
from annotator.audit.documents import DocAnnotations
from annotator.domain.errors import InputError
from annotator.domain.spans import Kind, Origin, Span, Status
from annotator.domain.workitem import LoadedArticle
from annotator.services.agreement import documents, measure
from annotator.services.annotating import AnnotationSession
from annotator.store import work
from annotator.store.engine import Store
from annotator.store.work import AnnotationState


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


class WorstFirst:
    """Articles done by two or more annotators that disagree, worst agreement first,
    those already settled into gold left out."""

    def __init__(self, annotators: Sequence[str] | None = None):
        self.annotators = sorted(set(annotators)) if annotators else None
        self._queue: list[int] | None = None
        self.scores: dict[int, float] = {}

    def queue(self, work_session: AnnotationSession) -> list[int]:
        """The articles with disagreements, worst first (measured once per session)."""
        if self._queue is None:
            try:
                report = measure(
                    work_session.store, annotators=self.annotators, tokens="whitespace"
                ).report
            except InputError:
                report = None
            # Articles measured from the store are named by their int ids.
            ranked = [
                (f.doc_id, f.score)
                for f in (rank(report.articles) if report is not None else [])
                if isinstance(f.doc_id, int)
            ]
            self._queue = [doc_id for doc_id, _ in ranked]
            self.scores = dict(ranked)
        return self._queue

    def _settled(self, work_session: AnnotationSession, ids: list[int]) -> set[int]:
        with work_session.store.read() as session:
            return work.settled_articles(session, article_ids=ids)

    def next_article_id(self, work_session: AnnotationSession) -> int | None:
        """The worst article whose disagreements are not settled yet."""
        ids = self.queue(work_session)
        settled = self._settled(work_session, ids)
        return next((i for i in ids if i not in settled), None)

    def progress(self, work_session: AnnotationSession) -> tuple[int, int]:
        """(articles settled into gold, articles with disagreements)."""
        ids = self.queue(work_session)
        return len(self._settled(work_session, ids)), len(ids)

    def peek_next(self, work_session: AnnotationSession, skip: int) -> LoadedArticle | None:
        """Review reads its articles through the agreement measures: no read-ahead."""
        return None


class GoldWork:
    """The article's one gold annotation, starting from the annotators' spans: shared
    ones accepted, the others candidates; done only when no candidate is left, and then
    each span records who had exactly it."""

    kind = Kind.GOLD

    def __init__(self, source: WorstFirst):
        self.source = source

    def layers(self, session, article_id: int) -> dict[str, list[Span]]:
        """Each annotator's spans of the article."""
        for _, doc in documents(
            session, annotators=self.source.annotators, article_ids=[article_id]
        ):
            return layers_of(doc)
        return {}

    def own(self, work_session: AnnotationSession, session, article_id: int) -> AnnotationState:
        gold = work.annotation_state(
            session, article_id=article_id, annotator_id=None, kind=Kind.GOLD
        )
        if gold is None:
            return work.create_annotation(
                session,
                article_id=article_id,
                annotator_id=work_session.annotator_id,
                kind=Kind.GOLD,
            )
        if gold.annotator_id != work_session.annotator_id:
            # One gold per article: another reviewer's draft is taken over, and logged.
            work.append_event(
                session,
                action="takeover",
                annotator_id=work_session.annotator_id,
                article_id=article_id,
                annotation_id=gold.id,
                payload={"from_annotator_id": gold.annotator_id},
            )
            work.hand_over(session, annotation_id=gold.id, annotator_id=work_session.annotator_id)
            gold = work.annotation_by_id(session, annotation_id=gold.id)
            assert gold is not None
        return gold

    def starting_spans(
        self, work_session: AnnotationSession, session, state: AnnotationState
    ) -> tuple[list[Span], dict] | None:
        layers = self.layers(session, state.article_id)
        if len(layers) < 2:
            raise InputError(
                f"article {state.article_id} is not done by two or more annotators: "
                "nothing to adjudicate"
            )
        start = gold_start(layers)
        payload = {
            "agreed": sum(s.origin is Origin.ACCEPTED for s in start),
            "candidates": sum(s.origin is Origin.SUGGESTED for s in start),
        }
        return list(start), payload

    def check_finish(self, session, state: AnnotationState, status: Status) -> None:
        if status is not Status.DONE:
            return
        pending = work.count_pending(session, annotation_id=state.id)
        if pending:
            raise InputError(f"{pending} candidate span(s) not settled yet: take or reject each")

    def after_finish(
        self, work_session: AnnotationSession, session, state: AnnotationState, status: Status
    ) -> None:
        if status is not Status.DONE:
            return
        holders: dict[tuple[int, int, str], list[str]] = {}
        for name, spans in self.layers(session, state.article_id).items():
            for span in spans:
                holders.setdefault(span.key, []).append(name)
        gold = work.spans_of_annotation(session, annotation_id=state.id)
        work.set_span_sources(
            session,
            annotation_id=state.id,
            sources={s.key: sorted(holders.get(s.key, [])) for s in gold},
        )

    def describe(self, work_session: AnnotationSession, session, loaded: LoadedArticle) -> None:
        loaded.layers = self.layers(session, loaded.article_id)
        score = self.source.scores.get(loaded.article_id)
        people = ", ".join(loaded.layers)
        loaded.context = f"annotators: {people}" + (
            f" · agreement {1 - score:.2f}" if score is not None else ""
        )


def ReviewSession(  # noqa: N802 - reads like the class it stands for
    store: Store, reviewer: str, annotators: Sequence[str] | None = None
) -> AnnotationSession:
    """A reviewer's session over the gold annotations of articles with disagreements: the
    annotation session with the worst-first source and the gold policy."""
    source = WorstFirst(annotators)
    return AnnotationSession(store, reviewer, source=source, policy=GoldWork(source))
