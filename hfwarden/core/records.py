"""What decisions write down: applied transitions, audit entries, latches and alerts. Plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

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


class HoldState(StrEnum):
    """The state a hold keeps an endpoint in (`--state current` is resolved to one of these when placed)."""

    RUNNING = "running"
    PAUSED = "paused"
    SCALED_TO_ZERO = "scaled_to_zero"


@dataclass(frozen=True, slots=True)
class Hold:
    """An operator's break-glass override: keep an endpoint in `state` until `until`. Beats its
    schedule and calendar; a budget latch beats it unless it was placed `over_budget`."""

    endpoint: str
    state: HoldState
    until: datetime
    placed_at: datetime
    reason: str = ""
    over_budget: bool = False
    min_replicas: int | None = None
    max_replicas: int | None = None
    source: str = "cli"  # where it was placed from: cli, api, link, slack
    placed_by: str = ""  # who, as the source knows them (a Slack user, an API caller)


@dataclass(frozen=True, slots=True)
class Cap:
    """A ladder `cap` step on one endpoint: `max_replicas` at most `max_replicas` until `until` (the
    next budget day) or a release; the sizes it had before, to restore when the cap lifts."""

    endpoint: str
    budget: str
    max_replicas: int
    previous_min: int
    previous_max: int
    capped_at: datetime
    until: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class LadderMark:
    """The highest step of a budget's ladder taken on a budget day: each step is taken once a day."""

    budget: str
    day: date
    step: int  # 1-based, in order of `at`
    taken_at: datetime


@dataclass(frozen=True, slots=True)
class PendingStep:
    """A ladder step with `notice:` or `approve:` announced and waiting: until `due_at`, or (approvals)
    for a decision (core/approvals.py)."""

    budget: str
    day: date
    step: int
    kind: str  # notice | approve
    announced_at: datetime
    due_at: datetime
    decision: str | None = None  # approve | skip
    decided_by: str = ""

    @property
    def ref(self) -> str:
        """What its approval tokens name: the budget, its day and the step."""
        return f"{self.budget}@{self.day.isoformat()}#{self.step}"


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
    add_holds: tuple[Hold, ...] = ()
    remove_holds: tuple[str, ...] = ()
    add_caps: tuple[Cap, ...] = ()
    remove_caps: tuple[str, ...] = ()
    ladder: tuple[LadderMark, ...] = ()

    def __add__(self, other: Records) -> Records:
        return Records(
            self.applied + other.applied,
            self.audit + other.audit,
            self.add_latches + other.add_latches,
            self.remove_latches + other.remove_latches,
            self.alerts + other.alerts,
            self.add_holds + other.add_holds,
            self.remove_holds + other.remove_holds,
            self.add_caps + other.add_caps,
            self.remove_caps + other.remove_caps,
            self.ladder + other.ladder,
        )

    @property
    def is_empty(self) -> bool:
        return not (
            self.applied
            or self.audit
            or self.add_latches
            or self.remove_latches
            or self.alerts
            or self.add_holds
            or self.remove_holds
            or self.add_caps
            or self.remove_caps
            or self.ladder
        )
