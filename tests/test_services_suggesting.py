from __future__ import annotations

import json
import os
import re
import shutil
import signal
import threading
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from annotator.domain.errors import InputError
from annotator.nlp.suggester import SuggestConfig
from annotator.services.background import ChildWorker
from annotator.services.importing import import_articles
from annotator.services.schemes import find_scheme
from annotator.services.suggesting import (
    build_suggester,
    project_config,
    save_project_config,
    suggest_article,
    suggest_articles,
    suggestions_for,
    tokens_for,
)
from annotator.store.models import Article, Suggestion, SuggestionRun, Tokens
from tests.conftest import SEEDS, dump, need
from tests.pipelines import save_fake_model

CONFLICT_PATTERNS = find_scheme("conflict").patterns


def _import_texts(store, tmp_path: Path, texts: list[str]) -> None:
    source = tmp_path / "articles.jsonl"
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    import_articles(store, [source])


def _rows(store) -> list[tuple]:
    """Every stored suggestion, run and token row, in a comparable form (ids left out)."""
    with store.read() as session:
        suggestions = sorted(
            session.execute(
                select(
                    Suggestion.article_id,
                    Suggestion.source,
                    Suggestion.start,
                    Suggestion.end,
                    Suggestion.label,
                )
            ).all()
        )
        runs = sorted(
            session.execute(
                select(SuggestionRun.article_id, SuggestionRun.source, SuggestionRun.count)
            ).all()
        )
        tokens = sorted(
            session.execute(select(Tokens.article_id, Tokens.tokenizer, Tokens.offsets)).all()
        )
    return [tuple(r) for r in suggestions + runs + tokens]


@pytest.fixture
def seeds_store(store, tmp_path):
    need(SEEDS)
    import_articles(store, [SEEDS])
    return store


def test_suggesting_seeds_with_the_conflict_patterns(seeds_store):
    suggester = build_suggester(SuggestConfig())
    report = suggest_articles(seeds_store, suggester)
    with seeds_store.read() as session:
        articles = session.execute(select(Article.id, Article.text).order_by(Article.id)).all()
    assert report.articles == report.pending == len(articles) == 5
    found: dict[str, set[tuple[str, str]]] = {}
    for article_id, text in articles:
        suggestions = suggestions_for(seeds_store, article_id)
        assert {s.source for s in suggestions} == {suggester.pattern_source}
        spans = {(text[s.start : s.end], s.label) for s in suggestions}
        found[text] = spans
        # Every mention of these places, found in the text itself, is suggested: as a
        # LOCATION or inside a longer name (a highway, "Free Idleb Army").
        for place in ("Idlib", "Idleb", "Hama", "Aleppo"):
            for match in re.finditer(rf"\b{place}\b", text):
                assert any(
                    s.start <= match.start() and match.end() <= s.end for s in suggestions
                ), (place, match.start())
        # Within one source, suggestions never overlap.
        ordered = sorted(suggestions, key=lambda s: s.start)
        assert all(a.end <= b.start for a, b in zip(ordered, ordered[1:], strict=False))
        # Suggestions start and end on token boundaries of the stored tokens.
        tokens = tokens_for(seeds_store, article_id, suggester.tokenizer_id)
        assert tokens
        starts = {s for s, _ in tokens}
        ends = {e for _, e in tokens}
        assert all(s.start in starts and s.end in ends for s in suggestions)
    everything = set().union(*found.values())
    for expected in [
        ("Hay’at Tahrir al-Sham", "ARMED_GROUP"),
        ("Enab Baladi", "MEDIA"),
        ("Thursday", "DATE"),
        ("Abu al-Duhur military air base", "FACILITY"),
        ("Human Rights Watch", "ORG"),
        ("barrel bombs", "WEAPON"),
        ("Repel the Tyrant", "OPERATION"),
        ("Free Idleb Army", "ARMED_GROUP"),  # not "Idleb" LOCATION inside a group's name
    ]:
        assert expected in everything, expected
    assert {("Idlib", "LOCATION"), ("Idleb", "LOCATION"), ("Aleppo", "LOCATION")} <= everything
    with seeds_store.read() as session:
        runs = session.execute(select(SuggestionRun.article_id, SuggestionRun.count)).all()
        per_article = Counter(session.scalars(select(Suggestion.article_id)).all())
    assert sorted(article for article, _ in runs) == [a for a, _ in articles]
    assert all(count == per_article[article] for article, count in runs)
    assert sum(report.labels.values()) == sum(per_article.values())


def test_suggesting_is_idempotent(seeds_store, db_path):
    suggester = build_suggester(SuggestConfig())
    suggest_articles(seeds_store, suggester)
    before = dump(db_path)
    again = suggest_articles(seeds_store, suggester)
    assert again.pending == 0 and again.articles == 0
    assert dump(db_path) == before


def test_suggesting_only_adds_what_a_new_source_finds(store, tmp_path):
    _import_texts(store, tmp_path, ["Syrian jets struck Idlib.", "Aid reached Aleppo.", "Calm."])
    patterns_only = build_suggester(SuggestConfig())
    suggest_articles(store, patterns_only)
    first = _rows(store)
    model = save_fake_model(tmp_path / "fake")
    both = build_suggester(SuggestConfig(model=str(model)))
    report = suggest_articles(store, both)
    assert report.articles == 3
    assert set(report.by_source) == {"model:fake@1.2.3"}  # patterns were done already
    assert report.dropped == Counter({"NORP": 1})
    assert report.labels == Counter({"LOCATION": 2})
    rows = _rows(store)
    assert set(first) <= set(rows)
    with store.read() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(SuggestionRun)
                .where(SuggestionRun.source == "model:fake@1.2.3")
            )
            == 3
        )
        assert session.scalar(select(func.count()).select_from(Tokens)) == 6  # 2 tokenizers


def test_suggesting_with_two_sources_counts_each_sources_suggestions(store, tmp_path):
    # One run with patterns and a model: each article's run of each source counts that
    # source's suggestions for it (zero too), as the report does.
    texts = ["Syrian jets struck Idlib.", "Aid reached Aleppo and Idlib.", "Calm."]
    _import_texts(store, tmp_path, texts)
    both = build_suggester(SuggestConfig(model=str(save_fake_model(tmp_path / "fake"))))
    assert len(both.sources) == 2
    report = suggest_articles(store, both)
    with store.read() as session:
        runs = {
            (a, s): n
            for a, s, n in session.execute(
                select(SuggestionRun.article_id, SuggestionRun.source, SuggestionRun.count)
            )
        }
        found = Counter(session.execute(select(Suggestion.article_id, Suggestion.source)).all())
        ids = sorted(session.scalars(select(Article.id)).all())
    assert set(runs) == {(a, s) for a in ids for s in both.sources}
    assert runs == {key: found[key] for key in runs}
    assert sum(runs.values()) == sum(report.labels.values()) == sum(report.by_source.values())
    assert set(report.by_source) == set(both.sources)
    assert runs[ids[2], both.sources[0]] == runs[ids[2], both.sources[1]] == 0


@contextmanager
def _another_thread():
    """A second thread runs meanwhile (as in the annotation screen): no fork then."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _reference_rows(tmp_path: Path, texts: list[str]) -> list[tuple]:
    from annotator.store.engine import open_store

    other = open_store(tmp_path / "reference.db")
    try:
        _import_texts(other, tmp_path, texts)
        alone = suggest_articles(other, build_suggester(SuggestConfig()), helper=False)
        assert alone.helper == ""
        return _rows(other)
    finally:
        other.dispose()


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_suggesting_helper_process_stores_the_same_as_one_process(store, tmp_path, method):
    texts = [
        f"Report {i}: shelling hit Idlib and Hama on Monday, {i} civilians fled."
        for i in range(700)
    ]
    _import_texts(store, tmp_path, texts)
    suggester = build_suggester(SuggestConfig())
    if method == "fork":
        assert ChildWorker.can_fork()
        report = suggest_articles(store, suggester, helper=True, batch_size=16)
    else:
        with _another_thread():
            assert not ChildWorker.can_fork()
            report = suggest_articles(store, suggester, helper=True, batch_size=16)
    assert report.helper == method
    assert report.articles == 700
    assert _rows(store) == _reference_rows(tmp_path, texts)


def test_suggesting_finishes_alone_when_the_helper_is_killed(store, tmp_path):
    texts = [f"Idlib report {i}, {i} civilians fled to Aleppo." for i in range(1500)]
    _import_texts(store, tmp_path, texts)
    killed: list[int] = []

    def kill_helper(done: int, total: int) -> None:
        if not killed:  # like the OOM killer, at the first progress report
            for pid in _children(os.getpid()):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    report = suggest_articles(
        store, build_suggester(SuggestConfig()), helper=True, batch_size=16, progress=kill_helper
    )
    assert killed and report.helper == "fork"
    assert report.articles == 1500
    assert _rows(store) == _reference_rows(tmp_path, texts)


def test_suggesting_falls_back_when_a_spawned_helper_refuses(store, tmp_path):
    patterns = tmp_path / "p.jsonl"
    patterns.write_text('{"label": "LOCATION", "pattern": "Idlib"}\n', encoding="utf-8")
    _import_texts(store, tmp_path, [f"Idlib report {i}" for i in range(300)])
    suggester = build_suggester(SuggestConfig(patterns=str(patterns)))
    # The file changes after the suggester was built: a spawned helper, building its own
    # from the same config, gets another source id, refuses, and this process does it all.
    patterns.write_text('{"label": "LOCATION", "pattern": "Hama"}\n', encoding="utf-8")
    with _another_thread():
        report = suggest_articles(store, suggester, helper=True, batch_size=8)
    assert report.helper == "spawn"
    assert report.articles == 300
    assert report.labels == Counter({"LOCATION": 300})
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(SuggestionRun)) == 300


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                # multiprocessing's own resource tracker is a child too; leave it be.
                if b"resource_tracker" not in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


def test_suggesting_one_article_and_reading_tokens(store, tmp_path):
    _import_texts(store, tmp_path, ["Shelling in Idlib.\n\nMore  in Hama.", "Other text."])
    suggester = build_suggester(SuggestConfig())
    assert tokens_for(store, 1, suggester.tokenizer_id) is None
    assert suggest_article(store, suggester, 1) is True
    assert suggest_article(store, suggester, 1) is False
    assert suggest_article(store, suggester, 99) is False
    text = "Shelling in Idlib.\n\nMore  in Hama."
    tokens = tokens_for(store, 1, suggester.tokenizer_id)
    assert [text[s:e] for s, e in tokens] == [
        "Shelling",
        "in",
        "Idlib",
        ".",
        "More",
        "in",
        "Hama",
        ".",
    ]
    assert [(text[s.start : s.end], s.label) for s in suggestions_for(store, 1)] == [
        ("Idlib", "LOCATION"),
        ("Hama", "LOCATION"),
    ]
    assert suggestions_for(store, 1, sources=("model:other@1",)) == []
    assert tokens_for(store, 2, suggester.tokenizer_id) is None  # not processed yet
    assert tokens_for(store, 1, "spacy:xx@0") is None


def test_suggesting_stores_empty_offsets_of_a_batch_without_tokens(store, tmp_path):
    # A text without tokens has empty packed offsets; stored as such (not NULL, which the
    # table refuses), also when no article of the batch has any token at all (SQLite's
    # substr of an empty blob is NULL). Importing drops such texts, so the batch is
    # handed to the store as suggest_articles hands it.
    from annotator.store import suggestions as stored

    _import_texts(store, tmp_path, ["Shelling in Idlib.", "More in Hama."])
    with store.read() as session:
        first, second = sorted(session.scalars(select(Article.id)).all())
    for found, tokens in (([(first, [])], [b""]), ([(second, [])], [b""])):
        with store.write_connection() as conn:
            added = stored.store_found(
                conn, found=found, sources=("s",), tokenizer="t", tokens=tokens, now="2026"
            )
        assert added == Counter()
    with store.read() as session:
        assert session.execute(select(Tokens.article_id, Tokens.offsets)).all() == [
            (first, b""),
            (second, b""),
        ]
        assert session.execute(select(SuggestionRun.article_id, SuggestionRun.count)).all() == [
            (first, 0),
            (second, 0),
        ]


def test_suggesting_progress_reaches_the_total(store, tmp_path):
    _import_texts(store, tmp_path, [f"Idlib {i}" for i in range(600)])
    calls: list[tuple[int, int]] = []
    suggest_articles(
        store, build_suggester(SuggestConfig()), progress=lambda d, t: calls.append((d, t))
    )
    assert calls[-1] == (600, 600)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_suggesting_project_config_round_trip(store, tmp_path):
    assert project_config(store) == SuggestConfig()
    config = SuggestConfig(patterns=str(tmp_path / "p.jsonl"), model="/m", lang="de")
    save_project_config(store, config)
    assert project_config(store) == config


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (SuggestConfig(use_patterns=False), "nothing to suggest with"),
        (SuggestConfig(patterns="/nonexistent/p.jsonl"), "no such pattern file"),
        (SuggestConfig(model="no_such_model_pkg"), "no spaCy pipeline 'no_such_model_pkg'"),
    ],
)
def test_suggesting_bad_config_is_refused(config, message):
    with pytest.raises(InputError, match=message):
        build_suggester(config)


def test_suggesting_scheme_without_pattern_file(tmp_path):
    scheme = tmp_path / "plain.toml"
    shutil.copy(find_scheme("conflict").path, scheme)
    text = scheme.read_text().replace('patterns = "conflict.patterns.jsonl"\n', "")
    scheme.write_text(text)
    with pytest.raises(InputError, match="scheme conflict has no pattern file"):
        build_suggester(SuggestConfig(scheme=str(scheme)))
    assert CONFLICT_PATTERNS is not None
    suggester = build_suggester(SuggestConfig(scheme=str(scheme), patterns=str(CONFLICT_PATTERNS)))
    assert suggester.scheme == "conflict"


def test_suggesting_import_loads_no_spacy():
    # The annotation screen imports these on start-up; spaCy must not be on that path.
    import subprocess
    import sys

    code = (
        "import sys, annotator.services.suggesting, annotator.nlp.suggester, "
        "annotator.store.suggestions; print('spacy' in sys.modules, 'thinc' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["False", "False"]


def test_suggesting_pages_read_ahead_of_their_last_batch(store, tmp_path, monkeypatch):
    # Pages of 7 articles cut into batches of 3 (3 + 3 + 1): every pending article comes
    # once, in id order, and the next page has been read when a page's last batch comes
    # (so that the read happens before that batch completes a write transaction).
    from annotator.services import suggesting
    from annotator.store import suggestions as stored

    _import_texts(store, tmp_path, [f"Shelling in Idlib, day {i}." for i in range(17)])
    monkeypatch.setattr(suggesting, "PAGE", 7)
    reads: list[int] = []
    real = stored.pending_articles

    def counted(*args, **kwargs):
        page = real(*args, **kwargs)
        reads.append(len(page))
        return page

    monkeypatch.setattr(stored, "pending_articles", counted)
    batches = []
    reads_seen = []
    for batch in suggesting._pending_batches(store, build_suggester(SuggestConfig()), 3):
        batches.append([article_id for article_id, _ in batch])
        reads_seen.append(len(reads))
    with store.read() as session:
        ids = sorted(session.scalars(select(Article.id)).all())
    assert [i for batch in batches for i in batch] == ids
    assert [len(batch) for batch in batches] == [3, 3, 1, 3, 3, 1, 3]
    assert reads == [7, 7, 3, 0]
    # The third batch (page 1's last) came after page 2 was read, and so on.
    assert reads_seen == [1, 1, 2, 2, 2, 3, 4]
    # The whole run stores each article once.
    report = suggest_articles(store, build_suggester(SuggestConfig()), helper=False)
    assert report.articles == 17
