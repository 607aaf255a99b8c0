"""A budget guard's stops: what it may do to an endpoint over budget, and one stop decided. Plain
values, apart from the guard so that an alert can carry the stops it reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class BreachAction(StrEnum):
    PAUSE = "pause"
    SCALE_TO_ZERO = "scale_to_zero"
    ALERT_ONLY = "alert_only"


@dataclass(frozen=True, slots=True)
class StopDecision:
    """Stop an endpoint for a budget: pause or scale to zero, and latch until `until`."""

    endpoint: str
    action: BreachAction
    budget: str
    reason: str
    saved_usd: float
    until: datetime
