"""Repair: finished work holds no unconfirmed suggestion.

Earlier versions could seed suggestions into an annotation after it was marked done
(suggestions that arrived late, or a later `annotator suggest` and a revisit). Done
accepts every pending suggestion, so a span still of origin "suggested" in a done
annotation was never seen by its annotator: it is removed. Skipped and flagged work
keeps its pending spans (they may have been there when it was set aside). The count is
logged as a "repair" event and handed to the caller (Store.notices).

Revision ID: 0002_no_suggestions_in_done
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0002_no_suggestions_in_done"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

_DONE_SUGGESTED = (
    "FROM span WHERE origin = 'suggested' AND annotation_id IN "
    "(SELECT id FROM annotation WHERE status = 'done')"
)


def upgrade() -> None:
    bind = op.get_bind()
    removed = bind.execute(sa.text(f"SELECT count(*) {_DONE_SUGGESTED}")).scalar_one()
    if not removed:
        return
    bind.execute(sa.text(f"DELETE {_DONE_SUGGESTED}"))
    event = sa.table(
        "event",
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("action", sa.String),
        sa.column("payload", sa.JSON),
    )
    from annotator.store.models import utcnow

    bind.execute(
        event.insert().values(
            at=utcnow(),
            action="repair",
            payload={"migration": revision, "removed_suggested_spans_from_done": removed},
        )
    )
    notices = context.config.attributes.setdefault("notices", [])
    notices.append(
        f"removed {removed} unconfirmed suggestion{'s' if removed != 1 else ''} from finished "
        "annotations (they were never seen by their annotator)"
    )


def downgrade() -> None:
    """Nothing to put back: the removed spans were never part of anyone's work."""
