"""Outbox claims: a delivery marks its row (who, until when) before sending, so two processes never send one alert.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database made by `create_all` from a build that already had these columns keeps them as they are.
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("alert_outbox")}
    with op.batch_alter_table("alert_outbox") as batch:
        if "claimed_by" not in present:
            batch.add_column(sa.Column("claimed_by", sa.String(300), nullable=True))
        if "claimed_until" not in present:
            batch.add_column(sa.Column("claimed_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert_outbox") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
