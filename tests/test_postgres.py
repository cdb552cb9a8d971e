"""The same store, import, annotation, export and agreement code on a real PostgreSQL server."""

from __future__ import annotations

import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from annotator.domain.editing import Change
from annotator.domain.errors import ConflictError, InputError
from annotator.domain.spans import Origin, Span, Status
from annotator.services.annotating import AnnotationSession
from annotator.services.importing import import_articles
from annotator.store.annotations import save_annotation, stored_annotations
from annotator.store.engine import open_store


def _articles(tmp_path, *texts):
    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps({"text": t, "title": t.split()[0]}) + "\n" for t in texts))
    return path


def test_postgres_migrations_build_the_models(pg_store):
    with pg_store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    again = open_store(pg_store.url)  # reopening finds the schema current
    again.dispose()


def test_postgres_import_is_atomic_and_skips_duplicates(pg_store, tmp_path):
    path = _articles(
        tmp_path, "Assad forces shelled Idlib.", "Rebels held Hama.", "Assad forces shelled Idlib."
    )
    report = import_articles(pg_store, [path])
    assert (report.imported, report.duplicates) == (2, 1)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "new one"}) + "\n" + '{"title": "no text"}\n')
    with pytest.raises(InputError, match="bad.jsonl:2"):
        import_articles(pg_store, [bad])
    assert import_articles(pg_store, [path]).imported == 0  # nothing of the bad import landed


def test_postgres_annotation_session_edits_finish_and_conflicts(pg_store, tmp_path):
    import_articles(
        pg_store,
        [_articles(tmp_path, "Assad forces shelled Idlib on Thursday.", "Second article.")],
    )
    session = AnnotationSession(pg_store, "ana")
    first = session.next_article_id()
    loaded = session.load(first)
    session.apply(first, Change(added=(Span(0, 5, "PERSON"),)))
    event = session.apply(first, Change(added=(Span(21, 26, "LOCATION"),)))
    session.apply(first, Change(removed=(Span(21, 26, "LOCATION"),)), "undo", of=event)
    other = AnnotationSession(open_store(pg_store.url), "ana")
    other.load(first)
    other.apply(first, Change(added=(Span(30, 38, "DATE"),)))
    with pytest.raises(ConflictError):  # this session's view is stale now
        session.apply(first, Change(added=(Span(6, 12, "ARMED_GROUP"),)))
    session.load(first)
    session.finish(first, Status.DONE)
    assert session.next_article_id() != first
    again = session.load(first)
    assert [s.key for s in again.spans] == [(0, 5, "PERSON"), (30, 38, "DATE")]
    assert again.history.undo and again.status is Status.DONE
    assert loaded.article_id == first


def test_postgres_export_and_agreement(pg_store, tmp_path):
    from annotator.services.agreement import measure
    from annotator.services.exporting import export_annotations

    import_articles(pg_store, [_articles(tmp_path, "Assad forces shelled Idlib.")])
    with pg_store.write() as session:
        for name, spans in {
            "ana": [Span(0, 5, "PERSON"), Span(21, 26, "LOCATION")],
            "bob": [Span(0, 5, "PERSON")],
        }.items():
            save_annotation(session, article_id=1, annotator=name, spans=spans)
    result = measure(pg_store, workers=1).report
    assert result.documents == 1
    assert abs(result.exact.overall.mean - 2 * 1 / 3) < 1e-9  # 2|A∩B| / (|A|+|B|) = 2/3
    out = tmp_path / "out.jsonl"
    export_annotations(pg_store, fmt="prodigy", out=out, source="all")
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["_annotator_id"] for r in records) == ["ana", "bob"]
    with pg_store.read() as session:
        [ana, bob] = list(stored_annotations(session))
    assert ana.spans[0].origin is Origin.MANUAL and len(bob.spans) == 1


def test_postgres_suggestions_and_review_gold(pg_store, tmp_path):
    from annotator.services.reviewing import ReviewSession
    from annotator.services.suggesting import build_suggester, project_config, suggest_articles

    import_articles(
        pg_store, [_articles(tmp_path, "Turkish troops entered Sarmada near Idlib on Thursday.")]
    )
    report = suggest_articles(pg_store, build_suggester(project_config(pg_store)), helper=False)
    assert report.articles == 1 and report.labels["LOCATION"] >= 2
    assert (
        suggest_articles(pg_store, build_suggester(project_config(pg_store)), helper=False).articles
        == 0
    )
    with pg_store.write() as session:
        save_annotation(session, article_id=1, annotator="ana", spans=[Span(37, 42, "LOCATION")])
        save_annotation(session, article_id=1, annotator="bob", spans=[Span(37, 42, "ORG")])
    review = ReviewSession(pg_store, "rev")
    assert review.next_article_id() == 1
    loaded = review.load(1)
    assert {s.key for s in loaded.spans if s.origin is Origin.SUGGESTED} == {
        (37, 42, "LOCATION"),
        (37, 42, "ORG"),
    }
    review.apply(1, Change(removed=tuple(s for s in loaded.spans if s.label == "ORG")))
    review.apply(
        1,
        Change(
            removed=tuple(s for s in loaded.spans if s.label == "LOCATION"),
            added=(Span(37, 42, "LOCATION", Origin.ACCEPTED),),
        ),
    )
    review.finish(1, Status.DONE)
    with pg_store.read() as session:
        [gold] = list(stored_annotations(session, source="gold"))
    assert gold.annotator == "rev" and [(s.key, s.sources) for s in gold.spans] == [
        ((37, 42, "LOCATION"), ("ana",))
    ]


def test_postgres_order_uncertain_reorders_the_queue(pg_store):
    from annotator.services.ordering import order_queue
    from tests.exchange import Article, populate

    a, b = Span(0, 5, "LOCATION"), Span(10, 15, "PERSON")
    # Article 2 disagrees most (nothing shared), article 4 half, 1 and 3 not at all.
    ids = populate(
        pg_store,
        [Article(f"Words of article number {i} here.") for i in range(4)],
        [],
        {
            (0, "patterns:p"): [a],
            (0, "model:m@1"): [a],
            (1, "patterns:p"): [a],
            (1, "model:m@1"): [b],
            (2, "patterns:p"): [],
            (2, "model:m@1"): [],
            (3, "patterns:p"): [a, b],
            (3, "model:m@1"): [a],
        },
    )
    report = order_queue(pg_store, "ana", "uncertain")
    assert (report.articles, report.measured, report.disagreeing) == (4, 4, 2)
    session = AnnotationSession(pg_store, "ana")
    served = []
    while (article_id := session.next_article_id()) is not None:
        served.append(article_id)
        session.load(article_id)
        session.finish(article_id, Status.SKIPPED)
    assert served == [ids[1], ids[3], ids[0], ids[2]]


def test_postgres_annotated_import_stages_spans_and_events(pg_store, tmp_path):
    from sqlalchemy import func, select

    from annotator.services.importing import import_files
    from annotator.store.models import Event

    def task(text, who, *spans, answer="accept"):
        spans = [{"start": s, "end": e, "label": label} for s, e, label in spans]
        return {"text": text, "spans": spans, "answer": answer, "_annotator_id": who}

    path = tmp_path / "db.jsonl"
    tasks = [
        task("Assad forces shelled Idlib.", "ana", (0, 5, "PERSON"), (21, 26, "LOCATION")),
        task("Assad forces shelled Idlib.", "bob", (21, 26, "LOCATION")),
        task("Rebels held Hama.", "ana", (12, 16, "LOCATION")),
        task("Rebels held Hama.", "ana", (0, 6, "ORG")),  # repeats ana's: replaces it
    ]
    path.write_text("".join(json.dumps(t) + "\n" for t in tasks))
    report = import_files(pg_store, [path], fmt="prodigy")
    assert (report.annotations, report.spans, report.repeated) == (4, 5, 1)
    with pg_store.read() as session:
        stored = {
            (a.text, a.annotator, tuple(s.key for s in a.spans))
            for a in stored_annotations(session, status="all")
        }
        events = session.scalar(select(func.count()).select_from(Event))
    assert stored == {
        ("Assad forces shelled Idlib.", "ana", ((0, 5, "PERSON"), (21, 26, "LOCATION"))),
        ("Assad forces shelled Idlib.", "bob", ((21, 26, "LOCATION"),)),
        ("Rebels held Hama.", "ana", ((0, 6, "ORG"),)),
    }
    assert events == 3  # one import event per (article, annotator)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(task("New text here.", "cy", (0, 3, "ORG"))) + "\n{broken\n")
    with pytest.raises(InputError):
        import_files(pg_store, [bad], fmt="prodigy")
    with pg_store.read() as session:
        assert len(list(stored_annotations(session, status="all"))) == 3
