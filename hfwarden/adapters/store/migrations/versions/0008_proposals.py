"""Issue 21: schedule proposals of `learn:` and the learning job's state.

New tables only: nothing stored before changes.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("endpoint", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("schedule_yaml", sa.Text(), nullable=False),
        sa.Column("file_fingerprint", sa.String(64), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_proposals_endpoint", "proposals", ["endpoint"])
    op.create_table(
        "learning_state",
        sa.Column("endpoint", sa.String(200), primary_key=True),
        sa.Column("last_run_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("forecast_error", sa.Float(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=True),
        sa.Column("over_since", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("learning_state")
    op.drop_index("ix_proposals_endpoint", table_name="proposals")
    op.drop_table("proposals")
