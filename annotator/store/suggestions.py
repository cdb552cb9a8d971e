"""Machine suggestions: which articles a source still has to process, storing what it found
(suggestions, a run marker per article and source, token offsets), replacing a source's
suggestions for an article (imports), and reading them back."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, and_, column, delete, exists, func, insert, or_, select, table
from sqlmodel import Session, col

from annotator.domain.spans import Suggestion as SuggestionValue
from annotator.store.bulk import bulk_insert
from annotator.store.models import Article, Suggestion, SuggestionRun, Tokens, utcnow

SUGGESTION_COLUMNS = ("article_id", "source", "start", "end", "label", "score")
RUN_COLUMNS = ("article_id", "source", "count", "created_at")
TOKENS_COLUMNS = ("article_id", "tokenizer", "offsets")

# Untyped views of the tables for the bulk path: values arrive in their stored form.
_SUGGESTION_BULK = table("suggestion", *(column(name) for name in SUGGESTION_COLUMNS))
_RUN_BULK = table("suggestionrun", *(column(name) for name in RUN_COLUMNS))
_TOKENS_BULK = table("tokens", *(column(name) for name in TOKENS_COLUMNS))

ARTICLE = Article.__table__  # type: ignore[attr-defined]
SUGGESTION = Suggestion.__table__  # type: ignore[attr-defined]
RUN = SuggestionRun.__table__  # type: ignore[attr-defined]
TOKENS = Tokens.__table__  # type: ignore[attr-defined]


def _pending(sources: Sequence[str], tokenizer: str | None):
    """Articles that lack a run of one of ``sources``, or the offsets of ``tokenizer``."""
    missing = [
        ~exists().where(and_(RUN.c.article_id == ARTICLE.c.id, RUN.c.source == source))
        for source in sources
    ]
    if tokenizer is not None:
        missing.append(
            ~exists().where(
                and_(TOKENS.c.article_id == ARTICLE.c.id, TOKENS.c.tokenizer == tokenizer)
            )
        )
    return or_(*missing) if missing else None


def count_pending(conn: Connection, sources: Sequence[str], tokenizer: str | None) -> int:
    """How many articles still lack a run of one of ``sources`` or ``tokenizer``'s offsets."""
    condition = _pending(sources, tokenizer)
    if condition is None:
        return 0
    return conn.execute(select(func.count()).select_from(ARTICLE).where(condition)).scalar_one()


def pending_articles(
    conn: Connection,
    sources: Sequence[str],
    tokenizer: str | None,
    *,
    after: int = 0,
    limit: int = 500,
    only: int | None = None,
) -> list[tuple[int, str]]:
    """(id, text) of the next ``limit`` pending articles with ids above ``after``, by id
    (or of article ``only``, if it is pending).

    Paging by id (not OFFSET) keeps each page an index range however far the run has got,
    and never returns an article twice while earlier pages are being stored.
    """
    condition = _pending(sources, tokenizer)
    if condition is None:
        return []
    where = ARTICLE.c.id == only if only is not None else ARTICLE.c.id > after
    rows = conn.execute(
        select(ARTICLE.c.id, ARTICLE.c.text)
        .where(where, condition)
        .order_by(ARTICLE.c.id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in rows]


def existing_runs(
    conn: Connection, article_ids: Sequence[int], sources: Sequence[str]
) -> set[tuple[int, str]]:
    """The (article id, source) pairs among these that already have a run."""
    if not article_ids or not sources:
        return set()
    found: set[tuple[int, str]] = set()
    for i in range(0, len(article_ids), 500):
        chunk = list(article_ids[i : i + 500])
        found.update(
            (row[0], row[1])
            for row in conn.execute(
                select(RUN.c.article_id, RUN.c.source).where(
                    RUN.c.article_id.in_(chunk), RUN.c.source.in_(list(sources))
                )
            )
        )
    return found


def store_suggestions(
    conn: Connection,
    *,
    suggestions: list[tuple],
    runs: list[tuple],
    tokens: list[tuple],
) -> None:
    """Insert suggestion rows (SUGGESTION_COLUMNS order), run markers (RUN_COLUMNS; one
    already stored is kept) and token offsets (TOKENS_COLUMNS; likewise), in the caller's
    transaction."""
    bulk_insert(conn, _SUGGESTION_BULK, SUGGESTION_COLUMNS, suggestions)
    bulk_insert(conn, _RUN_BULK, RUN_COLUMNS, runs, ignore_on=["article_id", "source"])
    bulk_insert(conn, _TOKENS_BULK, TOKENS_COLUMNS, tokens, ignore_on=["article_id", "tokenizer"])


# SQLite's statements for store_found. Each is one statement over a JSON text (and one
# blob) however many rows it stores, so the driver steps it once and, as Python's sqlite3
# does for every step, without the GIL: a writer thread stores a batch while the calling
# thread goes on with spaCy. An executemany binds every row's values holding the GIL.
# ?1 in each: {"article id": [[start, end, label, source], ...], ...}.
_FOUND_SUGGESTIONS = (
    'INSERT INTO suggestion (article_id, source, start, "end", label, score) '
    "SELECT CAST(a.key AS INTEGER), r.value ->> 3, r.value ->> 0, r.value ->> 1, "
    "r.value ->> 2, NULL "
    "FROM json_each(?1) AS a, json_each(a.value) AS r "
    "ORDER BY a.id, r.key"
)
# ?2: the sources (JSON array), ?3: the timestamp. A run already stored is kept. With one
# source, an article's count is the length of its array.
_FOUND_RUNS = (
    "INSERT INTO suggestionrun (article_id, source, count, created_at) "
    "SELECT CAST(a.key AS INTEGER), s.value, {count}, ?3 "
    "FROM json_each(?1) AS a, json_each(?2) AS s WHERE true "
    "ORDER BY a.id, s.key "
    "ON CONFLICT (article_id, source) DO NOTHING"
)
_RUNS_ONE_SOURCE = _FOUND_RUNS.format(count="json_array_length(a.value)")
_RUNS_BY_SOURCE = _FOUND_RUNS.format(
    count="(SELECT count(*) FROM json_each(a.value) AS r WHERE r.value ->> 3 = s.value)"
)
# ?1: [[article id, 1-based position in ?3, length], ...], ?2: the tokenizer, ?3: the
# articles' packed offsets one after another. Offsets already stored are kept. SQLite's
# substr of a zero-length blob is NULL, hence the coalesce (a text without tokens).
_FOUND_TOKENS = (
    "INSERT INTO tokens (article_id, tokenizer, offsets) "
    "SELECT t.value ->> 0, ?2, coalesce(substr(?3, t.value ->> 1, t.value ->> 2), zeroblob(0)) "
    "FROM json_each(?1) AS t WHERE true "
    "ON CONFLICT (article_id, tokenizer) DO NOTHING"
)
# Compact JSON, without the check for cycles (the rows are tuples of numbers and strings)
# and with text as it is: measured, a third less time holding the GIL than json.dumps.
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False).encode
_COUNT_ADDED = "SELECT label, source, count(*) FROM suggestion WHERE id > ? GROUP BY label, source"


def store_found(
    conn: Connection,
    *,
    found: list[tuple[int, list[tuple]]],
    sources: Sequence[str],
    tokenizer: str,
    tokens: list[bytes],
    now: object,
) -> Counter[tuple[str, str]]:
    """SQLite: store_suggestions in three statements, in the caller's transaction, which
    holds the write lock. ``found`` is [(article id, [(start, end, label, source), ...])],
    a run of every source is stored for each article (one already stored is kept) and
    ``tokens`` are the articles' packed offsets, in ``found``'s order. Returns how many
    suggestions were stored by (label, source)."""
    articles = _ENCODE(dict(found))
    places = []
    position = 1
    for (article_id, _), packed in zip(found, tokens, strict=True):
        places.append((article_id, position, len(packed)))
        position += len(packed)
    before = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM suggestion").scalar_one()
    conn.exec_driver_sql(_FOUND_SUGGESTIONS, (articles,))
    runs = _RUNS_ONE_SOURCE if len(sources) == 1 else _RUNS_BY_SOURCE
    conn.exec_driver_sql(runs, (articles, _ENCODE(list(sources)), now))
    conn.exec_driver_sql(_FOUND_TOKENS, (_ENCODE(places), tokenizer, b"".join(tokens)))
    return Counter(
        {(label, source): n for label, source, n in conn.exec_driver_sql(_COUNT_ADDED, (before,))}
    )


def token_offsets(session: Session, article_id: int, tokenizer: str) -> bytes | None:
    """The packed token offsets of an article under ``tokenizer``, or None."""
    return session.scalar(
        select(col(Tokens.offsets)).where(
            col(Tokens.article_id) == article_id, col(Tokens.tokenizer) == tokenizer
        )
    )


def suggestions_of(
    session: Session, article_id: int, sources: Iterable[str] | None = None
) -> list[SuggestionValue]:
    """An article's stored suggestions (of ``sources`` only, if given), by start, end, label."""
    query = select(Suggestion).where(col(Suggestion.article_id) == article_id)
    if sources is not None:
        query = query.where(col(Suggestion.source).in_(list(sources)))
    query = query.order_by(
        col(Suggestion.start), col(Suggestion.end), col(Suggestion.label), col(Suggestion.source)
    )
    return [
        SuggestionValue(row.start, row.end, row.label, row.source, row.score)
        for row in session.scalars(query)
    ]


def runs_of(session: Session, article_id: int) -> dict[str, int]:
    """The sources that have processed an article, with how many suggestions each made."""
    return dict(
        session.execute(
            select(col(SuggestionRun.source), col(SuggestionRun.count)).where(
                col(SuggestionRun.article_id) == article_id
            )
        ).all()
    )


def replace_suggestions(
    session: Session, *, article_id: int, source: str, suggestions: Iterable[SuggestionValue]
) -> int:
    """Make ``suggestions`` the suggestions of ``source`` for the article, and mark the
    article as processed by that source (a SuggestionRun row); returns how many."""
    session.execute(
        delete(Suggestion).where(
            col(Suggestion.article_id) == article_id, col(Suggestion.source) == source
        )
    )
    rows = [
        {
            "article_id": article_id,
            "source": source,
            "start": s.start,
            "end": s.end,
            "label": s.label,
            "score": s.score,
        }
        for s in suggestions
    ]
    if rows:
        session.execute(insert(SUGGESTION), rows)
    run = session.get(SuggestionRun, (article_id, source))
    if run is None:
        session.add(SuggestionRun(article_id=article_id, source=source, count=len(rows)))
    else:
        run.count = len(rows)
        run.created_at = utcnow()
        session.add(run)
    return len(rows)


def suggestions_for(
    session: Session, article_ids: Sequence[int]
) -> dict[int, list[SuggestionValue]]:
    """The suggestions of these articles, by article, ordered by source, start, end, label."""
    found: dict[int, list[SuggestionValue]] = {i: [] for i in article_ids}
    unique = list(dict.fromkeys(article_ids))
    for i in range(0, len(unique), 500):
        rows = session.scalars(
            select(Suggestion)
            .where(col(Suggestion.article_id).in_(unique[i : i + 500]))
            .order_by(
                col(Suggestion.article_id),
                col(Suggestion.source),
                col(Suggestion.start),
                col(Suggestion.end),
                col(Suggestion.label),
            )
        )
        for row in rows:
            found[row.article_id].append(
                SuggestionValue(row.start, row.end, row.label, row.source, row.score)
            )
    return found
