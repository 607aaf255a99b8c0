"""Operators' holds (`hfwarden hold`, `holds`, `unhold`): validate, quote, store, audit and alert.

Placing a hold reads the endpoint and the budgets as `status` does (one assessment, changing nothing)
so that its cost can be quoted against each budget that covers it; the records go in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from hfwarden.adapters.alerts import pending
from hfwarden.adapters.store import Store
from hfwarden.app.ops.wiring import assessing_pass
from hfwarden.app.reconcile.reconciler import Reconciler
from hfwarden.app.reconcile.report import PassReport
from hfwarden.app.reconcile.spend import SpendView
from hfwarden.clock import Clock
from hfwarden.config import Config
from hfwarden.core.endpoints import EndpointKey, namespace_of
from hfwarden.core.holds import hold_extra_cost, hold_placed, hold_quote, hold_removed, hold_until, resolved_state
from hfwarden.core.records import Hold, HoldState, Records
from hfwarden.core.rules import local_day_bounds
from hfwarden.settings import Settings

UTC_ZONE = ZoneInfo("UTC")


class HoldError(ValueError):
    """Bad input for a hold: one clear line, exit 2, nothing stored."""


@dataclass(frozen=True, slots=True)
class HoldRequest:
    """What `hfwarden hold` was asked, as typed."""

    endpoint: str
    until: str
    state: str = "running"
    min_replicas: int | None = None
    max_replicas: int | None = None
    reason: str = ""
    over_budget: bool = False
    source: str = "cli"  # cli, api, link, slack: where it came from
    by: str = ""  # who, as the source knows them


@dataclass(frozen=True, slots=True)
class PlacedHold:
    hold: Hold
    quote: str


def place_hold(
    settings: Settings, config: Config, request: HoldRequest, *, clock: Clock, store_it: bool = True
) -> PlacedHold:
    """Check, quote and store a hold; HoldError (and nothing stored) for bad input. `store_it=False`:
    the check and the quote only (a link's confirmation page)."""
    try:
        key = str(EndpointKey.parse(request.endpoint))
    except ValueError as exc:
        raise HoldError(str(exc)) from None
    store = Store(settings.database_url)
    try:
        with assessing_pass(settings, config, store, clock=clock) as reconciler:
            report = reconciler.assess()
            config = config.expanded(report.observations)  # an endpoint a `match:` covers has its schedule
            hold = _checked(config, report, request, key, now=report.started_at)
            quote = _quote(reconciler, config, report, hold)
        if store_it:
            _commit(store, config, hold_placed(hold, quote, now=report.started_at), report.started_at)
        return PlacedHold(hold, quote)
    finally:
        store.close()


def _checked(config: Config, report: PassReport, request: HoldRequest, key: str, *, now: datetime) -> Hold:
    failed = report.failed.get(f"{namespace_of(key)}/*")
    if failed is not None:
        raise HoldError(f"{key}: {failed}")
    observed = report.observations.get(key)
    schedule = config.endpoint(key)
    if observed is None:
        raise HoldError(f"unknown endpoint {key}: not in its namespace{'' if schedule else ' nor in any schedule'}")
    try:
        until = hold_until(request.until, now=now, zone=schedule.zone if schedule else UTC_ZONE)
        state = resolved_state(request.state, observed)
    except ValueError as exc:
        raise HoldError(str(exc)) from None
    low, high = request.min_replicas, request.max_replicas
    if state != HoldState.RUNNING and (low is not None or high is not None):
        raise HoldError(f"--min/--max only go with a running hold, not {state.value}")
    if low is not None and high is not None and low > high:
        raise HoldError(f"--min {low} is above --max {high}")
    if (low is not None and low < 0) or (high is not None and high < 1):
        raise HoldError("--min must be at least 0 and --max at least 1")
    return Hold(key, state, until, now, request.reason, request.over_budget, low, high, request.source, request.by)


def _quote(reconciler: Reconciler, config: Config, report: PassReport, hold: Hold) -> str:
    """What the hold adds to today's projection, against each budget that covers the endpoint."""
    key, now = hold.endpoint, report.started_at
    observed = report.observations.get(key)
    schedule = config.endpoint(key)
    price = SpendView(reconciler.ledger, reconciler.prices).price_of(key, observed) or 0.0
    zone = schedule.zone if schedule else UTC_ZONE
    lines: list[tuple[str, float, float]] = []
    extras: list[float] = []
    for status in report.budgets:
        budget = status.budget
        if not budget.scope.covers(key):
            continue
        _, day_end = budget.day_bounds(now)
        added = hold_extra_cost(hold, schedule, observed, now=now, day_end=day_end, price_per_hour=price)
        extras.append(added)
        lines.append((budget.name, status.projected_usd + added, budget.daily_usd))
    if extras:  # the largest change over the budgets' days, a saving (negative) included
        extra = max(extras, key=abs)
    else:  # no budget covers it: its own day
        _, day_end = local_day_bounds(now.astimezone(zone).date(), zone)
        extra = hold_extra_cost(hold, schedule, observed, now=now, day_end=day_end, price_per_hour=price)
    return hold_quote(hold, extra, lines, zone=zone)


def _commit(store: Store, config: Config, records: Records, now: datetime) -> None:
    alerts = [pending(a, created_at=now) for a in records.alerts]
    store.write_pass(records, alerts=alerts, sinks=config.alerts.sinks, now=now)


def holds(settings: Settings) -> list[Hold]:
    """Every hold in the state store (expired ones are removed by the daemon's next pass)."""
    if not settings.state_exists:
        return []
    store = Store(settings.database_url)
    try:
        return sorted(store.holds().values(), key=lambda h: h.endpoint)
    finally:
        store.close()


def unhold(
    settings: Settings, config: Config, endpoint: str, *, clock: Clock, by: str = "hfwarden unhold"
) -> Hold | None:
    """Lift a hold now (audited, alerted, with who lifted it); its schedule's state is applied by the next pass."""
    store = Store(settings.database_url)
    try:
        hold = store.holds().get(endpoint)
        if hold is None:
            return None
        now = clock.now()
        _commit(store, config, hold_removed(hold, now=now, why=f"lifted by {by}"), now)
        return hold
    finally:
        store.close()
