"""The schema: every table of the state store, in one SQLAlchemy `MetaData`.

The code reads and writes through these definitions; the database gets them through the Alembic revisions in
`migrations/versions` (a change here needs a new revision there: tests/test_migrations.py compares the two).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Float, Index, Integer, MetaData, String, Table, Text, false
from sqlalchemy.types import TypeDecorator

from hfwarden.clock import require_aware


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return require_aware(value).astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


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
    # Billed before hfwarden first saw the endpoint, estimated from a bound (core.cost.billed_since).
    Column("estimated", Boolean, nullable=False, default=False, server_default=false()),
    # One segment per endpoint and start: a second writer of the same stretch (a standby taking over) is
    # refused by the database itself, so spend can never be counted twice.
    Index("uq_ledger_segments_endpoint_start", "endpoint", "start", unique=True),
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
    # Who is sending the row and until when: a claim that outlives a crashed sender expires.
    Column("claimed_by", String(300), nullable=True),
    Column("claimed_until", UTCDateTime(), nullable=True),
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
    # Bumped each time the holder changes: a fencing token, so a stalled former holder's write is refused.
    Column("generation", Integer, nullable=False, server_default="1"),
)

# An operator's release of a budget latch: the endpoint is exempt from that budget's guard until `until`.
exemptions = Table(
    "exemptions",
    metadata,
    Column("endpoint", String(200), primary_key=True),
    Column("budget", String(200), primary_key=True),
    Column("granted_at", UTCDateTime(), nullable=False),
    Column("until", UTCDateTime(), nullable=False, index=True),
    Column("reason", Text, nullable=False),
)

# Start-ups and wakes (core/startups.py): the predictive loop's observations. What each endpoint was
# last seen doing and since when it has been starting; each measured start-up; each wake from zero.
startup_watch = Table(
    "startup_watch",
    metadata,
    Column("endpoint", String(200), primary_key=True),
    Column("state", String(32), nullable=False),
    Column("observed_at", UTCDateTime(), nullable=False),
    Column("starting_since", UTCDateTime(), nullable=True),
    Column("from_zero", Boolean, nullable=False, default=False),
)

startup_samples = Table(
    "startup_samples",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("endpoint", String(200), nullable=False, index=True),
    Column("instance", String(200), nullable=False, index=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ready_at", UTCDateTime(), nullable=False, index=True),
    Column("seconds", Float, nullable=False),
    Column("from_zero", Boolean, nullable=False, default=False),
    Column("usd", Float, nullable=False, default=0.0),
)

wakes = Table(
    "wakes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("endpoint", String(200), nullable=False, index=True),
    Column("woke_at", UTCDateTime(), nullable=False, index=True),
)

# Operators' timed holds (`hfwarden hold`): one per endpoint; a new hold replaces the old one.
holds = Table(
    "holds",
    metadata,
    Column("endpoint", String(200), primary_key=True),
    Column("state", String(32), nullable=False),
    Column("until", UTCDateTime(), nullable=False),
    Column("placed_at", UTCDateTime(), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("over_budget", Boolean, nullable=False, default=False),
    Column("min_replicas", Integer, nullable=True),
    Column("max_replicas", Integer, nullable=True),
    # Where it was placed from (`cli`, `api`, `link`, `slack`) and by whom, as the audit names them.
    Column("source", String(16), nullable=False, server_default="cli"),
    Column("placed_by", String(200), nullable=False, server_default=""),
)

# Snooze links and Slack buttons act once: the id of each token already used (never the token).
used_action_tokens = Table(
    "used_action_tokens",
    metadata,
    Column("token_id", String(64), primary_key=True),
    Column("used_at", UTCDateTime(), nullable=False),
    Column("action", String(32), nullable=False),
    Column("endpoint", String(200), nullable=False),
    Column("used_by", String(200), nullable=False),
)

# Ladder steps with `notice:` or `approve:` announced and waiting: one per budget (its day's step).
pending_steps = Table(
    "pending_steps",
    metadata,
    Column("budget", String(200), primary_key=True),
    Column("day", String(10), nullable=False),  # ISO date of the budget day
    Column("step", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # notice | approve
    Column("announced_at", UTCDateTime(), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("decision", String(16), nullable=True),  # approve | skip, once someone decided
    Column("decided_by", String(200), nullable=False, default=""),
)

# A budget ladder's `cap` steps: one per endpoint, with the sizes to restore when it lifts.
ladder_caps = Table(
    "ladder_caps",
    metadata,
    Column("endpoint", String(200), primary_key=True),
    Column("budget", String(200), nullable=False),
    Column("max_replicas", Integer, nullable=False),
    Column("previous_min", Integer, nullable=False),
    Column("previous_max", Integer, nullable=False),
    Column("capped_at", UTCDateTime(), nullable=False),
    Column("until", UTCDateTime(), nullable=False),
    Column("reason", Text, nullable=False),
)

# The highest ladder step each budget took on its budget day: each step is taken once a day.
ladder_marks = Table(
    "ladder_marks",
    metadata,
    Column("budget", String(200), primary_key=True),
    Column("day", String(10), nullable=False),  # ISO date of the budget day
    Column("step", Integer, nullable=False),
    Column("taken_at", UTCDateTime(), nullable=False),
)

# Schedule proposals of `learn:` (issue 21): each cycle's learnt schedule with its figures, versioned
# per endpoint; at most one `adopted` per endpoint stands in for the file's schedule.
proposals = Table(
    "proposals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("endpoint", String(200), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("schedule_yaml", Text, nullable=False),  # the endpoint's learnt schedule, as a schedule file
    Column("file_fingerprint", String(64), nullable=False),  # the file's entry it was learnt against
    Column("figures", Text, nullable=False),  # JSON: costs, failed_pct, windows of data, diff, profile
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("reason", Text, nullable=False, default=""),
)

# The learning job's own state per endpoint: when it last learnt, and how far demand drifted.
learning_state = Table(
    "learning_state",
    metadata,
    Column("endpoint", String(200), primary_key=True),
    Column("last_run_at", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("forecast_error", Float, nullable=True),
    Column("checked_at", UTCDateTime(), nullable=True),
    Column("over_since", UTCDateTime(), nullable=True),
)

# Calls the platform refused, remembered across restarts (issue 19): an endpoint refused for money
# (`billing`: since when, last tried; retried 15 min later or after a reload), and the API's call quota
# used up (`api_quota`, subject `api:<host>`: nothing is sent to that host before `until`).
refusals = Table(
    "refusals",
    metadata,
    Column("subject", String(300), primary_key=True),
    Column("kind", String(16), nullable=False),  # billing | api_quota
    Column("since", UTCDateTime(), nullable=False),
    Column("tried_at", UTCDateTime(), nullable=True),
    Column("until", UTCDateTime(), nullable=True),
)
