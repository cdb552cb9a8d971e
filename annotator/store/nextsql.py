"""The one definition of "the next article for annotator X", as SQL text both start paths
run: the store (through SQLAlchemy) and the fast start path (stdlib sqlite3, before
SQLAlchemy is imported). Kept free of imports, like store/version.py."""

from __future__ import annotations

from collections.abc import Sequence


def next_open_sql(skipped: int = 0) -> str:
    """SQL for the article id of the annotator's first open queue item, leaving out
    ``skipped`` article ids (named parameters: annotator_id, skip0, skip1, ...)."""
    leave_out = ""
    if skipped:
        names = ", ".join(f":skip{i}" for i in range(skipped))
        leave_out = f" AND article_id NOT IN ({names})"
    return (
        'SELECT article_id FROM queueitem WHERE annotator_id = :annotator_id AND "open"'
        f"{leave_out} ORDER BY position LIMIT 1"
    )


def next_open_params(annotator_id: int, skip: Sequence[int] = ()) -> dict[str, int]:
    """The parameters of next_open_sql(len(skip))."""
    params = {"annotator_id": annotator_id}
    params.update({f"skip{i}": article_id for i, article_id in enumerate(skip)})
    return params
