"""The schema as `metadata.create_all` made it before Alembic: the baseline.

A database made by that release already has these tables: each is created only when missing, so such a
database is adopted as it is (rows untouched) and then carried forward by the later revisions.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _table(name: str, *columns: Any, indexes: tuple[str, ...] = ()) -> None:
    if sa.inspect(op.get_bind()).has_table(name):
        return
    op.create_table(name, *columns)
    for column in indexes:
        op.create_index(f"ix_{name}_{column}", name, [column])


def _when(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(), nullable=nullable)


def upgrade() -> None:
    _table(
        "applied_transitions",
        sa.Column("endpoint", sa.String(200), primary_key=True),
        sa.Column("transition_key", sa.String(300), nullable=False),
        _when("fired_at"),
        _when("applied_at"),
    )
    _table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _when("at"),
        sa.Column("endpoint", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("result", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        indexes=("at", "endpoint"),
    )
    _ledger()
    _alerts()
    _table(
        "price_cache",
        sa.Column("instance", sa.String(200), primary_key=True),
        sa.Column("price_per_hour", sa.Float, nullable=False),
        _when("fetched_at"),
    )
    _table(
        "leases",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("holder", sa.String(300), nullable=False),
        _when("acquired_at"),
        _when("expires_at"),
    )


def _ledger() -> None:
    _table(
        "ledger_segments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("endpoint", sa.String(200), nullable=False),
        _when("start"),
        _when("end"),
        sa.Column("replicas", sa.Integer, nullable=False),
        sa.Column("price_per_hour", sa.Float, nullable=False),
        sa.Column("usd", sa.Float, nullable=False),
        sa.Column("gap", sa.Boolean, nullable=False),
        indexes=("endpoint", "end"),
    )
    _table(
        "ledger_open",
        sa.Column("endpoint", sa.String(200), primary_key=True),
        _when("start"),
        _when("observed_at"),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("replicas", sa.Integer, nullable=False),
        sa.Column("price_per_hour", sa.Float, nullable=False),
        sa.Column("gap", sa.Boolean, nullable=False),
    )
    _table(
        "latches",
        sa.Column("endpoint", sa.String(200), primary_key=True),
        sa.Column("budget", sa.String(200), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        _when("latched_at"),
        _when("until"),
        sa.Column("reason", sa.Text, nullable=False),
    )


def _alerts() -> None:
    _table("alert_marks", sa.Column("dedupe_key", sa.String(400), primary_key=True), _when("created_at"))
    _table(
        "alert_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.String(64), nullable=False),
        sa.Column("sink", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        _when("created_at"),
        sa.Column("attempts", sa.Integer, nullable=False),
        _when("next_attempt_at"),
        sa.Column("last_error", sa.Text, nullable=False),
        indexes=("next_attempt_at",),
    )
    _table(
        "alert_dead_letters",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.String(64), nullable=False),
        sa.Column("sink", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        _when("failed_at"),
        sa.Column("error", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in (
        "leases",
        "price_cache",
        "alert_dead_letters",
        "alert_outbox",
        "alert_marks",
        "latches",
        "ledger_open",
        "ledger_segments",
        "audit_log",
        "applied_transitions",
    ):
        op.drop_table(name)
