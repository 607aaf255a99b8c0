"""Spend as budgets and `status` see it: per-endpoint figures, and what the guard weighs, from the
ledger, the prices and the schedules. Reads only; the core decides what to do with it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from hfwarden.adapters.prices import PriceBook
from hfwarden.app.reconcile.ledger import Ledger
from hfwarden.app.reconcile.month import MonthLedger, month_before
from hfwarden.config import Config
from hfwarden.core.cost import future_cost, usd
from hfwarden.core.endpoints import Observation
from hfwarden.core.guard import Spend
from hfwarden.core.holds import held_future_cost
from hfwarden.core.records import Hold
from hfwarden.core.rules import local_day_bounds

UTC_ZONE = ZoneInfo("UTC")
Holds = Mapping[str, Hold]


def earliest_day_start(config: Config, key: str, at: datetime) -> datetime:
    """The earliest start of the day under way at `at` among the zones that judge an endpoint's spend
    (UTC, its schedule's, its budgets'): what a first sight may have billed since, for every one of them."""
    schedule = config.endpoint(key)
    zones = [UTC_ZONE, *(b.zone for b in config.budgets if b.scope.covers(key))]
    if schedule is not None:
        zones.append(schedule.zone)
    return min(local_day_bounds(at.astimezone(zone).date(), zone)[0] for zone in zones)


@dataclass(frozen=True, slots=True)
class EndpointFigures:
    """What `status` shows for one endpoint."""

    endpoint: str
    state: str | None
    billed_replicas: int
    price_per_hour: float | None
    spent_usd: float
    projected_usd: float
    latched: bool
    team: str | None = None  # from its entry or the `match:` covering it, for chargeback


class SpendView:
    """The ledger and the prices, read for one pass."""

    def __init__(self, ledger: Ledger, prices: PriceBook, months: MonthLedger | None = None) -> None:
        self.ledger, self.prices, self.months = ledger, prices, months  # months: for monthly budgets

    def price_of(self, key: str, observed: Observation | None) -> float | None:
        """The current price, or the last one the ledger used for an endpoint not seen this pass."""
        if observed is not None:
            return self.prices.price(observed.instance)
        current = self.ledger.open.get(key)
        return current.price_per_hour if current else None

    def spend(self, config: Config, observations: Mapping[str, Observation], now: datetime) -> Spend:
        """Each endpoint observed or that spent today, with its price and what it spent since the
        start of each budget's day that covers it: what the guard weighs (`core.guard`)."""
        known = set(observations) | self.ledger.endpoints()
        prices = {key: self.price_of(key, observations.get(key)) for key in sorted(known)}
        spent = {}
        for budget in config.budgets:
            day_start, _ = budget.day_bounds(now)
            for key in prices:
                if budget.scope.covers(key):
                    spent[(budget.name, key)] = self.ledger.spent(key, day_start, now)
        before = month_before(self.months, self.ledger, config.budgets, now) if self.months else {}
        return Spend(prices, spent, before)

    def figures(
        self, config: Config, observations: dict[str, Observation], latched: set[str], now: datetime, holds: Holds
    ) -> tuple[list[EndpointFigures], float]:
        """Each endpoint's figures in its own day (its schedule's zone, UTC for one nobody declared), projected
        as budgets project (a hold until it ends, then the schedule), and the dollars saved today while
        hfwarden watched (`saved_while_watched`)."""
        figures = []
        saved = 0.0
        for key in sorted(set(observations) | {e.key for e in config.endpoints}):
            observed = observations.get(key)
            schedule = config.endpoint(key)
            zone = schedule.zone if schedule else UTC_ZONE
            day_start, day_end = local_day_bounds(now.astimezone(zone).date(), zone)
            price = self.price_of(key, observed)
            spent = self.ledger.spent(key, day_start, now)
            future = future_cost(
                schedule, observed, now=now, day_end=day_end, price_per_hour=price or 0.0, latched=key in latched
            )
            hold = holds.get(key)
            if hold is not None and (hold.over_budget or key not in latched):  # as `core.guard` counts it
                future = held_future_cost(
                    hold, schedule, observed, now=now, day_end=day_end, price_per_hour=price or 0.0
                )
            if observed is not None and price is not None:
                saved += self.saved_while_watched(key, observed, price, day_start=day_start, now=now)
            state, replicas = (observed.state, observed.billed_replicas) if observed else (None, 0)
            team = schedule.team if schedule else None
            figures.append(EndpointFigures(key, state, replicas, price, spent, spent + future, key in latched, team))
        return figures, max(0.0, saved)

    def saved_while_watched(
        self, key: str, observed: Observation, price: float, *, day_start: datetime, now: datetime
    ) -> float:
        """Today's saving on one endpoint against it always on at its minimum replicas, counted only
        since hfwarden has watched it: the hours before its first look (install day) were neither
        observed nor caused by it, and claiming them would read $25 saved a minute after install."""
        since = max(day_start, self.ledger.watched_since(key) or now)
        return usd(max(observed.min_replica, 1), price, since, now) - self.ledger.spent(key, since, now)
