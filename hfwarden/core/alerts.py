"""Alerts: what people must hear about, their kinds, and the key that makes each one at most once a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hfwarden.core.budget import StopDecision


class AlertKind(StrEnum):
    SPENT_THRESHOLD = "spent_threshold"
    PROJECTED_THRESHOLD = "projected_threshold"
    GUARD_ACTION = "guard_action"
    LATCH_LIFTED = "latch_lifted"
    BURN_RATE = "burn_rate"
    REPLICA_CAP = "replica_cap"
    ENDPOINT_FAILED = "endpoint_failed"
    UNKNOWN_PRICE = "unknown_price"
    LATCH_OVERRIDDEN = "latch_overridden"


@dataclass(frozen=True, slots=True)
class Alert:
    """Something people must hear about. `dedupe_key` makes it at most once per subject, kind,
    threshold and budget day."""

    kind: AlertKind
    subject: str  # budget name or endpoint
    day: date
    message: str
    threshold: float | None = None
    budget: str | None = None
    endpoint: str | None = None
    daily_usd: float | None = None
    spent_usd: float | None = None
    projected_usd: float | None = None
    actions: tuple[StopDecision, ...] = ()

    @property
    def dedupe_key(self) -> str:
        threshold = "" if self.threshold is None else f"{self.threshold:g}"
        return f"{self.kind.value}|{self.subject}|{threshold}|{self.day.isoformat()}"
