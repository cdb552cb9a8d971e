"""Measure suggestion sources against finished annotations (`annotator evaluate`) and
count what annotators did with suggestions (acceptance rates in `annotator stats`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from annotator.audit.evaluation import Acceptance, Evaluation
from annotator.domain.errors import InputError
from annotator.domain.text import visible
from annotator.store.annotations import stored_annotations
from annotator.store.engine import Store
from annotator.store.loop import runs_for, seeded_at
from annotator.store.queue import annotator_names
from annotator.store.suggestions import suggestions_for


@dataclass
class EvaluateReport:
    """Each source's evaluation against the reference (gold, all or an annotator)."""

    against: str
    references: int  # finished reference annotations read
    sources: dict[str, Evaluation] = field(default_factory=dict)


def evaluate_sources(
    store: Store, *, source: str | None = None, against: str = "gold"
) -> EvaluateReport:
    """Precision, recall and F1 of every suggestion source (or only ``source``) against the
    finished ("done") annotations of ``against``: gold, all (each annotator's finished
    annotation is one reference) or an annotator's name. Each source is measured on the
    reference articles it processed (also those where it found nothing)."""
    with store.read() as session:
        if against not in ("gold", "all"):
            names = annotator_names(session)
            if against not in names:
                raise InputError(
                    f"no annotator {visible(against)!r} to evaluate against (use gold, all or "
                    f"one of: {', '.join(visible(n) for n in names) or 'nobody yet'})"
                )
        references = [
            (a.article_id, [s.key for s in a.spans if s.origin.value != "suggested"])
            for a in stored_annotations(session, source=against)
        ]
        if not references:
            who = {"gold": "gold", "all": "any annotator"}.get(against, visible(against))
            raise InputError(
                f"nothing to evaluate against: no finished annotations from {who}"
                + (" (--against NAME or all uses annotators' work)" if against == "gold" else "")
            )
        ids = [article_id for article_id, _ in references]
        connection = session.connection()
        runs = runs_for(connection, ids)
        suggested = suggestions_for(session, ids)
    known = sorted({s for by_source in runs.values() for s in by_source})
    if source is not None and source not in known:
        raise InputError(
            f"source {visible(source)!r} has made no suggestions on these articles (sources: "
            f"{', '.join(visible(s) for s in known) or 'none'})"
        )
    report = EvaluateReport(against=against, references=len(references))
    for name in [source] if source is not None else known:
        evaluation = Evaluation()
        for article_id, reference in references:
            if name not in runs[article_id]:
                continue
            predicted = [
                (s.start, s.end, s.label) for s in suggested[article_id] if s.source == name
            ]
            evaluation.add(predicted, reference)
        report.sources[name] = evaluation
    return report


def _naive(moment: datetime) -> datetime:
    """Timestamps compared as UTC without a zone (SQLite gives naive ones back)."""
    if moment.tzinfo is not None:
        return moment.replace(tzinfo=None)
    return moment


def acceptance(store: Store) -> Acceptance:
    """What annotators did with the suggestions they were shown, over every finished
    ("done") annotation that was seeded with suggestions (the "seed" event of the log
    says when): the sources whose runs existed then are those it showed."""
    tally = Acceptance()
    with store.read() as session:
        connection = session.connection()
        seeded = seeded_at(connection)
        if not seeded:
            return tally
        annotations = [
            a
            for a in stored_annotations(session, source="all")
            if (a.article_id, a.annotator) in seeded
        ]
        ids = sorted({a.article_id for a in annotations})
        runs = runs_for(connection, ids)
        suggested = suggestions_for(session, ids)
    for annotation in annotations:
        when = _naive(seeded[(annotation.article_id, annotation.annotator)])
        shown_sources = {
            s for s, created in runs[annotation.article_id].items() if _naive(created) <= when
        }
        shown: dict[str, list[tuple[int, int, str]]] = {s: [] for s in shown_sources}
        for s in suggested[annotation.article_id]:
            if s.source in shown:
                shown[s.source].append((s.start, s.end, s.label))
        final = [(s.start, s.end, s.label, s.origin.value) for s in annotation.spans]
        tally.add(final, shown)
    return tally
