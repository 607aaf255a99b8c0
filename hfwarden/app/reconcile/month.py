"""The ledger over a month for one pass: the store's segments (read once a day) with the pass's own laid
over them; each monthly budget's spend before today (core.allowance paces by it) and each team's month."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.ledger import Ledger
from hfwarden.config import Config
from hfwarden.core.budget import Budget
from hfwarden.core.cost import Segment, spend_between
from hfwarden.core.months import month_bounds


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


def month_before(months: MonthLedger, ledger: Ledger, budgets: Iterable[Budget], now: datetime) -> dict[str, float]:
    """Each monthly budget's spend from its 1st to the start of its day (core.allowance paces by it)."""
    monthly = [b for b in budgets if b.monthly_usd is not None]
    if not monthly:
        return {}
    since = min(month_bounds(b.day_of(now), b.zone)[0] for b in monthly)
    segments = months.segments(ledger, since=since, day=now.date())
    before = {}
    for budget in monthly:
        month_start, _ = month_bounds(budget.day_of(now), budget.zone)
        day_start, _ = budget.day_bounds(now)
        own = [segments[k] for k in segments if budget.scope.covers(k)]
        before[budget.name] = sum(spend_between(found, month_start, day_start) for found in own)
    return before


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
