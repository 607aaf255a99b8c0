"""Alerts: what people must hear about, their kinds, and the key that makes each one at most once a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from hfwarden.core.stops import StopDecision

if TYPE_CHECKING:
    from hfwarden.core.offers import Notice


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
    DRIFT = "drift"
    HOLD_PLACED = "hold_placed"
    HOLD_EXPIRED = "hold_expired"
    STATE_LOST = "state_lost"
    NOT_READY = "not_ready"
    THRASH = "thrash"
    UPCOMING_STOP = "upcoming_stop"
    SCHEDULE_PROPOSAL = "schedule_proposal"
    SCHEDULE_ADOPTED = "schedule_adopted"
    FORECAST_DRIFT = "forecast_drift"
    BILLING_BLOCKED = "billing_blocked"
    SPEND_ANOMALY = "spend_anomaly"


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
    step: int | None = None  # the budget's ladder step (1-based) a `guard_action` took
    notice: Notice | None = None  # an `upcoming_stop`: when, why, what it saves, the choices and links

    @property
    def dedupe_key(self) -> str:
        threshold = "" if self.threshold is None else f"{self.threshold:g}"
        step = "" if self.step is None else f"|step{self.step}"
        return f"{self.kind.value}|{self.subject}|{threshold}|{self.day.isoformat()}{step}"


def endpoint_failed(endpoint: str, why: str, *, day: date) -> Alert:
    """An endpoint that needs a human: broken, missing, or an action that failed after retries."""
    return Alert(AlertKind.ENDPOINT_FAILED, endpoint, day, f"{endpoint}: {why}", endpoint=endpoint)


def unknown_price(endpoint: str, instance: str, *, day: date) -> Alert:
    """An endpoint whose spend cannot be counted until someone gives its instance a price."""
    message = f"{endpoint}: no price for {instance}; its spend is not counted until one is set under `pricing:`"
    return Alert(AlertKind.UNKNOWN_PRICE, endpoint, day, message, endpoint=endpoint)
