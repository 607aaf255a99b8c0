"""What decisions write down: applied transitions, audit entries, latches and alerts. Plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hfwarden.core.alerts import Alert


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
class Exemption:
    """An operator's release: the endpoint is not a stop candidate of `budget`'s guard until `until`
    (the released latch's own end, the next budget day)."""

    endpoint: str
    budget: str
    granted_at: datetime
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


@dataclass(frozen=True, slots=True)
class AppliedTransition:
    """A transition to count as applied: carried out, found already done, or suppressed by a latch."""

    endpoint: str
    transition_key: str
    fired_at: datetime


@dataclass(frozen=True, slots=True)
class Records:
    """What decisions write down; a pass adds them up and writes them in one transaction."""

    applied: tuple[AppliedTransition, ...] = ()
    audit: tuple[AuditEntry, ...] = ()
    add_latches: tuple[Latch, ...] = ()
    remove_latches: tuple[str, ...] = ()
    alerts: tuple[Alert, ...] = ()

    def __add__(self, other: Records) -> Records:
        return Records(
            self.applied + other.applied,
            self.audit + other.audit,
            self.add_latches + other.add_latches,
            self.remove_latches + other.remove_latches,
            self.alerts + other.alerts,
        )

    @property
    def is_empty(self) -> bool:
        return not (self.applied or self.audit or self.add_latches or self.remove_latches or self.alerts)
