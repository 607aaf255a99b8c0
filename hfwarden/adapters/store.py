"""Durable state behind SQLAlchemy: last applied transitions and the audit log.

SQLite (WAL) by default, PostgreSQL by URL. Every write is its own committed transaction, so a
`kill -9` loses nothing that was already recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.engine import make_url
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
