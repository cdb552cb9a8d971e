"""`annotate --order uncertain`: put the articles of an annotator's queue whose suggestion
sources disagree most first (see domain.ordering for the measure and why).

The order is stored in the queue itself (the items' positions), so the screen, the fast
start path and the retrainer's look-ahead all follow it, and it stays until the queue is
ordered again. Only the items the annotator has not opened move; finished work, the
article they have open and other annotators' queues keep their places. Runs in the
screen's database thread before the first article is opened, and in the retrainer's
helper process after each training (the new model changes the disagreement).
"""

from __future__ import annotations

from dataclasses import dataclass

from annotator.domain.errors import InputError
from annotator.domain.ordering import ORDERS, QUEUE, disagreement, uncertain_first
from annotator.store import loop
from annotator.store.engine import Store
from annotator.store.queue import ASSIGNMENT, ensure_annotator, get_setting, refill_open_queue


@dataclass(frozen=True)
class OrderReport:
    """What ordering a queue did."""

    articles: int  # unopened articles of the queue that were ordered
    measured: int  # of those, processed by at least two sources (a measure exists)
    disagreeing: int  # of those, where the sources disagree (they now come first)
    moved: int  # queue items whose position changed
    first: tuple[tuple[int, float], ...]  # the first few (article id, disagreement)

    def words(self) -> str:
        """One line for the screen's status line."""
        if self.measured == 0:
            return (
                "order uncertain: no unopened article has two suggestion sources to compare "
                "yet; the queue keeps its order"
            )
        return (
            f"order uncertain: {self.disagreeing} of {self.articles} unopened articles have "
            "suggestion sources that disagree; those come first"
        )


def check_order(order: str) -> str:
    """``order`` if it is one of ORDERS, else a one-line InputError."""
    if order not in ORDERS:
        raise InputError(f"--order must be one of {', '.join(ORDERS)}, got {order!r}")
    return order


def order_queue(store: Store, annotator: str, order: str) -> OrderReport | None:
    """Order ``annotator``'s unopened queue items by ``order`` (None for ``queue``: the
    queue stays as it is). In open mode the queue is filled with every article first, so
    that the order covers all of them. One write transaction."""
    if check_order(order) == QUEUE:
        return None
    with store.write() as session:
        person = ensure_annotator(session, annotator)
        if get_setting(session, ASSIGNMENT, "open") == "open":
            while refill_open_queue(session, person):
                pass
        conn = session.connection()
        assert person.id is not None  # ensure_annotator flushes a new annotator
        annotator_id = person.id
        ids = loop.own_unopened(conn, annotator_id=annotator_id)
        found = loop.spans_by_source(conn, ids)
        scores = {article_id: disagreement(found[article_id]) for article_id in ids}
        ordered = uncertain_first(ids, scores)
        moved = loop.set_order(conn, annotator_id=annotator_id, ordered=ordered)
    measured = [s for s in scores.values() if s is not None]
    return OrderReport(
        articles=len(ids),
        measured=len(measured),
        disagreeing=sum(1 for s in measured if s > 0),
        moved=moved,
        first=tuple((i, scores[i] or 0.0) for i in ordered[:5]),
    )
