"""The last transition applied to each endpoint: what makes schedules edge-triggered across restarts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from hfwarden.adapters.store._base import StoreBase
from hfwarden.adapters.store.audit import audit_row
from hfwarden.adapters.store.tables import applied_transitions, audit_log
from hfwarden.core.records import AuditEntry


class AppliedTransitions(StoreBase):
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
                conn.execute(insert(audit_log).values(**audit_row(audit)))
