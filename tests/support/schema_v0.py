"""Frozen: the schema of the release before Alembic, as its `metadata.create_all` made it.

Do not edit: tests/test_migrations.py builds a database with these definitions, fills every table, and
checks that opening it with today's `Store` keeps every row.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Float, Integer, MetaData, String, Table, Text

UTCDateTime = DateTime  # the release stored naive UTC through a TypeDecorator over DateTime

metadata = MetaData()

applied_transitions = Table(
    "applied_transitions",
    metadata,
    Column("endpoint", String(200), primary_key=True),
    Column("transition_key", String(300), nullable=False),
    Column("fired_at", UTCDateTime(), nullable=False),
    Column("applied_at", UTCDateTime(), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("endpoint", String(200), nullable=False, index=True),
    Column("action", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("result", String(32), nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Column("dry_run", Boolean, nullable=False, default=False),
)


ledger_segments = Table(
    "ledger_segments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("endpoint", String(200), nullable=False, index=True),
    Column("start", UTCDateTime(), nullable=False),
    Column("end", UTCDateTime(), nullable=False, index=True),
    Column("replicas", Integer, nullable=False),
    Column("price_per_hour", Float, nullable=False),
    Column("usd", Float, nullable=False),
    Column("gap", Boolean, nullable=False, default=False),
)

ledger_open = Table(
    "ledger_open",
    metadata,
    Column("endpoint", String(200), primary_key=True),
    Column("start", UTCDateTime(), nullable=False),
    Column("observed_at", UTCDateTime(), nullable=False),
    Column("state", String(32), nullable=False),
    Column("replicas", Integer, nullable=False),
    Column("price_per_hour", Float, nullable=False),
    Column("gap", Boolean, nullable=False, default=False),
)

latches = Table(
    "latches",
    metadata,
    Column("endpoint", String(200), primary_key=True),
    Column("budget", String(200), nullable=False),
    Column("action", String(32), nullable=False),
    Column("latched_at", UTCDateTime(), nullable=False),
    Column("until", UTCDateTime(), nullable=False),
    Column("reason", Text, nullable=False),
)

alert_marks = Table(
    "alert_marks",
    metadata,
    Column("dedupe_key", String(400), primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

outbox = Table(
    "alert_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", String(64), nullable=False),
    Column("sink", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(), nullable=False, index=True),
    Column("last_error", Text, nullable=False, default=""),
)

alert_dead = Table(
    "alert_dead_letters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", String(64), nullable=False),
    Column("sink", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("failed_at", UTCDateTime(), nullable=False),
    Column("error", Text, nullable=False),
)

price_cache = Table(
    "price_cache",
    metadata,
    Column("instance", String(200), primary_key=True),
    Column("price_per_hour", Float, nullable=False),
    Column("fetched_at", UTCDateTime(), nullable=False),
)


leases = Table(
    "leases",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("holder", String(300), nullable=False),
    Column("acquired_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)
