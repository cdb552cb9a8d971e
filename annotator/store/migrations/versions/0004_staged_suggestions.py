"""A table for the suggestions an import stages.

An annotated import that brings suggestions (``--as-suggestions``, or records a source
suggested) held every one of them in memory until the flip: about 430 MB for 10,000
articles x 3. They now go into ``stagedsuggestion`` a chunk at a time, in the chunks'
transactions, and the flip moves them into ``suggestion``. Nobody else reads the table;
it is empty whenever no import runs (a failed or killed import's rows are removed with
its other staged rows).

Revision ID: 0004_staged_suggestions
Revises: 0003_event_annotation_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_staged_suggestions"
down_revision = "0003_event_annotation_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stagedsuggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=True),
        sa.Column("end", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stagedsuggestion")),
    )
    with op.batch_alter_table("stagedsuggestion", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stagedsuggestion_key",
            ["article_id", "source", "start", "end", "label"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("stagedsuggestion", schema=None) as batch_op:
        batch_op.drop_index("ix_stagedsuggestion_key")
    op.drop_table("stagedsuggestion")
