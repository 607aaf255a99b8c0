"""What a pass writes down: latches, audit entries and alerts ready for the outbox. Plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Latch:
    """A budget guard's stop that holds until `until` (the next budget day) or a release."""

    endpoint: str
    budget: str
    action: str
    latched_at: datetime
    until: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log: what was done (or not) to an endpoint, and why."""

    at: datetime
    endpoint: str
    action: str
    reason: str
    result: str
    detail: str
    dry_run: bool


@dataclass(frozen=True, slots=True)
class PendingAlert:
    """An alert to write to the outbox: once per `dedupe_key`, one row per sink."""

    alert_id: str
    dedupe_key: str
    payload: str
