"""Issue 12: operators' timed holds, and budget ladders' caps and the step each budget took today.

New tables only: nothing stored before changes.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "holds",
        sa.Column("endpoint", sa.String(200), primary_key=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("over_budget", sa.Boolean(), nullable=False),
        sa.Column("min_replicas", sa.Integer(), nullable=True),
        sa.Column("max_replicas", sa.Integer(), nullable=True),
    )
    op.create_table(
        "ladder_caps",
        sa.Column("endpoint", sa.String(200), primary_key=True),
        sa.Column("budget", sa.String(200), nullable=False),
        sa.Column("max_replicas", sa.Integer(), nullable=False),
        sa.Column("previous_min", sa.Integer(), nullable=False),
        sa.Column("previous_max", sa.Integer(), nullable=False),
        sa.Column("capped_at", sa.DateTime(), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_table(
        "ladder_marks",
        sa.Column("budget", sa.String(200), primary_key=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ladder_marks")
    op.drop_table("ladder_caps")
    op.drop_table("holds")
