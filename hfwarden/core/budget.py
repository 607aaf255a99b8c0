"""Budget guards: thresholds, burn-rate and replica caps → alerts; breaches → which endpoints to stop. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.anomaly import AnomalyRule
from hfwarden.core.endpoints import namespace_of
from hfwarden.core.formats import dollars
from hfwarden.core.ladder import (
    Basis,
    CapDecision,
    LadderStep,
    Rung,
    StepAction,
    cap_saving,
    crossed,
    step_message,
    taken_step,
)
from hfwarden.core.months import MonthPace
from hfwarden.core.records import AuditEntry, LadderMark, Records
from hfwarden.core.rules import local_day_bounds
from hfwarden.core.stops import BreachAction as BreachAction  # re-exported: the config and views name it here
from hfwarden.core.stops import StopDecision as StopDecision


@dataclass(frozen=True, slots=True)
class Scope:
    """Which endpoints a budget covers: a namespace, a list of endpoints, or (neither) everything."""

    namespace: str | None = None
    endpoints: frozenset[str] | None = None

    def covers(self, endpoint: str) -> bool:
        if self.endpoints is not None:
            return endpoint in self.endpoints
        if self.namespace is not None:
            return namespace_of(endpoint) == self.namespace
        return True

    @property
    def namespaces(self) -> frozenset[str] | None:
        """Namespaces to observe for this scope; None means "all the others watch"."""
        if self.endpoints is not None:
            return frozenset(namespace_of(e) for e in self.endpoints)
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
    steps: tuple[LadderStep, ...] = ()  # the escalation ladder, in order of `at`; replaces on_breach
    thrash_wakes_per_hour: int | None = None  # `thrash` for endpoints in scope (core/coldstarts.py)
    # A monthly budget (core/allowance.py): `daily_usd` is then the day's limit, today's allowance once
    # paced; `daily_given` says whether the file gave a daily budget too (it caps the allowance).
    monthly_usd: float | None = None
    daily_given: bool = True
    month_alert_at: tuple[float, ...] = ()  # thresholds `on: month`: fractions of monthly_usd
    month: MonthPace | None = None  # set by core.allowance.pace for the pass
    anomaly: AnomalyRule | None = None  # `spend_anomaly` detection (core/anomaly.py), off without it

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
    exempt: bool = False  # released by an operator from this budget's guard until its next day
    woken: bool = False  # latched to zero, woken by traffic: a `pause` step may still stop it

    @property
    def projected_usd(self) -> float:
        return self.spent_usd + self.future_usd


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    budget: Budget
    spent_usd: float
    projected_usd: float
    hourly_usd: float
    replicas: int
    step: int = 0  # the ladder step taken today (1-based), 0 for none or no ladder

    @property
    def headroom_usd(self) -> float:
        return self.budget.daily_usd - self.projected_usd


@dataclass
class BudgetReview:
    statuses: list[BudgetStatus] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    stops: list[StopDecision] = field(default_factory=list)
    caps: list[CapDecision] = field(default_factory=list)
    records: Records = field(default_factory=Records)  # a ladder's marks, its step alerts and audit

    @property
    def stop_alerts(self) -> tuple[Alert, ...]:
        """The alerts of the stops: written with their latches, before any call."""
        return tuple(a for a in self.alerts if a.kind == AlertKind.GUARD_ACTION)

    @property
    def notices(self) -> tuple[Alert, ...]:
        """Every other alert: thresholds, burn rate, replica caps."""
        return tuple(a for a in self.alerts if a.kind != AlertKind.GUARD_ACTION)


def one_budget_review(budget: Budget, costs: Iterable[EndpointCost], *, now: datetime, taken: int = 0) -> BudgetReview:
    """Thresholds and caps to alerts; a projection over budget to the fewest stops that bring it back."""
    in_scope = [c for c in costs if budget.scope.covers(c.endpoint)]
    status = BudgetStatus(
        budget,
        spent_usd=sum(c.spent_usd for c in in_scope),
        projected_usd=sum(c.projected_usd for c in in_scope),
        hourly_usd=sum(c.hourly_usd for c in in_scope if not c.latched),
        replicas=sum(c.billed_replicas for c in in_scope),
    )
    day = budget.day_of(now)
    outcome = BudgetReview(statuses=[status], alerts=_notices(status, day))
    if budget.steps:
        rung = _climb(status, in_scope, taken=taken, now=now)
        outcome.statuses = [replace(status, step=max(taken, rung.step))]
        _, day_end = budget.day_bounds(now)
        action = BreachAction(budget.steps[rung.step - 1].action.value) if rung.stop else BreachAction.PAUSE
        costs_by_key = {c.endpoint: c for c in in_scope}
        outcome.stops = [
            StopDecision(k, action, budget.name, rung.records.audit[0].reason, costs_by_key[k].future_usd, day_end)
            for k in rung.stop
        ]
        outcome.caps, outcome.records = list(rung.cap), rung.records
        return outcome
    if budget.on_breach == BreachAction.ALERT_ONLY:
        return outcome
    chosen, why = _stops(status, in_scope)
    if not chosen:
        return outcome
    _, day_end = budget.day_bounds(now)
    reason = f"budget {budget.name}: {why}"
    outcome.stops = [
        StopDecision(c.endpoint, budget.on_breach, budget.name, reason, c.future_usd, day_end) for c in chosen
    ]
    saved = sum(c.future_usd for c in chosen)
    names = ", ".join(c.endpoint for c in chosen)
    # Keyed by the endpoints stopped too: a second stop later in the day is news, not a repeat.
    message = f"{budget.name}: {why}; stopped {names}, saving {dollars(saved)} by end of day"
    outcome.alerts.append(
        _alert(status, day, AlertKind.GUARD_ACTION, message, subject=f"{budget.name}:{names}", stops=outcome.stops)
    )
    return outcome


def _alert(
    status: BudgetStatus,
    day: date,
    kind: AlertKind,
    message: str,
    *,
    threshold: float | None = None,
    subject: str | None = None,
    stops: Iterable[StopDecision] = (),
    step: int | None = None,
) -> Alert:
    budget = status.budget
    return Alert(
        kind,
        subject or budget.name,
        day,
        message,
        threshold=threshold,
        budget=budget.name,
        daily_usd=budget.daily_usd,
        spent_usd=status.spent_usd,
        projected_usd=status.projected_usd,
        actions=tuple(stops),
        step=step,
    )


def _notices(status: BudgetStatus, day: date) -> list[Alert]:
    """Threshold, burn-rate and replica-cap alerts. Of several thresholds crossed at once only the
    highest is sent, naming the others: one jump is one message, not three."""
    budget, alerts = status.budget, []
    daily = dollars(budget.daily_usd)
    for kind, figure, verb in (
        (AlertKind.SPENT_THRESHOLD, status.spent_usd, "spent"),
        (AlertKind.PROJECTED_THRESHOLD, status.projected_usd, "projected"),
    ):
        crossed = [f for f in sorted(budget.alert_at) if figure >= f * budget.daily_usd]
        if crossed:
            top, below = crossed[-1], crossed[:-1]
            also = f" (also past {', '.join(f'{f:.0%}' for f in below)})" if below else ""
            message = f"{budget.name}: {verb} {dollars(figure)} reached {top:.0%} of {daily}{also}"
            alerts.append(_alert(status, day, kind, message, threshold=top))
    alerts.extend(_month_notices(status))
    if budget.max_hourly_usd is not None and status.hourly_usd > budget.max_hourly_usd:
        message = f"{budget.name}: burning {dollars(status.hourly_usd)}/h, over {dollars(budget.max_hourly_usd)}/h"
        alerts.append(_alert(status, day, AlertKind.BURN_RATE, message, threshold=budget.max_hourly_usd))
    if budget.max_replicas is not None and status.replicas > budget.max_replicas:
        message = f"{budget.name}: {status.replicas} replicas billed, over the cap of {budget.max_replicas}"
        alerts.append(_alert(status, day, AlertKind.REPLICA_CAP, message, threshold=float(budget.max_replicas)))
    return alerts


def _month_notices(status: BudgetStatus) -> list[Alert]:
    """Thresholds `on: month`: month to date and the month's forecast against `monthly_usd`, once per
    month (the alert's day is the 1st, its subject `<budget>:month`)."""
    budget, month = status.budget, status.budget.month
    alerts: list[Alert] = []
    if month is None or not budget.month_alert_at:
        return alerts
    monthly = dollars(month.monthly_usd)
    for kind, figure, verb in (
        (AlertKind.SPENT_THRESHOLD, month.spent_usd, "spent this month"),
        (AlertKind.PROJECTED_THRESHOLD, month.forecast_usd, "forecast for the month"),
    ):
        crossed = [f for f in sorted(budget.month_alert_at) if figure >= f * month.monthly_usd]
        if crossed:
            top = crossed[-1]
            message = f"{budget.name}: {verb} {dollars(figure)} reached {top:.0%} of the monthly {monthly}"
            alerts.append(_alert(status, month.month, kind, message, threshold=top, subject=f"{budget.name}:month"))
    return alerts


def _candidates(in_scope: Iterable[EndpointCost]) -> list[EndpointCost]:
    """What the guard may act on: unprotected, not latched, stable, with something left to bill."""
    return [c for c in in_scope if not (c.protected or c.latched or c.exempt) and c.stoppable and c.future_usd > 0]


def _guard_order(candidates: Iterable[EndpointCost]) -> list[EndpointCost]:
    """Lowest priority first, then the biggest burners, then by name."""
    return sorted(candidates, key=lambda c: (c.priority, -c.hourly_usd, -c.future_usd, c.endpoint))


def _climb(status: BudgetStatus, in_scope: list[EndpointCost], *, taken: int, now: datetime) -> Rung:
    """The ladder's step for this pass, if its figure reached a line above the step already taken."""
    budget = status.budget
    top = crossed(
        budget.steps,
        daily_usd=budget.daily_usd,
        spent_usd=status.spent_usd,
        projected_usd=status.projected_usd,
        month=budget.month,
    )
    if top <= taken:
        return Rung()
    step, day = budget.steps[top - 1], budget.day_of(now)
    _, day_end = budget.day_bounds(now)
    line = step.at * (budget.month.monthly_usd if step.on == Basis.MONTH and budget.month else budget.daily_usd)
    pausing = step.action == StepAction.PAUSE
    candidates = _guard_order(
        c
        for c in in_scope
        if not c.protected and (not c.latched or (pausing and c.woken)) and c.stoppable and c.future_usd > 0
    )
    remaining = status.projected_usd
    caps: list[CapDecision] = []
    stops: list[EndpointCost] = []
    figure = _step_figure(status, step.on) + f" reached ${line:.2f}"
    reason = f"budget {budget.name}: step {top} ({step.describe()}): {figure}"
    for cost in candidates:
        if step.action == StepAction.NOTIFY or (step.on == Basis.PROJECTED and remaining <= line):
            break
        if step.action == StepAction.CAP:
            assert step.max_replicas is not None  # the config requires it for a cap
            saved = cap_saving(cost.future_usd, cost.billed_replicas, step.max_replicas)
            if saved > 0:
                caps.append(CapDecision(cost.endpoint, budget.name, step.max_replicas, reason, saved, day_end))
                remaining -= saved
        else:
            stops.append(cost)
            remaining -= cost.future_usd
    acted = [f"capped {c.endpoint} at {c.max_replicas}" for c in caps] + [
        f"{step.action.value} {c.endpoint}" for c in stops
    ]
    message = step_message(budget.name, top, step, figure, list(range(taken + 1, top)), "; ".join(acted) or "no action")
    alert = _alert(status, day, AlertKind.GUARD_ACTION, message, threshold=step.at, subject=budget.name, step=top)
    entry = AuditEntry(now, f"budget:{budget.name}", f"step {top}: {step.action.value}", message, "ok", "", False)
    records = Records(audit=(entry,), alerts=(alert,), ladder=(LadderMark(budget.name, day, top, now),))
    return Rung(top, tuple(caps), tuple(c.endpoint for c in stops), records)


def _step_figure(status: BudgetStatus, on: Basis) -> str:
    if on == Basis.MONTH and status.budget.month is not None:
        return f"spent ${status.budget.month.spent_usd:.2f} this month"
    return f"spent ${status.spent_usd:.2f}" if on == Basis.SPENT else f"projected ${status.projected_usd:.2f}"


def _stops(status: BudgetStatus, in_scope: list[EndpointCost]) -> tuple[list[EndpointCost], str]:
    """Which endpoints to stop and why: all it can once spent reaches the budget; else, while the
    projection passes it, lowest priority first, then the biggest burners, then by name."""
    budget = status.budget
    candidates = _candidates(in_scope)
    if status.spent_usd >= budget.daily_usd:
        return candidates, f"spent {dollars(status.spent_usd)} reached {_limit(budget)} {dollars(budget.daily_usd)}"
    if status.projected_usd <= budget.daily_usd:
        return [], ""
    chosen = []
    remaining = status.projected_usd
    for cost in _guard_order(candidates):
        if remaining <= budget.daily_usd:
            break
        chosen.append(cost)
        remaining -= cost.future_usd
    return chosen, f"projected {dollars(status.projected_usd)} passes {_limit(budget)} {dollars(budget.daily_usd)}"


def _limit(budget: Budget) -> str:
    """What the day's limit is called: a monthly budget's is today's allowance (or its daily cap)."""
    if budget.month is not None and not (budget.daily_given and budget.daily_usd < budget.month.allowance_usd):
        return "today's allowance"
    return "the daily budget"


def budget_review(
    budgets: Iterable[Budget],
    costs: dict[str, list[EndpointCost]],
    *,
    now: datetime,
    ladder: Mapping[str, LadderMark] | None = None,
) -> BudgetReview:
    """Every budget; an endpoint in several budgets is stopped by the strictest (pause beats scale to
    zero) and capped by the lowest cap. `ladder`: the step each budget's ladder last took."""
    total = BudgetReview()
    by_endpoint: dict[str, StopDecision] = {}
    caps: dict[str, CapDecision] = {}
    for budget in budgets:
        taken = taken_step(ladder or {}, budget.name, budget.day_of(now))
        outcome = one_budget_review(budget, costs.get(budget.name, []), now=now, taken=taken)
        total.statuses.extend(outcome.statuses)
        total.alerts.extend(outcome.alerts)
        total.records += outcome.records
        for cap in outcome.caps:
            if cap.endpoint not in caps or cap.max_replicas < caps[cap.endpoint].max_replicas:
                caps[cap.endpoint] = cap
        for stop in outcome.stops:
            known = by_endpoint.get(stop.endpoint)
            if known is None or _strictness(stop) > _strictness(known):
                by_endpoint[stop.endpoint] = stop
    total.stops = sorted(by_endpoint.values(), key=lambda s: s.endpoint)
    total.caps = [c for k, c in sorted(caps.items()) if k not in by_endpoint]  # a stop beats a cap
    return total


def _strictness(stop: StopDecision) -> tuple[int, datetime]:
    return (1 if stop.action == BreachAction.PAUSE else 0, stop.until)


def earliest_day_end(budgets: Sequence[Budget], now: datetime) -> datetime:
    """The end of the earliest budget day under way at `now` (a day from now without budgets)."""
    return min((budget.day_bounds(now)[1] for budget in budgets), default=now + timedelta(days=1))
