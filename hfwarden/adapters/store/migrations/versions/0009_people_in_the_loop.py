"""Issue 22: where a hold came from (`cli`, `api`, `link`, `slack`), the action tokens already used
(a snooze link or a Slack button acts once), and the ladder steps announced and waiting (`notice:`,
`approve:`).

Existing holds were placed with the CLI, so their source is `cli`.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("holds") as batch:
        batch.add_column(sa.Column("source", sa.String(16), nullable=False, server_default="cli"))
        batch.add_column(sa.Column("placed_by", sa.String(200), nullable=False, server_default=""))
    op.create_table(
        "used_action_tokens",
        sa.Column("token_id", sa.String(64), primary_key=True),
        sa.Column("used_at", sa.DateTime(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("endpoint", sa.String(200), nullable=False),
        sa.Column("used_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "pending_steps",
        sa.Column("budget", sa.String(200), primary_key=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("announced_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pending_steps")
    op.drop_table("used_action_tokens")
    with op.batch_alter_table("holds") as batch:
        batch.drop_column("placed_by")
        batch.drop_column("source")
