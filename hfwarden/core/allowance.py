"""Monthly budgets paced by day. Pure.

A budget with `monthly_usd` gets a daily allowance: what is left of the month at the start of the
budget day, shared evenly over the days left (today included), all in the budget's zone. The
allowance stands in for `daily_usd` (the lower of the two when both are given), so thresholds and the
ladder act on it exactly as they act on a daily budget. It is fixed for the day: spend today is
judged against it, and tomorrow's allowance takes what today left or overspent.

The month starts at local midnight on the 1st; a month with a daylight-saving change is an hour
shorter or longer, and its days are counted as the calendar counts them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from hfwarden.core.budget import Budget, EndpointCost
from hfwarden.core.cost import future_cost
from hfwarden.core.endpoints import Observation
from hfwarden.core.months import MonthPace, days_left, first_of_month, month_bounds
from hfwarden.core.rules import EndpointSchedule


def allowance(monthly_usd: float, spent_before_today_usd: float, day: date) -> float:
    """Today's share of what the month has left: never negative (an overspent month allows nothing)."""
    return max(0.0, monthly_usd - spent_before_today_usd) / days_left(day)


@dataclass(frozen=True, slots=True)
class MonthSpend:
    """A budget's month as the ledger and the projection see it at one moment (USD)."""

    spent_before_today_usd: float  # from the 1st to the start of today
    spent_usd: float  # month to date, today so far included
    future_usd: float  # projected from now to the month's end, schedule-aware


def pace(budget: Budget, spend: MonthSpend, *, now: datetime) -> Budget:
    """The budget as today's pass applies it: `daily_usd` becomes today's allowance (or the given daily
    budget when that is lower), and `month` carries the figures status and alerts show. A budget
    without `monthly_usd` is returned unchanged."""
    if budget.monthly_usd is None:
        return budget
    day = budget.day_of(now)
    share = allowance(budget.monthly_usd, spend.spent_before_today_usd, day)
    month = MonthPace(
        monthly_usd=budget.monthly_usd,
        month=first_of_month(day),
        spent_usd=spend.spent_usd,
        forecast_usd=spend.spent_usd + spend.future_usd,
        allowance_usd=share,
        days_left=days_left(day),
    )
    limit = min(share, budget.daily_usd) if budget.daily_given else share
    return replace(budget, daily_usd=limit, month=month)


def planned(budget: Budget, *, month_forecast_usd: float, day: date) -> Budget:
    """The budget as `plan` shows it, knowing no spend: the month shared evenly over its days, and the
    schedules' cost of the whole month as its forecast."""
    if budget.monthly_usd is None:
        return budget
    share = budget.monthly_usd / days_left(first_of_month(day))
    month = MonthPace(budget.monthly_usd, first_of_month(day), 0.0, month_forecast_usd, share, days_left(day))
    limit = min(share, budget.daily_usd) if budget.daily_given else share
    return replace(budget, daily_usd=limit, month=month)


def paced_budgets(
    budgets: Sequence[Budget],
    costs: Mapping[str, Sequence[EndpointCost]],
    month_before: Mapping[str, float],
    schedules: Mapping[str, EndpointSchedule],
    observations: Mapping[str, Observation],
    prices: Mapping[str, float | None],
    *,
    now: datetime,
) -> list[Budget]:
    """Every budget as this pass applies it: a monthly one paced by `month_before` (its spend from the
    1st to the start of today), its forecast today's costs plus, for the days after today, each
    endpoint from what it bills now through its schedule (an undeclared one: held)."""
    paced = []
    for budget in budgets:
        if budget.monthly_usd is None:
            paced.append(budget)
            continue
        _, month_end = month_bounds(budget.day_of(now), budget.zone)
        _, day_end = budget.day_bounds(now)
        today = costs.get(budget.name, ())
        later = sum(
            future_cost(
                schedules.get(c.endpoint),
                observations.get(c.endpoint),
                now=day_end,
                day_end=month_end,
                price_per_hour=prices.get(c.endpoint) or 0.0,
                conservative=budget.conservative,
            )
            for c in today
        )
        before = month_before.get(budget.name, 0.0)
        spend = MonthSpend(before, before + sum(c.spent_usd for c in today), sum(c.future_usd for c in today) + later)
        paced.append(pace(budget, spend, now=now))
    return paced
