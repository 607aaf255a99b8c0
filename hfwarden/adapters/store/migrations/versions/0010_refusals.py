"""Issue 19: calls the platform refused survive a restart: endpoints refused for money (back-off and
their once-a-day alert) and the API's call quota used up.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "refusals",
        sa.Column("subject", sa.String(300), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("tried_at", sa.DateTime(), nullable=True),
        sa.Column("until", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("refusals")
