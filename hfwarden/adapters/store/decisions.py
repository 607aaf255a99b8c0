"""A decision's records in one transaction: audit entries, latches and the alerts they raise."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from hfwarden.adapters.store._base import StoreBase, in_chunks
from hfwarden.adapters.store.audit import audit_row
from hfwarden.adapters.store.holds import write_holds
from hfwarden.adapters.store.ladder import write_ladder
from hfwarden.adapters.store.lease import fenced
from hfwarden.adapters.store.ledger import write_ledger
from hfwarden.adapters.store.tables import alert_marks, applied_transitions, audit_log, latches, outbox
from hfwarden.core.cost import OpenSegment, Segment
from hfwarden.core.records import AppliedTransition, AuditEntry, Latch, PendingAlert, Records


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

    def write_pass(
        self,
        records: Records,
        *,
        alerts: Sequence[PendingAlert],
        sinks: tuple[str, ...],
        ledger: tuple[Sequence[Segment], Sequence[OpenSegment]] = ((), ()),
        now: datetime,
        fence: tuple[str, int] | None = None,
    ) -> list[PendingAlert]:
        """One pass's records, its alerts (rendered; `records.alerts` is ignored) and its ledger in one
        transaction, a statement per table; returns the alerts that were new. With a `fence` (holder,
        generation), `LeaseLost` is raised and nothing written when the lease moved on."""
        with self.engine.begin() as conn:
            if fence is not None:
                fenced(conn, *fence)
            _write_applied(conn, records.applied, now)
            for entries in in_chunks(records.audit):
                conn.execute(insert(audit_log), [audit_row(entry) for entry in entries])
            for endpoint in records.remove_latches:
                conn.execute(delete(latches).where(latches.c.endpoint == endpoint))
            for latch in records.add_latches:
                conn.execute(delete(latches).where(latches.c.endpoint == latch.endpoint))
                conn.execute(insert(latches).values(**_latch_row(latch)))
            write_holds(conn, records)
            write_ladder(conn, records)
            write_ledger(conn, *ledger)
            return enqueue(conn, alerts, sinks, now)

    def latches(self) -> dict[str, Latch]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(latches)).all()
        return {r.endpoint: Latch(r.endpoint, r.budget, r.action, r.latched_at, r.until, r.reason) for r in rows}


def _write_applied(conn: Connection, applied: Sequence[AppliedTransition], now: datetime) -> None:
    """The last transition applied per endpoint: the latest of this pass's replaces the stored one."""
    latest = {a.endpoint: a for a in applied}
    keys = list(latest)
    for chunk in in_chunks(keys):
        conn.execute(delete(applied_transitions).where(applied_transitions.c.endpoint.in_(chunk)))
    for rows in in_chunks(list(latest.values())):
        conn.execute(
            insert(applied_transitions),
            [
                {"endpoint": a.endpoint, "transition_key": a.transition_key, "fired_at": a.fired_at, "applied_at": now}
                for a in rows
            ],
        )
