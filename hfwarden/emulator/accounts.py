"""The emulator's ground-truth bill per namespace/name, per minute as the platform bills.

Billed stretches are collected as the world advances; whenever time passes a minute boundary, the
minutes before it are final and priced once (core/platform/billing.py), so an account holds only the
stretches of its current minute, however long the emulator runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hfwarden.core.platform.billing import Span, billed_usd
from hfwarden.emulator.spec import ApiError

MINUTE_S = 60.0


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def minute_floor(ts: float) -> float:
    return ts - ts % MINUTE_S


@dataclass
class BillingAccount:
    """Ground truth for one namespace/name; it outlives a deleted endpoint."""

    namespace: str
    name: str
    settled_to: float  # a minute boundary: every minute before it is priced in settled_usd
    replica_seconds: float = 0.0
    exact_usd: float = 0.0  # the exact integral, beside the per-minute bill
    settled_usd: float = 0.0
    # Billed stretches since settled_to, as [start, end, replicas, price] (mutable: extended in place).
    open: list[list[float]] = field(default_factory=list)

    def accrue(self, start: float, end: float, replicas: int, price_per_hour: float) -> None:
        """`replicas` billed at `price_per_hour` from `start` to `end` (epoch seconds)."""
        if end <= start:
            return
        if replicas > 0:
            self.replica_seconds += replicas * (end - start)
            self.exact_usd += replicas * (end - start) * price_per_hour / 3600.0
            last = self.open[-1] if self.open else None
            if last is not None and last[1] == start and last[2] == replicas and last[3] == price_per_hour:
                last[1] = end
            else:
                self.open.append([start, end, replicas, price_per_hour])
        self._settle(minute_floor(end))

    def _settle(self, boundary: float) -> None:
        if boundary <= self.settled_to:
            return
        self.settled_usd += billed_usd(self._spans(), _dt(self.settled_to), _dt(boundary))
        self.open = [s for s in self.open if s[1] > boundary]
        self.settled_to = boundary

    def _spans(self) -> list[Span]:
        return [Span(_dt(start), _dt(end), int(replicas), price) for start, end, replicas, price in self.open]

    def usd(self, now: float) -> float:
        """The bill so far: the minute under way counts whole once anything was billed in it."""
        return self.settled_usd + billed_usd(self._spans(), _dt(self.settled_to), _dt(now))

    def row(self, now: float) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "usd": self.usd(now),
            "exact_usd": self.exact_usd,
            "replica_seconds": self.replica_seconds,
        }


# HF publishes neither error; these are the emulator's assumptions (docs/emulator.md).
MONEY_REFUSALS = {
    "credits": (402, "Payment Required: no credits left on this account; add credits to run Inference Endpoints"),
    "spend_limit": (403, "Forbidden: the monthly spend limit of this resource group has been reached"),
}


def refuse_for_money(reason: str | None) -> None:
    """Refuse new usage when the namespace is out of credits or past its spend limit."""
    if reason is not None:
        status, message = MONEY_REFUSALS[reason]
        raise ApiError(status, message)
