"""The review screen end to end: disagreements in, gold out (with provenance)."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest

from annotator.domain.spans import Origin, Span
from annotator.services.reviewing import ReviewSession, gold_start
from annotator.services.schemes import find_scheme
from annotator.store.annotations import save_annotation, stored_annotations
from annotator.store.engine import open_store
from annotator.tui.app import AnnotatorApp
from annotator.tui.screens.review import ReviewScreen
from tests.tui.conftest import (
    ARTICLE_ONE,
    ARTICLE_THREE,
    ARTICLE_TWO,
    add_article,
    screen_text,
    settle,
)

WORK = {
    1: {
        "ana": [
            Span(0, 5, "PERSON"),
            Span(21, 26, "LOCATION"),
            Span(30, 38, "DATE"),
            Span(44, 64, "ORG"),
        ],
        "bob": [
            Span(0, 5, "PERSON"),
            Span(21, 26, "ARMED_GROUP"),
            Span(30, 38, "DATE"),
            Span(51, 64, "ORG"),
        ],
        "cy": [Span(0, 5, "PERSON"), Span(21, 26, "LOCATION"), Span(44, 64, "ORG")],
    },
    2: {name: [Span(23, 30, "LOCATION")] for name in ("ana", "bob", "cy")},  # all agree
    3: {
        "ana": [Span(22, 26, "LOCATION")],
        "bob": [Span(22, 26, "LOCATION")],
        "cy": [Span(2, 7, "ORG"), Span(22, 26, "LOCATION")],
    },
}
# Pairwise exact F1, by hand: article 1: ana-bob 2*2/8, ana-cy 2*3/7, bob-cy 2*1/7, mean
# 0.548; article 3: 1, 2*1/3, 2*1/3, mean 0.778. So article 1 is the worse and comes first.


@pytest.fixture
def disputed(tmp_path):
    db = tmp_path / "review.db"
    store = open_store(db)
    for text in (ARTICLE_ONE, ARTICLE_TWO, ARTICLE_THREE):
        add_article(store, text, text.split()[0])
    with store.write() as session:
        for article_id, people in WORK.items():
            for name, spans in people.items():
                save_annotation(session, article_id=article_id, annotator=name, spans=spans)
    store.dispose()
    return db


@asynccontextmanager
async def reviewing(db, reviewer="rev"):
    app = AnnotatorApp(
        scheme=find_scheme("conflict"),
        open_session=lambda: ReviewSession(open_store(db), reviewer),
        screen=ReviewScreen,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await settle(pilot, screen)
        yield pilot, screen
        await settle(pilot, screen)


def _gold(db):
    store = open_store(db)
    with store.read() as session:
        return {a.article_id: a for a in stored_annotations(session, source="gold", status="all")}


def test_review_gold_start_accepts_shared_spans_and_lists_the_rest():
    start = {s.key: s for s in gold_start(WORK[1])}
    assert start[(0, 5, "PERSON")].origin is Origin.ACCEPTED
    assert start[(21, 26, "LOCATION")].origin is Origin.SUGGESTED
    assert start[(21, 26, "LOCATION")].sources == ("ana", "cy")
    assert start[(51, 64, "ORG")].sources == ("bob",)


def test_review_queue_is_worst_first_and_skips_full_agreement(disputed):
    session = ReviewSession(open_store(disputed), "rev")
    assert session.source.queue(session) == [1, 3]


@pytest.mark.asyncio
async def test_review_end_to_end_take_reject_edit_then_gold_with_provenance(disputed):
    async with reviewing(disputed) as (pilot, screen):
        assert screen.loaded.article_id == 1  # the worst article first
        shown = screen_text(screen)
        assert "Assad·PERSON forces" in shown  # shared by all: pre-accepted
        assert "Idlib·ARMED_GROUP?bob·LOCATION?ana,cy" in shown  # both sides, with who said what
        await pilot.press("tab")  # the next span after PERSON: a candidate at "Idlib"
        info = str(screen.query_one("#info").visual)
        assert "ana: LOCATION “Idlib”" in info and "bob: ARMED_GROUP “Idlib”" in info
        while screen.editor.current.key != (21, 26, "LOCATION"):
            await pilot.press("tab")
        await pilot.press("space")  # take LOCATION: bob's ARMED_GROUP is rejected with it
        assert (21, 26, "ARMED_GROUP") not in {s.key for s in screen.editor.spans}
        await pilot.press("a")  # refused: candidates left
        assert "candidates left" in screen._message
        while screen.editor.current.key != (30, 38, "DATE"):
            await pilot.press("tab")
        await pilot.press("delete")  # reject DATE (cy had none)
        while screen.editor.current is None or screen.editor.current.key != (51, 64, "ORG"):
            await pilot.press("tab")
        await pilot.press("3")  # bob's ORG, "Civil Defence", same label: taken as it is
        while screen.editor.current is None or screen.editor.current.key != (44, 64, "ORG"):
            await pilot.press("tab")
        await pilot.press("delete")  # reject ana's and cy's "Syrian Civil Defence"
        while screen.editor.current is None or screen.editor.current.key != (51, 64, "ORG"):
            await pilot.press("tab")
        await pilot.press("left_square_bracket")  # then edit bob's: start one token left
        assert screen.editor.current.key == (44, 64, "ORG")
        assert not screen.editor.pending()
        await pilot.press("a")
        await settle(pilot, screen)
        assert screen.loaded.article_id == 3  # next disagreement
    gold = _gold(disputed)[1]
    assert gold.annotator == "rev" and gold.status.value == "done"
    spans = {s.key: s for s in gold.spans}
    assert set(spans) == {(0, 5, "PERSON"), (21, 26, "LOCATION"), (44, 64, "ORG")}
    assert spans[(0, 5, "PERSON")].sources == ("ana", "bob", "cy")
    assert spans[(21, 26, "LOCATION")].sources == ("ana", "cy")
    assert (30, 38, "DATE") not in spans
    # The edited span equals what ana and cy had: provenance says so.
    assert spans[(44, 64, "ORG")].origin is Origin.EDITED
    assert spans[(44, 64, "ORG")].sources == ("ana", "cy")


@pytest.mark.asyncio
async def test_review_resumes_a_draft_and_counts_settled(disputed):
    async with reviewing(disputed) as (pilot, screen):
        await pilot.press("delete")  # removes the pre-accepted PERSON from the gold draft
        await settle(pilot, screen)
        assert "error" not in screen._message, screen._message
    async with reviewing(disputed) as (pilot, screen):
        assert (0, 5, "PERSON") not in {s.key for s in screen.editor.spans}  # the draft was kept
        assert "settled 0/2" in str(screen.query_one("#top").visual)
        await pilot.press("u")  # undo works across sessions for review too
        assert (0, 5, "PERSON") in {s.key for s in screen.editor.spans}


@pytest.mark.asyncio
async def test_review_gold_goes_out_through_export(disputed, tmp_path):
    import json
    import subprocess
    import sys

    async with reviewing(disputed) as (pilot, screen):
        while screen.editor.pending():
            current = screen.editor.current
            if current is None or current.origin is not Origin.SUGGESTED:
                await pilot.press("tab")
                continue
            await pilot.press("space")  # take whichever side comes first
        await pilot.press("a")
        await settle(pilot, screen)
    out = tmp_path / "gold.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "annotator",
            "export",
            "--db",
            str(disputed),
            "--format",
            "prodigy",
            "--source",
            "gold",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    [record] = [json.loads(line) for line in out.read_text().splitlines()]
    gold = _gold(disputed)[1]
    assert record["text"] == ARTICLE_ONE and record["_annotator_id"] == "rev"
    assert [(s["start"], s["end"], s["label"]) for s in record["spans"]] == [
        s.key for s in gold.spans
    ]
