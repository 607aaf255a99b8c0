"""Install day: a ledger segment may be `estimated` (billed before hfwarden first saw the endpoint).

Segments stored before are all observed ones: false.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_segments") as batch:
        batch.add_column(sa.Column("estimated", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("ledger_segments") as batch:
        batch.drop_column("estimated")
