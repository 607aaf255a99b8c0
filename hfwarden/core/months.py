"""A budget's month: its bounds in the budget's zone, and the figures a paced day carries. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from hfwarden.core.rules import local_day_bounds


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


@dataclass(frozen=True, slots=True)
class MonthPace:
    """What a monthly budget's pass works with: its month figures and today's allowance."""

    monthly_usd: float
    month: date  # the 1st of the month, in the budget's zone
    spent_usd: float
    forecast_usd: float  # month to date + the schedule-aware projection to the month's end
    allowance_usd: float
    days_left: int  # today included
