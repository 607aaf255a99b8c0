"""A decision's records in one transaction: audit entries, latches and the alerts they raise."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from hfwarden.adapters.store._base import StoreBase
from hfwarden.adapters.store.audit import audit_row
from hfwarden.adapters.store.tables import alert_marks, audit_log, latches, outbox
from hfwarden.core.records import AuditEntry, Latch, PendingAlert


def _latch_row(latch: Latch) -> dict[str, Any]:
    return {
        "endpoint": latch.endpoint,
        "budget": latch.budget,
        "action": latch.action,
        "latched_at": latch.latched_at,
        "until": latch.until,
        "reason": latch.reason,
    }


def enqueue(
    conn: Connection, alerts: Sequence[PendingAlert], sinks: tuple[str, ...], now: datetime
) -> list[PendingAlert]:
    """Outbox rows for the alerts not raised before (one per sink); returns those."""
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


class Decisions(StoreBase):
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
                conn.execute(insert(audit_log).values(**audit_row(entry)))
            for endpoint in remove_latches:
                conn.execute(delete(latches).where(latches.c.endpoint == endpoint))
            for latch in add_latches:
                conn.execute(delete(latches).where(latches.c.endpoint == latch.endpoint))
                conn.execute(insert(latches).values(**_latch_row(latch)))
            return enqueue(conn, alerts, sinks, now)

    def latches(self) -> dict[str, Latch]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(latches)).all()
        return {r.endpoint: Latch(r.endpoint, r.budget, r.action, r.latched_at, r.until, r.reason) for r in rows}
