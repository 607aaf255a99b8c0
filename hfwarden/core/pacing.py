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

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from hfwarden.core.rules import local_day_bounds

if TYPE_CHECKING:
    from hfwarden.core.budget import Budget


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def first_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def month_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The month containing `day` in `zone`: local midnight on the 1st to local midnight on the next 1st."""
    start, _ = local_day_bounds(first_of_month(day), zone)
    end, _ = local_day_bounds(first_of_next_month(day), zone)
    return start, end


def days_left(day: date) -> int:
    """Days of the month from `day` to its last, both included."""
    return (first_of_next_month(day) - day).days


def allowance(monthly_usd: float, spent_before_today_usd: float, day: date) -> float:
    """Today's share of what the month has left: never negative (an overspent month allows nothing)."""
    return max(0.0, monthly_usd - spent_before_today_usd) / days_left(day)


@dataclass(frozen=True, slots=True)
class MonthSpend:
    """A budget's month as the ledger and the projection see it at one moment (USD)."""

    spent_before_today_usd: float  # from the 1st to the start of today
    spent_usd: float  # month to date, today so far included
    future_usd: float  # projected from now to the month's end, schedule-aware


@dataclass(frozen=True, slots=True)
class MonthPace:
    """What a monthly budget's pass works with: its month figures and today's allowance."""

    monthly_usd: float
    month: date  # the 1st of the month, in the budget's zone
    spent_usd: float
    forecast_usd: float  # month to date + the schedule-aware projection to the month's end
    allowance_usd: float
    days_left: int  # today included


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
