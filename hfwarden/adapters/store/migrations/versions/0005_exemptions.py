"""Release: an operator's release of a budget latch is an exemption from that budget's guard until `until`.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exemptions",
        sa.Column("endpoint", sa.String(200), primary_key=True),
        sa.Column("budget", sa.String(200), primary_key=True),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_exemptions_until", "exemptions", ["until"])


def downgrade() -> None:
    op.drop_index("ix_exemptions_until", "exemptions")
    op.drop_table("exemptions")
