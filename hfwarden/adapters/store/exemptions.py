"""Exemptions: an operator's release of a budget latch, which the guard of that budget respects until
the budget's next day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select

from hfwarden.adapters.store._base import StoreBase
from hfwarden.adapters.store.audit import audit_row
from hfwarden.adapters.store.decisions import enqueue
from hfwarden.adapters.store.tables import audit_log, exemptions, latches
from hfwarden.core.records import AuditEntry, Exemption, PendingAlert


class Exemptions(StoreBase):
    def exemptions(self, now: datetime) -> list[Exemption]:
        """The exemptions still holding at `now`."""
        query = select(exemptions).where(exemptions.c.until > now).order_by(exemptions.c.endpoint)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [Exemption(r.endpoint, r.budget, r.granted_at, r.until, r.reason) for r in rows]

    def release_latch(
        self,
        exemption: Exemption,
        *,
        audit: Sequence[AuditEntry],
        alerts: Sequence[PendingAlert],
        sinks: tuple[str, ...],
        now: datetime,
    ) -> list[PendingAlert]:
        """Lift the endpoint's latch and record its exemption, audit entries and alerts in one
        transaction (expired exemptions are dropped on the way); returns the alerts that were new."""
        with self.engine.begin() as conn:
            conn.execute(delete(latches).where(latches.c.endpoint == exemption.endpoint))
            conn.execute(delete(exemptions).where(exemptions.c.until <= now))
            conn.execute(
                delete(exemptions).where(
                    exemptions.c.endpoint == exemption.endpoint, exemptions.c.budget == exemption.budget
                )
            )
            conn.execute(
                insert(exemptions).values(
                    endpoint=exemption.endpoint,
                    budget=exemption.budget,
                    granted_at=exemption.granted_at,
                    until=exemption.until,
                    reason=exemption.reason,
                )
            )
            for entry in audit:
                conn.execute(insert(audit_log).values(**audit_row(entry)))
            return enqueue(conn, alerts, sinks, now)
