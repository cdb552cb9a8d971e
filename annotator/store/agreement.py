"""What agreement reads: finished annotations grouped by article, their spans as
(start, end, label) tuples, article texts and titles, stored token offsets, settings.

Every read is plain SQL on a DB-API connection: the driver connection under a SQLAlchemy
session (any database), or, for a SQLite file of the current schema, a read-only
connection of the stdlib sqlite3 module, which spares the command the import of
SQLAlchemy and SQLModel (about a second here). SQLAlchemy's per-row result processing
also cost as much as SQLite's reading (see store.annotations).
"""

from __future__ import annotations

import copy
import json
import sqlite3
from array import array
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

from annotator.store.version import SCHEMA_HEAD

if TYPE_CHECKING:
    from sqlmodel import Session

# Ids per query: within SQLite's limit on bound parameters, and few round trips.
ID_SLICE = 500


@dataclass(frozen=True, slots=True)
class ArticleAnnotations:
    """One article finished by two or more annotators: who finished it (annotation ids)."""

    article_id: int
    annotations: tuple[tuple[str, int], ...]  # (annotator name, annotation id), by name


class FinishedArticles(Sequence[ArticleAnnotations]):
    """Articles finished by two or more annotators, in article id order, held in arrays
    (about 40 bytes an article) and built as ArticleAnnotations on access: a list of those
    objects, with their tuples, took about 750 bytes an article, 750 MB at a million. A
    slice is a view of the same arrays."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._name_index: dict[str, int] = {}
        self._articles = array("q")
        self._starts = array("q", [0])  # where each article's annotations begin
        self._annotations = array("q")
        self._annotators = array("l")  # index into names, per annotation
        self._low, self._high = 0, 0

    def add(self, article_id: int, annotations: Sequence[tuple[str, int]]) -> None:
        """Add an article (after those added) with its (annotator name, annotation id)s."""
        assert self._high == len(self._articles), "a view takes no new articles"
        for name, annotation_id in annotations:
            index = self._name_index.get(name)
            if index is None:
                index = self._name_index[name] = len(self.names)
                self.names.append(name)
            self._annotators.append(index)
            self._annotations.append(annotation_id)
        self._articles.append(article_id)
        self._starts.append(len(self._annotations))
        self._high += 1

    def only(self, article_ids: Collection[int]) -> FinishedArticles:
        """A new set of the articles of this one whose ids are in ``article_ids``."""
        kept = FinishedArticles()
        for group in self:
            if group.article_id in article_ids:
                kept.add(group.article_id, group.annotations)
        return kept

    def article_ids(self) -> list[int]:
        """The articles' ids, in order."""
        return self._articles[self._low : self._high].tolist()

    def __len__(self) -> int:
        return self._high - self._low

    @overload
    def __getitem__(self, index: int) -> ArticleAnnotations: ...

    @overload
    def __getitem__(self, index: slice) -> FinishedArticles: ...

    def __getitem__(self, index: int | slice) -> ArticleAnnotations | FinishedArticles:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                raise ValueError("FinishedArticles slices take no step")
            view = copy.copy(self)
            view._low, view._high = self._low + start, self._low + max(start, stop)
            return view
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        at = self._low + index
        names = self.names
        first, last = self._starts[at], self._starts[at + 1]
        return ArticleAnnotations(
            self._articles[at],
            tuple((names[self._annotators[i]], self._annotations[i]) for i in range(first, last)),
        )

    def __iter__(self) -> Iterator[ArticleAnnotations]:
        for index in range(len(self)):
            yield self[index]


class AgreementReader:
    """The reads agreement needs, on one DB-API connection (``mark``: its parameter
    placeholder). Build it with ``of_session`` or ``open_sqlite``."""

    def __init__(self, connection: Any, mark: str, owned: bool = False):
        self.connection = connection
        self.mark = mark
        self._owned = owned

    @classmethod
    def of_session(cls, session: Session) -> AgreementReader:
        """Reads inside ``session``'s transaction, through its driver connection."""
        connection = session.connection()
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        return cls(connection.connection, mark)

    @classmethod
    def open_sqlite(cls, path: str) -> AgreementReader | None:
        """A read-only stdlib connection to the SQLite file at ``path``, or None when the
        file is not a database of the current schema (the caller opens the full store,
        which upgrades it or says what is wrong)."""
        from pathlib import Path

        file = Path(path).expanduser()
        if not file.is_file():
            return None
        try:
            connection = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        except sqlite3.Error:
            return None
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        except sqlite3.Error:
            row = []
        if row != [(SCHEMA_HEAD,)]:
            connection.close()
            return None
        connection.execute("BEGIN")  # one snapshot for every read, as a session gives
        return cls(connection, "?", owned=True)

    def close(self) -> None:
        """Close the connection if this reader opened it."""
        if self._owned:
            self.connection.close()

    def __enter__(self) -> AgreementReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def annotator_names(self) -> list[str]:
        """Every annotator's name, sorted."""
        return sorted(row[0] for row in self._rows("SELECT name FROM annotator", ()))

    def setting(self, key: str) -> Any:
        """A project setting's value (JSON), or None."""
        rows = self._rows(f"SELECT value FROM setting WHERE key = {self.mark}", (key,))
        if not rows or rows[0][0] is None:
            return None
        value = rows[0][0]
        return json.loads(value) if isinstance(value, str | bytes) else value

    def finished_articles(self, annotators: Collection[str] | None = None) -> FinishedArticles:
        """Articles finished (status done) by two or more annotators (of ``annotators``),
        in article id order, each with its finished annotations."""
        where = ""
        params: tuple = ()
        if annotators is not None:
            names = sorted(set(annotators))
            if not names:
                return FinishedArticles()
            where = f" AND p.name IN ({', '.join([self.mark] * len(names))})"
            params = tuple(names)
        sql = (
            "SELECT n.article_id, p.name, n.id FROM annotation n JOIN annotator p "
            "ON p.id = n.annotator_id WHERE n.kind = 'annotation' AND n.status = 'done'"
            f"{where} ORDER BY n.article_id, p.name"
        )
        found = FinishedArticles()
        current: int | None = None
        group: list[tuple[str, int]] = []
        cursor = self.connection.cursor()
        try:
            # Row by row from the cursor: fetching them all first held every row at once.
            cursor.execute(sql, params)
            for article_id, name, annotation_id in cursor:
                if article_id != current:
                    if len(group) >= 2 and current is not None:
                        found.add(current, group)
                    current, group = article_id, []
                group.append((name, annotation_id))
        finally:
            cursor.close()
        if len(group) >= 2 and current is not None:
            found.add(current, group)
        return found

    def article_texts(self, article_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """(title, text) of each of these articles."""
        return {
            row[0]: (row[1], row[2])
            for ids in _slices(article_ids)
            for row in self._rows(
                f"SELECT id, title, text FROM article WHERE id IN ({self._marks(ids)})", ids
            )
        }

    def span_keys(self, annotation_ids: Sequence[int]) -> dict[int, list[tuple[int, int, str]]]:
        """Each annotation's spans as (start, end, label) tuples (an annotation without
        spans maps to an empty list)."""
        found: dict[int, list[tuple[int, int, str]]] = {i: [] for i in annotation_ids}
        for ids in _slices(annotation_ids):
            sql = (
                'SELECT annotation_id, start, "end", label FROM span '
                f"WHERE annotation_id IN ({self._marks(ids)})"
            )
            for annotation_id, start, end, label in self._rows(sql, ids):
                found[annotation_id].append((start, end, label))
        return found

    def stored_tokens(
        self, article_ids: Sequence[int], prefer: str | None = None
    ) -> dict[int, tuple[str, bytes]]:
        """(tokenizer, packed offsets) of the articles that have stored tokens: those of
        tokenizer ``prefer`` where stored, else of the first tokenizer by name (as the
        annotation screen chooses)."""
        found: dict[int, tuple[str, bytes]] = {}
        for ids in _slices(article_ids):
            sql = (
                "SELECT article_id, tokenizer, offsets FROM tokens "
                f"WHERE article_id IN ({self._marks(ids)}) ORDER BY article_id, tokenizer"
            )
            for article_id, tokenizer, offsets in self._rows(sql, ids):
                if article_id not in found or tokenizer == prefer:
                    found[article_id] = (tokenizer, bytes(offsets))
        return found

    def _marks(self, ids: Sequence[int]) -> str:
        return ", ".join([self.mark] * len(ids))

    def _rows(self, sql: str, params: tuple) -> list[tuple]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            cursor.close()


def _slices(ids: Sequence[int]) -> Iterator[tuple[int, ...]]:
    for i in range(0, len(ids), ID_SLICE):
        yield tuple(ids[i : i + ID_SLICE])
