"""Durable state behind SQLAlchemy: transitions applied, audit log, ledger, latches, alert outbox.

SQLite (WAL) by default, PostgreSQL by URL. Every write is its own committed transaction, so a
`kill -9` loses nothing that was already recorded.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeDecorator

from hfwarden.clock import require_aware
from hfwarden.core.cost import OpenSegment, Segment


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


def _holder_is_dead_here(holder: str) -> bool:
    """A holder on this host whose process is gone (killed, crashed) need not be waited out."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def lease_holder_id() -> str:
    """Who this process is, for the lease: host, pid and a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class Latch:
    endpoint: str
    budget: str
    action: str
    latched_at: datetime
    until: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    alert_id: str
    sink: str
    payload: str
    attempts: int


@dataclass(frozen=True, slots=True)
class PendingAlert:
    """An alert to write to the outbox: once per `dedupe_key`, one row per sink."""

    alert_id: str
    dedupe_key: str
    payload: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    endpoint: str
    action: str
    reason: str
    result: str
    detail: str
    dry_run: bool


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class Store:
    """The state store. Thread-safe through the engine's pool."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, pool_pre_ping=True)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)})"

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:  # any failure means "not reachable" to a health check
            return False

    def close(self) -> None:
        self.engine.dispose()

    # -- transitions ------------------------------------------------------------------------------

    def last_applied(self) -> dict[str, str]:
        """Endpoint → key of the last transition applied to it."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(applied_transitions.c.endpoint, applied_transitions.c.transition_key))
            return {row.endpoint: row.transition_key for row in rows}

    def record_applied(
        self,
        endpoint: str,
        transition_key: str,
        fired_at: datetime,
        applied_at: datetime,
        audit: AuditEntry | None = None,
    ) -> None:
        """Mark a transition applied, together with its audit entry, in one transaction."""
        with self.engine.begin() as conn:
            updated = conn.execute(
                applied_transitions.update()
                .where(applied_transitions.c.endpoint == endpoint)
                .values(transition_key=transition_key, fired_at=fired_at, applied_at=applied_at)
            )
            if updated.rowcount == 0:
                conn.execute(
                    insert(applied_transitions).values(
                        endpoint=endpoint, transition_key=transition_key, fired_at=fired_at, applied_at=applied_at
                    )
                )
            if audit is not None:
                conn.execute(insert(audit_log).values(**_audit_row(audit)))

    # -- audit ------------------------------------------------------------------------------------

    def audit(self, entry: AuditEntry) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(audit_log).values(**_audit_row(entry)))

    def audit_entries(self, endpoint: str | None = None, limit: int = 1000) -> list[AuditEntry]:
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if endpoint is not None:
            query = query.where(audit_log.c.endpoint == endpoint)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [AuditEntry(r.at, r.endpoint, r.action, r.reason, r.result, r.detail, r.dry_run) for r in reversed(rows)]

    # -- decisions: audit, latches and alerts in one transaction --------------------------------

    def commit(
        self,
        *,
        audit: Sequence[AuditEntry] = (),
        add_latches: Sequence[Latch] = (),
        remove_latches: Sequence[str] = (),
        alerts: Sequence[PendingAlert] = (),
        sinks: tuple[str, ...] = (),
        now: datetime,
    ) -> list[PendingAlert]:
        """Record a decision atomically; returns the alerts that were new (not already raised)."""
        with self.engine.begin() as conn:
            for entry in audit:
                conn.execute(insert(audit_log).values(**_audit_row(entry)))
            for endpoint in remove_latches:
                conn.execute(delete(latches).where(latches.c.endpoint == endpoint))
            for latch in add_latches:
                conn.execute(delete(latches).where(latches.c.endpoint == latch.endpoint))
                conn.execute(insert(latches).values(**_latch_row(latch)))
            return self._enqueue(conn, alerts, sinks, now)

    def _enqueue(
        self, conn: Connection, alerts: Sequence[PendingAlert], sinks: tuple[str, ...], now: datetime
    ) -> list[PendingAlert]:
        fresh: list[PendingAlert] = []
        for alert in alerts:
            seen = conn.execute(select(alert_marks.c.dedupe_key).where(alert_marks.c.dedupe_key == alert.dedupe_key))
            if seen.first() is not None:
                continue
            conn.execute(insert(alert_marks).values(dedupe_key=alert.dedupe_key, created_at=now))
            for sink in sinks:
                conn.execute(
                    insert(outbox).values(
                        alert_id=alert.alert_id,
                        sink=sink,
                        payload=alert.payload,
                        created_at=now,
                        attempts=0,
                        next_attempt_at=now,
                        last_error="",
                    )
                )
            fresh.append(alert)
        return fresh

    # -- the lease: one process acts on this state at a time -----------------------------------

    def take_lease(self, holder: str, *, now: datetime, ttl: timedelta, name: str = "daemon") -> bool:
        """Acquire or renew the lease; True if `holder` holds it until now + ttl.

        A conditional UPDATE is atomic on SQLite and PostgreSQL alike: of two processes racing for an
        expired lease, one updates a row and the other none.
        """
        expires = now + ttl
        with self.engine.begin() as conn:
            row = conn.execute(select(leases).where(leases.c.name == name)).first()
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(leases).values(name=name, holder=holder, acquired_at=now, expires_at=expires)
                        )
                    return True
                except IntegrityError:
                    return False
            if row.holder == holder:
                renewed = conn.execute(
                    update(leases).where(leases.c.name == name, leases.c.holder == holder).values(expires_at=expires)
                )
                return renewed.rowcount == 1
            if row.expires_at > now and not _holder_is_dead_here(row.holder):
                return False
            taken = conn.execute(
                update(leases)
                .where(leases.c.name == name, leases.c.holder == row.holder)
                .values(holder=holder, acquired_at=now, expires_at=expires)
            )
            return taken.rowcount == 1

    def release_lease(self, holder: str, name: str = "daemon") -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(leases).where(leases.c.name == name, leases.c.holder == holder))

    def lease_holder(self, name: str = "daemon") -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(leases.c.holder).where(leases.c.name == name)).first()
        return None if row is None else str(row.holder)

    # -- latches -----------------------------------------------------------------------------------

    def latches(self) -> dict[str, Latch]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(latches)).all()
        return {r.endpoint: Latch(r.endpoint, r.budget, r.action, r.latched_at, r.until, r.reason) for r in rows}

    # -- ledger ------------------------------------------------------------------------------------

    def save_ledger(self, closed: list[Segment], opened: list[OpenSegment]) -> None:
        """Closed segments and the open ones as of this pass, in one transaction."""
        if not closed and not opened:
            return
        with self.engine.begin() as conn:
            for segment in closed:
                conn.execute(
                    insert(ledger_segments).values(
                        endpoint=segment.endpoint,
                        start=segment.start,
                        end=segment.end,
                        replicas=segment.replicas,
                        price_per_hour=segment.price_per_hour,
                        usd=segment.usd,
                        gap=segment.gap,
                    )
                )
            endpoints = [o.endpoint for o in opened]
            for chunk in range(0, len(endpoints), 500):
                conn.execute(delete(ledger_open).where(ledger_open.c.endpoint.in_(endpoints[chunk : chunk + 500])))
            if opened:
                conn.execute(
                    insert(ledger_open),
                    [
                        {
                            "endpoint": o.endpoint,
                            "start": o.start,
                            "observed_at": o.observed_at,
                            "state": o.state,
                            "replicas": o.replicas,
                            "price_per_hour": o.price_per_hour,
                            "gap": o.gap,
                        }
                        for o in opened
                    ],
                )

    def open_segments(self) -> dict[str, OpenSegment]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(ledger_open)).all()
        return {
            r.endpoint: OpenSegment(r.endpoint, r.start, r.observed_at, r.state, r.replicas, r.price_per_hour, r.gap)
            for r in rows
        }

    def segments_since(self, since: datetime) -> list[Segment]:
        """Closed segments that end after `since`."""
        query = select(ledger_segments).where(ledger_segments.c.end > since).order_by(ledger_segments.c.start)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [Segment(r.endpoint, r.start, r.end, r.replicas, r.price_per_hour, r.gap) for r in rows]

    # -- outbox ------------------------------------------------------------------------------------

    def due_alerts(self, now: datetime, limit: int = 50) -> list[OutboxItem]:
        query = select(outbox).where(outbox.c.next_attempt_at <= now).order_by(outbox.c.id).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [OutboxItem(r.id, r.alert_id, r.sink, r.payload, r.attempts) for r in rows]

    def outbox_depth(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())

    def delivered(self, item_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(outbox).where(outbox.c.id == item_id))

    def retry_later(self, item_id: int, next_attempt_at: datetime, error: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == item_id)
                .values(attempts=outbox.c.attempts + 1, next_attempt_at=next_attempt_at, last_error=error)
            )

    def give_up(self, item: OutboxItem, error: str, now: datetime) -> None:
        """A sink refused the alert for good (4xx other than 429): keep it as a dead letter."""
        with self.engine.begin() as conn:
            conn.execute(delete(outbox).where(outbox.c.id == item.id))
            conn.execute(
                insert(alert_dead).values(
                    alert_id=item.alert_id, sink=item.sink, payload=item.payload, failed_at=now, error=error
                )
            )

    def dead_letters(self) -> list[tuple[str, str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(alert_dead.c.alert_id, alert_dead.c.sink, alert_dead.c.error)).all()
        return [(r.alert_id, r.sink, r.error) for r in rows]

    # -- prices ------------------------------------------------------------------------------------

    def save_prices(self, prices: dict[str, float], fetched_at: datetime) -> None:
        if not prices:
            return
        with self.engine.begin() as conn:
            conn.execute(delete(price_cache).where(price_cache.c.instance.in_(list(prices))))
            conn.execute(
                insert(price_cache),
                [{"instance": k, "price_per_hour": v, "fetched_at": fetched_at} for k, v in prices.items()],
            )

    def cached_prices(self) -> dict[str, float]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(price_cache.c.instance, price_cache.c.price_per_hour)).all()
        return {r.instance: r.price_per_hour for r in rows}


def _latch_row(latch: Latch) -> dict[str, Any]:
    return {
        "endpoint": latch.endpoint,
        "budget": latch.budget,
        "action": latch.action,
        "latched_at": latch.latched_at,
        "until": latch.until,
        "reason": latch.reason,
    }


def _audit_row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at,
        "endpoint": entry.endpoint,
        "action": entry.action,
        "reason": entry.reason,
        "result": entry.result,
        "detail": entry.detail,
        "dry_run": entry.dry_run,
    }
