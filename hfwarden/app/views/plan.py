"""A day's plan: each endpoint's transitions on its own local day and what its schedule alone costs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hfwarden.adapters.prices import PriceBook
from hfwarden.config import Config
from hfwarden.core.allowance import planned
from hfwarden.core.budget import Budget
from hfwarden.core.cost import scheduled_cost
from hfwarden.core.formats import dollars, json_money
from hfwarden.core.ladder import LadderStep, crossed
from hfwarden.core.months import month_bounds
from hfwarden.core.readyby import AppliedLead
from hfwarden.core.rules import EndpointSchedule, Transition, local_day_bounds, transitions_between


@dataclass(frozen=True, slots=True)
class BudgetPlan:
    budget: Budget
    projected_usd: float
    unpriced: tuple[str, ...]

    @property
    def step(self) -> int:
        """The ladder step the schedules alone would reach (nothing is spent yet in a plan)."""
        budget = self.budget
        return crossed(budget.steps, daily_usd=budget.daily_usd, spent_usd=0.0, projected_usd=self.projected_usd)

    @property
    def over_budget(self) -> bool:
        return self.projected_usd > self.budget.daily_usd


@dataclass(frozen=True, slots=True)
class DayPlan:
    """What the schedules do on a day, each endpoint on its own local day."""

    day: date
    transitions: tuple[tuple[EndpointSchedule, Transition], ...]
    costs: Mapping[str, float | None]
    budgets: tuple[BudgetPlan, ...]
    skipped: Mapping[str, str] = field(default_factory=dict)  # endpoint → why its rules do not fire that day
    coverage: Mapping[str, list[str]] = field(default_factory=dict)  # match → endpoints it covers (last seen)
    leads: Mapping[str, AppliedLead] = field(default_factory=dict)  # rule id → lead of an auto opening

    def lead_of(self, transition: Transition) -> AppliedLead | None:
        """The `prewarm: auto` lead behind a transition, if it is an auto window's opening."""
        return self.leads.get(transition.rule.rule_id)

    @property
    def warnings(self) -> list[str]:
        return [
            f"the schedules alone cost {dollars(b.projected_usd)}, over budget {b.budget.name} "
            f"({dollars(b.budget.daily_usd)})"
            for b in self.budgets
            if b.over_budget
        ]


def plan_day(
    config: Config, *, prices: PriceBook, last_prices: Mapping[str, float], day: date | None, now: datetime
) -> DayPlan:
    """The plan of `day` (default: today where each endpoint lives); priced from `instance:`, else from
    what the daemon last observed (`last_prices`)."""
    rows: list[tuple[EndpointSchedule, Transition]] = []
    costs: dict[str, float | None] = {}
    skipped: dict[str, str] = {}
    for endpoint in config.endpoints:
        local_day = day or now.astimezone(endpoint.zone).date()
        why = endpoint.skipped(local_day)
        if why is not None:
            skipped[endpoint.key] = why
        start, end = local_day_bounds(local_day, endpoint.zone)
        rows.extend((endpoint, t) for t in transitions_between(endpoint, start, end))
        instance = config.instances.get(endpoint.key)
        price = prices.price(instance) if instance else last_prices.get(endpoint.key)
        costs[endpoint.key] = (
            None if price is None else scheduled_cost(endpoint, day_start=start, day_end=end, price_per_hour=price)
        )
    budgets = []
    for budget in config.budgets:
        covered = [k for k in costs if budget.scope.covers(k)]
        total = sum(c for k in covered if (c := costs[k]) is not None)
        budget = _monthly(config, budget, prices, last_prices, day or now.astimezone(budget.zone).date())
        budgets.append(BudgetPlan(budget, total, tuple(k for k in covered if costs[k] is None)))
    return DayPlan(
        day or now.astimezone(UTC).date(), tuple(rows), costs, tuple(budgets), skipped, dict(config.coverage)
    )


def _monthly(config: Config, budget: Budget, prices: PriceBook, last_prices: Mapping[str, float], day: date) -> Budget:
    """A monthly budget in a plan: its even daily share, and what the schedules alone cost in its month."""
    if budget.monthly_usd is None:
        return budget
    start, end = month_bounds(day, budget.zone)
    forecast = 0.0
    for endpoint in config.endpoints:
        instance = config.instances.get(endpoint.key)
        price = prices.price(instance) if instance else last_prices.get(endpoint.key)
        if price is not None and budget.scope.covers(endpoint.key):
            forecast += scheduled_cost(endpoint, day_start=start, day_end=end, price_per_hour=price)
    return planned(budget, month_forecast_usd=forecast, day=day)


def plan_document(plan: DayPlan) -> dict[str, Any]:
    """`plan --json` (and `/api/v1/plan`): see the README for the fields."""
    return {
        "date": plan.day.isoformat(),
        "transitions": [
            {
                "endpoint": endpoint.key,
                "at": t.at.astimezone(t.rule.zone).isoformat(),
                "at_utc": t.at.astimezone(UTC).isoformat(),
                "action": t.action.kind.value,
                "min_replicas": t.action.min_replicas,
                "max_replicas": t.action.max_replicas,
                "scale_to_zero_timeout": t.action.scale_to_zero_timeout,
                "rule": t.rule.number,
                "holiday": t.rule.holiday_only,
                **_lead_fields(plan.lead_of(t), t),
            }
            for endpoint, t in plan.transitions
        ],
        "skipped": [{"endpoint": k, "why": why} for k, why in sorted(plan.skipped.items())],
        "matches": [{"match": label, "endpoints": keys} for label, keys in plan.coverage.items()],
        "endpoints": [{"endpoint": k, "projected_usd": json_money(v)} for k, v in plan.costs.items()],
        "budgets": [
            {
                "name": b.budget.name,
                "daily_usd": json_money(b.budget.daily_usd),
                "projected_usd": json_money(b.projected_usd),
                "unpriced_endpoints": list(b.unpriced),
                "over_budget": b.over_budget,
                "step": ladder_step(b.budget.steps, b.step),
                **_month_fields(b.budget),
            }
            for b in plan.budgets
        ],
    }


def _month_fields(budget: Budget) -> dict[str, Any]:
    month = budget.month
    if month is None:
        return {}
    return {
        "monthly_usd": json_money(month.monthly_usd),
        "month_forecast_usd": json_money(month.forecast_usd),
        "allowance_usd": json_money(month.allowance_usd),
    }


def _lead_fields(lead: AppliedLead | None, t: Transition) -> dict[str, Any]:
    """An auto window's opening: when it must be running by, the lead, and where the lead came from."""
    if lead is None:
        return {"ready_by": None, "lead_minutes": None, "lead_source": None}
    ready_by = (t.at + timedelta(minutes=lead.lead.minutes)).astimezone(t.rule.zone)
    return {"ready_by": ready_by.isoformat(), "lead_minutes": lead.lead.minutes, "lead_source": lead.lead.source}


def lead_note(lead: AppliedLead | None, t: Transition) -> str:
    """`ready by 09:00: resume at 08:47 (lead 13m: p90 of 20 start-ups + 1m)`, or nothing."""
    if lead is None:
        return ""
    at = t.at.astimezone(t.rule.zone)
    ready_by = (t.at + timedelta(minutes=lead.lead.minutes)).astimezone(t.rule.zone)
    return (
        f"ready by {ready_by:%H:%M}: {t.action.kind.value} at {at:%H:%M} "
        f"(lead {lead.lead.minutes}m: {lead.lead.source})"
    )


def ladder_step(steps: Sequence[LadderStep], step: int) -> dict[str, Any] | None:
    """A budget's ladder step as JSON: `{"step": 2, "at": 1.2, "action": "cap", ...}`, None below step 1."""
    if not steps or step == 0:
        return None
    rung = steps[step - 1]
    return {"step": step, "at": rung.at, "action": rung.action.value, "max_replicas": rung.max_replicas, "on": rung.on}


def ladder_text(steps: Sequence[LadderStep], step: int) -> str:
    """`; ladder at step 2 of 4 (cap max_replicas 1 at 120%)`, or below step 1; nothing without a ladder."""
    if not steps:
        return ""
    if step == 0:
        return f"; ladder below step 1 of {len(steps)}"
    return f"; ladder at step {step} of {len(steps)} ({steps[step - 1].describe()})"
