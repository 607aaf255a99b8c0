"""The audit log: every action, suppression, latch and release, with its reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from hfwarden.adapters.store._base import StoreBase
from hfwarden.adapters.store.tables import alert_marks, audit_log
from hfwarden.core.records import AuditEntry


def audit_row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at,
        "endpoint": entry.endpoint,
        "action": entry.action,
        "reason": entry.reason,
        "result": entry.result,
        "detail": entry.detail,
        "dry_run": entry.dry_run,
    }


class AuditLog(StoreBase):
    def audit(self, entry: AuditEntry) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(audit_log).values(**audit_row(entry)))

    def audit_entries(self, endpoint: str | None = None, limit: int = 1000) -> list[AuditEntry]:
        """The latest `limit` entries (of one endpoint, or all), oldest first."""
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if endpoint is not None:
            query = query.where(audit_log.c.endpoint == endpoint)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [AuditEntry(r.at, r.endpoint, r.action, r.reason, r.result, r.detail, r.dry_run) for r in reversed(rows)]

    def raised_alerts(self, limit: int = 50) -> list[tuple[datetime, str]]:
        """The latest alerts raised, newest first, as (when, dedupe key `kind|subject|threshold|day`):
        the marks outlive the outbox rows, which go once delivered."""
        query = select(alert_marks).order_by(alert_marks.c.created_at.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [(r.created_at, r.dedupe_key) for r in conn.execute(query).all()]
