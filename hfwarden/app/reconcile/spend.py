"""Spend as budgets and `status` see it: per-endpoint figures and per-budget costs from the ledger,
the prices and the schedules. Reads only; the core decides what to do with it."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from hfwarden.adapters.prices import PriceBook
from hfwarden.app.reconcile.ledger import Ledger
from hfwarden.config import Config
from hfwarden.core.budget import EndpointCost
from hfwarden.core.cost import future_cost, hourly_burn, usd
from hfwarden.core.endpoints import EndpointState, Observation
from hfwarden.core.holds import held_future_cost
from hfwarden.core.records import Hold
from hfwarden.core.rules import local_day_bounds

UTC_ZONE = ZoneInfo("UTC")
# A paused endpoint can still be latched: that is what keeps its schedule from resuming it.
UNSTOPPABLE = frozenset({EndpointState.FAILED, EndpointState.UPDATE_FAILED})


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

    def __init__(self, ledger: Ledger, prices: PriceBook) -> None:
        self.ledger = ledger
        self.prices = prices

    def price_of(self, key: str, observed: Observation | None) -> float | None:
        """The current price, or the last one the ledger used for an endpoint not seen this pass."""
        if observed is not None:
            return self.prices.price(observed.instance)
        current = self.ledger.open.get(key)
        return current.price_per_hour if current else None

    def budget_costs(
        self,
        config: Config,
        observations: dict[str, Observation],
        latched: set[str],
        now: datetime,
        exempt: Collection[tuple[str, str]] = (),
        *,
        holds: Mapping[str, Hold] | None = None,
    ) -> dict[str, list[EndpointCost]]:
        """Per budget, each endpoint in scope as the guard sees it: spent in the budget day, the rest
        of the day projected (a held endpoint: its hold, then its schedule), burn now. Endpoints that
        spent today but are gone count too. `exempt`: (endpoint, budget) pairs an operator released
        from that budget's guard; one held `--over-budget` is not the guard's to stop either."""
        holds = holds or {}
        costs: dict[str, list[EndpointCost]] = {}
        known = set(observations) | self.ledger.endpoints()
        for budget in config.budgets:
            day_start, day_end = budget.day_bounds(now)
            rows = []
            for key in sorted(k for k in known if budget.scope.covers(k)):
                observed = observations.get(key)
                schedule = config.endpoint(key)
                price = self.price_of(key, observed) or 0.0
                hold = holds.get(key)
                future = future_cost(
                    schedule,
                    observed,
                    now=now,
                    day_end=day_end,
                    price_per_hour=price,
                    conservative=budget.conservative,
                    latched=key in latched,
                )
                if hold is not None and (hold.over_budget or key not in latched):
                    future = held_future_cost(hold, schedule, observed, now=now, day_end=day_end, price_per_hour=price)
                rows.append(
                    EndpointCost(
                        endpoint=key,
                        spent_usd=self.ledger.spent(key, day_start, now),
                        future_usd=future,
                        hourly_usd=hourly_burn(observed, price),
                        billed_replicas=observed.billed_replicas if observed else 0,
                        priority=schedule.priority if schedule else 0,
                        protected=schedule.protected if schedule else False,
                        latched=key in latched,
                        stoppable=observed is not None
                        and observed.state not in UNSTOPPABLE
                        and not (hold is not None and hold.over_budget),
                        exempt=(key, budget.name) in exempt,
                    )
                )
            costs[budget.name] = rows
        return costs

    def figures(
        self, config: Config, observations: dict[str, Observation], latched: set[str], now: datetime
    ) -> tuple[list[EndpointFigures], float]:
        """Each endpoint's figures in its own day (its schedule's zone, UTC for one nobody declared),
        and the dollars saved today while hfwarden watched (`saved_while_watched`)."""
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
            if observed is not None and price is not None:
                saved += self.saved_while_watched(key, observed, price, day_start=day_start, now=now)
            figures.append(
                EndpointFigures(
                    endpoint=key,
                    state=observed.state if observed else None,
                    billed_replicas=observed.billed_replicas if observed else 0,
                    price_per_hour=price,
                    spent_usd=spent,
                    projected_usd=spent + future,
                    latched=key in latched,
                    team=schedule.team if schedule else None,
                )
            )
        return figures, max(0.0, saved)

    def saved_while_watched(
        self, key: str, observed: Observation, price: float, *, day_start: datetime, now: datetime
    ) -> float:
        """Today's saving on one endpoint against it always on at its minimum replicas, counted only
        since hfwarden has watched it: the hours before its first look (install day) were neither
        observed nor caused by it, and claiming them would read $25 saved a minute after install."""
        since = max(day_start, self.ledger.watched_since(key) or now)
        return usd(max(observed.min_replica, 1), price, since, now) - self.ledger.spent(key, since, now)
