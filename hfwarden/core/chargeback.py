"""Chargeback: a month of the ledger by team, endpoint, namespace or label. Pure; money in Decimal.

Each endpoint's cost is what the ledger bills it (per minute, as budgets count it). Rows are rounded
to the cent by the largest remainder, so they add up exactly to the total, and the total is the
ledger's to the cent. `always_on_usd` is the endpoint at one replica over every stretch the ledger
holds for it in the month, at that stretch's price; `saved_usd` is that less the cost (negative when
several replicas ran most of the time). `estimated`: some of its cost was billed before hfwarden
first saw it (core.cost.billed_since); `gaps`: hfwarden was not watching for a while.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from hfwarden.core.cost import Segment
from hfwarden.core.endpoints import namespace_of
from hfwarden.core.platform.billing import billed_usd

CENT = Decimal("0.01")
GROUPINGS = ("team", "endpoint", "namespace")  # and `label:KEY`
_US_PER_HOUR = Decimal(3_600_000_000)
_MICROSECOND = timedelta(microseconds=1)


def check_grouping(by: str) -> str:
    """`team`, `endpoint`, `namespace` or `label:KEY`; ValueError otherwise."""
    if by in GROUPINGS or (by.startswith("label:") and len(by) > len("label:")):
        return by
    raise ValueError(f"--by takes team, endpoint, namespace or label:KEY, not {by!r}")


@dataclass(frozen=True, slots=True)
class Owner:
    """Who an endpoint is charged to: from its schedule entry (or the `match:` that covers it)."""

    team: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EndpointCharge:
    """One endpoint's month, unrounded."""

    endpoint: str
    owner: Owner
    replica_hours: Decimal
    cost_usd: Decimal
    always_on_usd: Decimal
    estimated: bool
    gaps: bool


def _overlap_us(segment: Segment, start: datetime, end: datetime) -> int:
    first, last = max(segment.start, start), min(segment.end, end)
    return max(0, (last - first) // _MICROSECOND) if last > first else 0


def charge(endpoint: str, segments: Sequence[Segment], start: datetime, end: datetime, owner: Owner) -> EndpointCharge:
    """What one endpoint's segments bill in [start, end), as the ledger counts it."""
    within = [s for s in segments if _overlap_us(s, start, end) > 0]
    hours = {id(s): Decimal(_overlap_us(s, start, end)) / _US_PER_HOUR for s in within}
    return EndpointCharge(
        endpoint=endpoint,
        owner=owner,
        replica_hours=sum((s.replicas * hours[id(s)] for s in within), Decimal(0)),
        cost_usd=Decimal(repr(billed_usd(within, start, end))),
        always_on_usd=sum((Decimal(repr(s.price_per_hour)) * hours[id(s)] for s in within), Decimal(0)),
        estimated=any(s.estimated and s.replicas > 0 for s in within),
        gaps=any(s.gap for s in within),
    )


def group_of(item: EndpointCharge, by: str) -> str:
    if by == "endpoint":
        return item.endpoint
    if by == "namespace":
        return namespace_of(item.endpoint)
    if by == "team":
        return item.owner.team or "(no team)"
    key = by.removeprefix("label:")
    return item.owner.labels.get(key) or f"(no {key})"


@dataclass(frozen=True, slots=True)
class ChargeRow:
    group: str
    endpoints: tuple[str, ...]
    replica_hours: Decimal
    cost_usd: Decimal
    always_on_usd: Decimal
    estimated: bool
    gaps: bool

    @property
    def saved_usd(self) -> Decimal:
        return self.always_on_usd - self.cost_usd


@dataclass(frozen=True, slots=True)
class Chargeback:
    month: date
    by: str
    rows: tuple[ChargeRow, ...]
    total: ChargeRow  # group "total": the ledger's figures, to the cent


def allot(values: Sequence[Decimal], quantum: Decimal = CENT) -> list[Decimal]:
    """Round each value to `quantum` so that they add up to their rounded sum: floors, then the
    units left over to the largest remainders (the earlier on a tie)."""
    total = sum(values, Decimal(0)).quantize(quantum, ROUND_HALF_EVEN)
    floors = [v.quantize(quantum, ROUND_FLOOR) for v in values]
    units = int((total - sum(floors, Decimal(0))) / quantum)
    order = sorted(range(len(values)), key=lambda i: (-(values[i] - floors[i]), i))
    for index in order[:units]:
        floors[index] += quantum
    return floors


def chargeback(charges: Iterable[EndpointCharge], *, by: str, month: date) -> Chargeback:
    """The month's charges grouped `by`, rows by cost (highest first), with their total."""
    groups: dict[str, list[EndpointCharge]] = {}
    for item in charges:
        groups.setdefault(group_of(item, by), []).append(item)
    names = sorted(groups, key=lambda g: (-sum((c.cost_usd for c in groups[g]), Decimal(0)), g))
    sums = {
        figure: [sum((getattr(c, figure) for c in groups[g]), Decimal(0)) for g in names]
        for figure in ("replica_hours", "cost_usd", "always_on_usd")
    }
    rounded = {figure: allot(values) for figure, values in sums.items()}
    rows = tuple(
        ChargeRow(
            group=name,
            endpoints=tuple(sorted(c.endpoint for c in groups[name])),
            replica_hours=rounded["replica_hours"][i],
            cost_usd=rounded["cost_usd"][i],
            always_on_usd=rounded["always_on_usd"][i],
            estimated=any(c.estimated for c in groups[name]),
            gaps=any(c.gaps for c in groups[name]),
        )
        for i, name in enumerate(names)
    )
    total = ChargeRow(
        group="total",
        endpoints=tuple(sorted(e for r in rows for e in r.endpoints)),
        replica_hours=sum((r.replica_hours for r in rows), Decimal(0)),
        cost_usd=sum((r.cost_usd for r in rows), Decimal(0)),
        always_on_usd=sum((r.always_on_usd for r in rows), Decimal(0)),
        estimated=any(r.estimated for r in rows),
        gaps=any(r.gaps for r in rows),
    )
    return Chargeback(month, by, rows, total)
