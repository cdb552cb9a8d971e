"""Agreement between annotators over the store: read finished annotations into the pure
audit measures, and find the articles a reviewer should look at first."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlmodel import Session

from annotator.audit.disagreements import ArticleDisagreements, review_queue
from annotator.audit.documents import DocAnnotations, restrict
from annotator.audit.report import AgreementReport, AgreementTally, new_tally
from annotator.domain.errors import InputError
from annotator.domain.spans import Kind, Status
from annotator.domain.text import visible
from annotator.services.background import from_subprocess
from annotator.store.annotations import annotation_keys, stored_annotations
from annotator.store.engine import Store, open_store
from annotator.store.models import Annotation, Annotator

# Below this many articles a helper process costs more (starting, importing) than it saves.
PARALLEL_MIN_ARTICLES = 2000


@dataclass
class Agreement:
    """An agreement report and what the caller should tell the user about the request."""

    report: AgreementReport
    warnings: list[str] = field(default_factory=list)


def documents(
    session: Session,
    *,
    annotators: Collection[str] | None = None,
    article_ids: Collection[int] | None = None,
    light: bool = False,
) -> Iterator[tuple[int, DocAnnotations]]:
    """Articles finished (status done) by two or more annotators (of ``annotators``), one
    at a time, in article id order, as audit inputs. Spans are domain Spans, or with
    ``light`` plain (start, end, label) tuples, which is all the measures need and much
    cheaper to read for a whole corpus."""
    reader = annotation_keys if light else stored_annotations
    current: int | None = None
    text = title = ""
    spans: dict[str, Sequence] = {}
    for stored in reader(
        session, source="all", status="done", annotators=annotators, article_ids=article_ids
    ):
        if stored.article_id != current:
            if len(spans) >= 2:
                yield current, DocAnnotations(text, spans, title)  # type: ignore[misc]
            current, text, title, spans = stored.article_id, stored.text, stored.title, {}
        spans[stored.annotator] = stored.spans
    if len(spans) >= 2:
        yield current, DocAnnotations(text, spans, title)  # type: ignore[misc]


def _check_annotators(session: Session, annotators: Sequence[str] | None) -> None:
    if not annotators:
        return
    known = set(session.scalars(select(Annotator.name)))
    unknown = [name for name in annotators if name not in known]
    if unknown:
        listing = ", ".join(sorted(known)) or "none yet"
        raise InputError(
            f"no annotator called {', '.join(repr(visible(n)) for n in unknown)} "
            f"(annotators: {visible(listing)})"
        )


def candidate_articles(session: Session, annotators: Collection[str] | None = None) -> list[int]:
    """Ids of the articles finished by two or more annotators (of ``annotators``)."""
    query = (
        select(Annotation.article_id)
        .join(Annotator, Annotator.id == Annotation.annotator_id)
        .where(Annotation.kind == Kind.ANNOTATION.value, Annotation.status == Status.DONE.value)
        .group_by(Annotation.article_id)
        .having(func.count() >= 2)
        .order_by(Annotation.article_id)
    )
    if annotators is not None:
        query = query.where(Annotator.name.in_(sorted(annotators)))  # type: ignore[attr-defined]
    return list(session.scalars(query))


def tally_articles(
    url: str,
    article_ids: list[int],
    annotators: list[str] | None,
    labels: list[str] | None,
) -> Iterator[AgreementTally]:
    """Count the given articles of the database at ``url`` (run in a helper process)."""
    store = open_store(url, upgrade=False)
    try:
        with store.read() as session:
            tally = new_tally(annotators, labels)
            for doc_id, doc in documents(
                session, annotators=annotators, article_ids=article_ids, light=True
            ):
                tally.add(doc_id, doc)
        yield tally
    finally:
        store.dispose()


def _can_share(store: Store) -> bool:
    """A helper process can open the same database (a file or a server, not memory)."""
    return not store.url.startswith("sqlite://") or (
        store.url.startswith("sqlite:///") and store.url != "sqlite:///:memory:"
    )


def measure(
    store: Store,
    *,
    annotators: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    workers: int | None = None,
) -> Agreement:
    """Agreement over every article finished by two or more of ``annotators`` (default:
    everyone), on spans of ``labels`` (default: all). No such article is an InputError.

    With many articles, the later half is read and counted by a helper process on another
    core while this one does the first half (``workers=1`` turns that off).
    """
    people = sorted(set(annotators)) if annotators else None
    wanted = sorted(set(labels)) if labels else None
    with store.read() as session:
        _check_annotators(session, people)
        ids = candidate_articles(session, people)
    if workers is None:
        workers = 2 if (os.cpu_count() or 1) > 1 and len(ids) >= PARALLEL_MIN_ARTICLES else 1
    tally = new_tally(people, wanted)
    if workers > 1 and _can_share(store) and len(ids) >= 2:
        # The helper first starts Python and imports the store (about half a second
        # here), so it takes the smaller share.
        middle = len(ids) * 6 // 10
        with from_subprocess(tally_articles, store.url, ids[middle:], people, wanted) as helper:
            with store.read() as session:
                for doc_id, doc in documents(
                    session, annotators=people, article_ids=ids[:middle], light=True
                ):
                    tally.add(doc_id, doc)
            for part in helper:
                tally.merge(part)
    else:
        with store.read() as session:
            for doc_id, doc in documents(session, annotators=people, light=True):
                tally.add(doc_id, doc)
    report = tally.report()
    if report.documents == 0:
        among = f" among {', '.join(people)}" if people else ""
        raise InputError(
            f"no article is finished (status done) by two or more annotators{among}: "
            "nothing to compare"
        )
    result = Agreement(report)
    if wanted:
        used = _labels_used(report)
        for label in wanted:
            if label not in used:
                result.warnings.append(
                    f"label {visible(label)!r} is not used in any compared article"
                )
    return result


def _labels_used(report: AgreementReport) -> set[str]:
    used = set()
    for label, pairs in report.exact.label_pairs.items():
        if any(p.a_spans or p.b_spans for p in pairs):
            used.add(label)
    return used


def review(
    store: Store,
    *,
    annotators: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    article_ids: Iterable[int] | None = None,
) -> list[ArticleDisagreements]:
    """Articles with disagreements, worst first, with each disagreement and the spans all
    annotators agree on: the review screen's queue. ``article_ids`` limits the reading."""
    people = sorted(set(annotators)) if annotators else None
    wanted = set(labels) if labels else None
    ids = None if article_ids is None else sorted(set(article_ids))
    with store.read() as session:
        _check_annotators(session, people)
        docs = documents(session, annotators=people, article_ids=ids)
        if wanted is not None:
            docs = ((doc_id, restrict(doc, labels=wanted)) for doc_id, doc in docs)
        return review_queue(docs)
