"""Monthly budgets for one pass: each budget's month from the ledger (the store's segments since the 1st,
with the pass's own in memory), its schedule-aware forecast to the month's end, and the budget paced
by core.pacing. Reads only; daily-only budgets pass through untouched."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.ledger import Ledger
from hfwarden.app.reconcile.spend import SpendView
from hfwarden.config import Config
from hfwarden.core.budget import Budget, EndpointCost
from hfwarden.core.cost import Segment, future_cost, spend_between
from hfwarden.core.endpoints import Observation
from hfwarden.core.pacing import MonthSpend, month_bounds, pace


class MonthLedger:
    """The month's segments per endpoint. The store's are read once per day and month start (a stored
    segment never changes); the ledger in memory, newer, is laid over them by (endpoint, start)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._day: date | None = None
        self._stored: dict[datetime, list[Segment]] = {}  # by the `since` they were read from, today

    def segments(self, ledger: Ledger, *, since: datetime, day: date) -> dict[str, list[Segment]]:
        if self._day != day:
            self._stored, self._day = {}, day
        if since not in self._stored:
            self._stored[since] = self.store.segments_since(since)
        by_start = {(s.endpoint, s.start): s for s in self._stored[since]}
        for endpoint in ledger.endpoints():
            for segment in ledger.stretches(endpoint):
                by_start[(segment.endpoint, segment.start)] = segment
        by_endpoint: dict[str, list[Segment]] = {}
        for segment in sorted(by_start.values(), key=lambda s: s.start):
            by_endpoint.setdefault(segment.endpoint, []).append(segment)
        return by_endpoint


def paced_budgets(
    months: MonthLedger,
    spend: SpendView,
    config: Config,
    costs: Mapping[str, list[EndpointCost]],
    observations: Mapping[str, Observation],
    now: datetime,
) -> list[Budget]:
    """Every budget as this pass applies it: a monthly one paced to today's allowance."""
    monthly = [b for b in config.budgets if b.monthly_usd is not None]
    if not monthly:
        return list(config.budgets)
    since = min(month_bounds(b.day_of(now), b.zone)[0] for b in monthly)
    segments = months.segments(spend.ledger, since=since, day=now.date())
    figures = {
        b.name: month_spend(b, segments, spend, config, costs.get(b.name, []), observations, now) for b in monthly
    }
    return [pace(b, figures[b.name], now=now) if b.name in figures else b for b in config.budgets]


def month_spend(
    budget: Budget,
    segments: Mapping[str, list[Segment]],
    spend: SpendView,
    config: Config,
    today: Iterable[EndpointCost],
    observations: Mapping[str, Observation],
    now: datetime,
) -> MonthSpend:
    """The month before today from the ledger; today as the guard sees it (`today`); the days after
    today as each endpoint's schedule says, from what it bills now (an undeclared one: held)."""
    month_start, month_end = month_bounds(budget.day_of(now), budget.zone)
    day_start, day_end = budget.day_bounds(now)
    in_scope = [k for k in segments if budget.scope.covers(k)]
    before = sum(spend_between(segments[k], month_start, day_start) for k in in_scope)
    today = list(today)
    later = 0.0
    for cost in today:
        observed = observations.get(cost.endpoint)
        price = spend.price_of(cost.endpoint, observed) or 0.0
        schedule = config.endpoint(cost.endpoint)
        later += future_cost(
            schedule, observed, now=day_end, day_end=month_end, price_per_hour=price, conservative=budget.conservative
        )
    return MonthSpend(
        spent_before_today_usd=before,
        spent_usd=before + sum(c.spent_usd for c in today),
        future_usd=sum(c.future_usd for c in today) + later,
    )


def team_month(months: MonthLedger, ledger: Ledger, config: Config, now: datetime) -> dict[str, float]:
    """Month-to-date spend (the UTC month) per team, for the page and metrics; empty when no entry
    names a team. Endpoints of no team are left out."""
    if not any(e.team for e in config.timed):
        return {}
    start, _ = month_bounds(now.astimezone(UTC).date(), ZoneInfo("UTC"))
    spent: dict[str, float] = {}
    for key, own in months.segments(ledger, since=start, day=now.date()).items():
        schedule = config.endpoint(key)
        if schedule is not None and schedule.team:
            spent[schedule.team] = spent.get(schedule.team, 0.0) + spend_between(own, start, now)
    return dict(sorted(spent.items()))
