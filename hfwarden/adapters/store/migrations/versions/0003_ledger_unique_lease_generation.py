"""HA: a ledger segment is unique per (endpoint, start); the lease carries a generation for fencing.

Duplicates already stored (a standby that took over wrote the old leader's segments again, counting that
spend twice) are dropped first, keeping the first one written.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

segments = sa.table("ledger_segments", sa.column("id", sa.Integer), sa.column("endpoint"), sa.column("start"))


def upgrade() -> None:
    first = sa.select(sa.func.min(segments.c.id)).group_by(segments.c.endpoint, segments.c.start)
    op.execute(sa.delete(segments).where(segments.c.id.not_in(first.scalar_subquery())))
    op.create_index("uq_ledger_segments_endpoint_start", "ledger_segments", ["endpoint", "start"], unique=True)
    with op.batch_alter_table("leases") as batch:
        batch.add_column(sa.Column("generation", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("leases") as batch:
        batch.drop_column("generation")
    op.drop_index("uq_ledger_segments_endpoint_start", "ledger_segments")
