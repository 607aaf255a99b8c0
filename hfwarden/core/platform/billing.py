"""What the platform bills for replica-time. Pure: no I/O, no clock reads.

Hugging Face shows hourly prices but bills per minute, per replica. The rule hfwarden adopts (the
page does not say how a partial minute counts): each calendar minute, on UTC minute boundaries, is
billed for the largest hourly rate (replicas × price) billed at any moment within it, so a partial
minute counts as a whole one and an estimate can only err high. A minute belongs to the window
[start, end) its first instant falls in, so adjacent windows (two budget days) add up exactly and a
window ending mid-minute already holds that whole minute.

Billing is per endpoint: the stretches given to one call are one endpoint's, and do not overlap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

MINUTE_US = 60_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class Stretch(Protocol):
    """Replicas billed at a price from `start` to `end` (the ledger's segments are stretches)."""

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...

    @property
    def replicas(self) -> int: ...

    @property
    def price_per_hour(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Span:
    """A plain stretch, for callers that have no segment of their own (the emulator)."""

    start: datetime
    end: datetime
    replicas: int
    price_per_hour: float


def _us(at: datetime) -> int:
    # Integer microseconds: minute arithmetic stays exact where float seconds would drift.
    return (at - _EPOCH) // _MICROSECOND


def _floor(us: int) -> int:
    return us - us % MINUTE_US


def _ceil(us: int) -> int:
    return -(-us // MINUTE_US) * MINUTE_US


def billed_usd(stretches: Iterable[Stretch], start: datetime, end: datetime) -> float:
    """Dollars billed for the minutes whose first instant lies in [start, end).

    Whole minutes inside a stretch are integrated at once; only the minutes holding a stretch's
    edge are looked at one by one, so the cost is proportional to the number of stretches, not of
    minutes.
    """
    low, high = _ceil(_us(start)), _ceil(_us(end))
    whole = 0.0  # hourly rate × whole minutes
    edges: dict[int, float] = {}  # minute holding an edge -> the largest hourly rate seen in it
    for stretch in stretches:
        rate = stretch.replicas * stretch.price_per_hour
        first, last = max(_us(stretch.start), low), min(_us(stretch.end), high)
        if rate <= 0 or last <= first:
            continue
        inner_start, inner_end = _ceil(first), _floor(last)
        if inner_end > inner_start:
            whole += rate * ((inner_end - inner_start) // MINUTE_US)
        if first < inner_start:  # the stretch begins mid-minute
            minute = _floor(first)
            edges[minute] = max(edges.get(minute, 0.0), rate)
        if last > inner_end:  # it ends mid-minute (possibly the minute it began in)
            edges[inner_end] = max(edges.get(inner_end, 0.0), rate)
    return (whole + sum(edges.values())) / 60.0


def exact_usd(stretches: Iterable[Stretch], start: datetime, end: datetime) -> float:
    """The exact integral of replicas × price over [start, end): what per-second billing would charge."""
    total_us = 0.0
    low, high = _us(start), _us(end)
    for stretch in stretches:
        first, last = max(_us(stretch.start), low), min(_us(stretch.end), high)
        if last > first:
            total_us += stretch.replicas * stretch.price_per_hour * (last - first)
    return total_us / 3_600_000_000


def replicas_after(
    kind: str,
    min_replicas: int | None,
    max_replicas: int | None,
    *,
    running: bool,
    current: int,
    conservative: bool,
) -> int:
    """Replicas an endpoint bills after an action of `kind` (`pause`, `scale_to_zero`, `resume`,
    `scale`: the values of `core.rules.ActionKind`, spelt out so the platform imports nothing)."""
    match kind:
        case "pause" | "scale_to_zero":
            return 0
        case "resume":
            floor = max(min_replicas or 0, 1)
            return max(max_replicas or floor, floor) if conservative else floor
        case "scale":
            if not running:
                return 0
            low = max(min_replicas if min_replicas is not None else 1, 1)
            high = max_replicas if max_replicas is not None else max(current, low)
            return high if conservative else min(max(current, low), high)
    raise ValueError(f"unknown action kind {kind!r}")
