"""Budget guards: thresholds, burn-rate and replica caps → alerts; breaches → which endpoints to stop. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.rules import local_day_bounds


class BreachAction(StrEnum):
    PAUSE = "pause"
    SCALE_TO_ZERO = "scale_to_zero"
    ALERT_ONLY = "alert_only"


@dataclass(frozen=True, slots=True)
class Scope:
    """Which endpoints a budget covers: a namespace, a list of endpoints, or (neither) everything."""

    namespace: str | None = None
    endpoints: frozenset[str] | None = None

    def covers(self, endpoint: str) -> bool:
        if self.endpoints is not None:
            return endpoint in self.endpoints
        if self.namespace is not None:
            return endpoint.split("/", 1)[0] == self.namespace
        return True

    @property
    def namespaces(self) -> frozenset[str] | None:
        """Namespaces to observe for this scope; None means "all the others watch"."""
        if self.endpoints is not None:
            return frozenset(e.split("/", 1)[0] for e in self.endpoints)
        if self.namespace is not None:
            return frozenset({self.namespace})
        return None


@dataclass(frozen=True, slots=True)
class Budget:
    name: str
    daily_usd: float
    zone: ZoneInfo
    scope: Scope = field(default_factory=Scope)
    alert_at: tuple[float, ...] = (0.5, 0.8, 1.0)
    on_breach: BreachAction = BreachAction.PAUSE
    max_hourly_usd: float | None = None
    max_replicas: int | None = None
    conservative: bool = False

    def day_of(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def day_bounds(self, at: datetime) -> tuple[datetime, datetime]:
        """The budget day containing `at`: local midnight to midnight (23 or 25 hours at DST changes)."""
        return local_day_bounds(self.day_of(at), self.zone)


@dataclass(frozen=True, slots=True)
class EndpointCost:
    """One endpoint as the guard sees it this pass."""

    endpoint: str
    spent_usd: float  # in the budget day so far
    future_usd: float  # projected from now to the end of the budget day
    hourly_usd: float  # burn now
    billed_replicas: int
    priority: int = 0
    protected: bool = False
    latched: bool = False
    stoppable: bool = True  # observed, in a stable state hfwarden can act on

    @property
    def projected_usd(self) -> float:
        return self.spent_usd + self.future_usd


@dataclass(frozen=True, slots=True)
class StopDecision:
    """Stop an endpoint for a budget: pause or scale to zero, and latch until `until`."""

    endpoint: str
    action: BreachAction
    budget: str
    reason: str
    saved_usd: float
    until: datetime


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    budget: Budget
    spent_usd: float
    projected_usd: float
    hourly_usd: float
    replicas: int

    @property
    def headroom_usd(self) -> float:
        return self.budget.daily_usd - self.projected_usd


@dataclass
class GuardOutcome:
    statuses: list[BudgetStatus] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    stops: list[StopDecision] = field(default_factory=list)


def evaluate_budget(budget: Budget, costs: Iterable[EndpointCost], *, now: datetime) -> GuardOutcome:
    """Thresholds and caps to alerts; a projection over budget to the fewest stops that bring it back."""
    in_scope = [c for c in costs if budget.scope.covers(c.endpoint)]
    day = budget.day_of(now)
    _, day_end = budget.day_bounds(now)
    spent = sum(c.spent_usd for c in in_scope)
    projected = sum(c.projected_usd for c in in_scope)
    hourly = sum(c.hourly_usd for c in in_scope if not c.latched)
    replicas = sum(c.billed_replicas for c in in_scope)
    status = BudgetStatus(budget, spent, projected, hourly, replicas)
    outcome = GuardOutcome(statuses=[status])

    def alert(kind: AlertKind, message: str, threshold: float | None = None, subject: str | None = None) -> Alert:
        return Alert(
            kind,
            subject or budget.name,
            day,
            message,
            threshold=threshold,
            budget=budget.name,
            daily_usd=budget.daily_usd,
            spent_usd=spent,
            projected_usd=projected,
            actions=tuple(outcome.stops),
        )

    daily = f"${budget.daily_usd:.2f}"
    for fraction in sorted(budget.alert_at):
        line = fraction * budget.daily_usd
        if spent >= line:
            message = f"{budget.name}: spent ${spent:.2f} reached {fraction:.0%} of {daily}"
            outcome.alerts.append(alert(AlertKind.SPENT_THRESHOLD, message, fraction))
        if projected >= line:
            message = f"{budget.name}: projected ${projected:.2f} reaches {fraction:.0%} of {daily}"
            outcome.alerts.append(alert(AlertKind.PROJECTED_THRESHOLD, message, fraction))
    if budget.max_hourly_usd is not None and hourly > budget.max_hourly_usd:
        message = f"{budget.name}: burning ${hourly:.2f}/h, over ${budget.max_hourly_usd:.2f}/h"
        outcome.alerts.append(alert(AlertKind.BURN_RATE, message, budget.max_hourly_usd))
    if budget.max_replicas is not None and replicas > budget.max_replicas:
        message = f"{budget.name}: {replicas} replicas billed, over the cap of {budget.max_replicas}"
        outcome.alerts.append(alert(AlertKind.REPLICA_CAP, message, float(budget.max_replicas)))
    if budget.on_breach == BreachAction.ALERT_ONLY:
        return outcome

    candidates = [c for c in in_scope if not c.protected and not c.latched and c.stoppable and c.future_usd > 0]
    if spent >= budget.daily_usd:
        chosen = candidates
        why = f"spent ${spent:.2f} reached the daily budget ${budget.daily_usd:.2f}"
    elif projected > budget.daily_usd:
        chosen = []
        remaining = projected
        # Lowest priority first, then the biggest burners, then by name so that ties are stable.
        for cost in sorted(candidates, key=lambda c: (c.priority, -c.hourly_usd, -c.future_usd, c.endpoint)):
            if remaining <= budget.daily_usd:
                break
            chosen.append(cost)
            remaining -= cost.future_usd
        why = f"projected ${projected:.2f} passes the daily budget ${budget.daily_usd:.2f}"
    else:
        return outcome
    for cost in chosen:
        reason = f"budget {budget.name}: {why}"
        outcome.stops.append(
            StopDecision(cost.endpoint, budget.on_breach, budget.name, reason, cost.future_usd, day_end)
        )
    if chosen:
        saved = sum(c.future_usd for c in chosen)
        names = ", ".join(c.endpoint for c in chosen)
        # Keyed by the endpoints stopped too: a second stop later in the day is news, not a repeat.
        message = f"{budget.name}: {why}; stopped {names}, saving ${saved:.2f} by end of day"
        outcome.alerts.append(alert(AlertKind.GUARD_ACTION, message, subject=f"{budget.name}:{names}"))
    return outcome


def evaluate(budgets: Iterable[Budget], costs: dict[str, list[EndpointCost]], *, now: datetime) -> GuardOutcome:
    """Every budget; an endpoint in several budgets is stopped by the strictest (pause beats scale to zero)."""
    total = GuardOutcome()
    by_endpoint: dict[str, StopDecision] = {}
    for budget in budgets:
        outcome = evaluate_budget(budget, costs.get(budget.name, []), now=now)
        total.statuses.extend(outcome.statuses)
        total.alerts.extend(outcome.alerts)
        for stop in outcome.stops:
            known = by_endpoint.get(stop.endpoint)
            if known is None or _strictness(stop) > _strictness(known):
                by_endpoint[stop.endpoint] = stop
    total.stops = sorted(by_endpoint.values(), key=lambda s: s.endpoint)
    return total


def _strictness(stop: StopDecision) -> tuple[int, datetime]:
    return (1 if stop.action == BreachAction.PAUSE else 0, stop.until)
