"""Start-ups and wakes (issue 11): the watch on each endpoint, measured start-ups, wakes from zero.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "startup_watch",
        sa.Column("endpoint", sa.String(200), primary_key=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("observed_at", sa.DateTime(), nullable=False),
        sa.Column("starting_since", sa.DateTime(), nullable=True),
        sa.Column("from_zero", sa.Boolean, nullable=False),
    )
    op.create_table(
        "startup_samples",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("endpoint", sa.String(200), nullable=False),
        sa.Column("instance", sa.String(200), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ready_at", sa.DateTime(), nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("from_zero", sa.Boolean, nullable=False),
        sa.Column("usd", sa.Float, nullable=False),
    )
    for column in ("endpoint", "instance", "ready_at"):
        op.create_index(f"ix_startup_samples_{column}", "startup_samples", [column])
    op.create_table(
        "wakes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("endpoint", sa.String(200), nullable=False),
        sa.Column("woke_at", sa.DateTime(), nullable=False),
    )
    for column in ("endpoint", "woke_at"):
        op.create_index(f"ix_wakes_{column}", "wakes", [column])


def downgrade() -> None:
    op.drop_table("wakes")
    op.drop_table("startup_samples")
    op.drop_table("startup_watch")
