"""Cold starts: wakes from scale-to-zero, what they cost, and the `thrash` alert. Pure.

A wake is an observed `scaledToZero` → `initializing`/`running` (core/startups.py `next_watch`); its cold
start is the billed time spent initialising before `running` (only measured when a pass saw
`initializing`), at the replicas it started with and the instance's price.

`thrash` fires, once per endpoint and day, when an endpoint woke from zero N times in the last hour
(`thrash_wakes_per_hour`: the endpoint's, else the lowest of the budgets covering it, else 3), or when
the day's cold starts cost more than one warm replica would have over the hours they happened in.
Either way the endpoint would be cheaper, or as cheap and never cold, with a floor of one replica in
those hours, and the alert says which hours and what to set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.rules import local_day_bounds
from hfwarden.core.startups import StartupSample

DEFAULT_THRASH_WAKES_PER_HOUR = 3
HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class ColdStarts:
    """One endpoint's wakes and cold starts in its local day so far."""

    endpoint: str
    day: date
    wakes_today: int
    wakes_last_hour: int
    cold_start_usd: float
    hours: tuple[int, ...]  # local hours of the day (0-23) in which it woke
    cold_start_seconds: float = 0.0  # billed seconds initialising, summed over the measured wakes

    def floor_usd(self, price_per_hour: float) -> float:
        """What one replica kept warm over those hours would have cost."""
        return len(self.hours) * price_per_hour


def cold_starts(
    endpoint: str,
    wakes: Sequence[datetime],
    samples: Sequence[StartupSample],
    *,
    zone: ZoneInfo,
    now: datetime,
) -> ColdStarts:
    """Count the wakes (up to `now`) of the endpoint's local day and of the last hour; add up the
    cold-start cost of the wakes that began today."""
    day = now.astimezone(zone).date()
    start, _ = local_day_bounds(day, zone)
    today = sorted(w for w in wakes if start <= w <= now)
    last_hour = sum(1 for w in wakes if now - HOUR < w <= now)
    cold = [s for s in samples if s.from_zero and s.endpoint == endpoint and start <= s.started_at <= now]
    hours = tuple(sorted({w.astimezone(zone).hour for w in today}))
    cost, seconds = sum(s.usd for s in cold), sum(s.seconds for s in cold)
    return ColdStarts(endpoint, day, len(today), last_hour, cost, hours, seconds)


def hour_ranges(hours: Sequence[int]) -> str:
    """`10:00-12:00, 15:00-16:00` from hours 10, 11 and 15."""
    ranges: list[list[int]] = []
    for hour in sorted(hours):
        if ranges and hour == ranges[-1][1]:
            ranges[-1][1] = hour + 1
        else:
            ranges.append([hour, hour + 1])
    return ", ".join(f"{a:02d}:00-{b:02d}:00" for a, b in ranges)


def thrash_alert(figures: ColdStarts, *, price_per_hour: float | None, wakes_per_hour: int) -> Alert | None:
    """`thrash` when the endpoint woke `wakes_per_hour` times in the last hour, or its cold starts
    today cost more than a warm floor of one replica over the same hours; None otherwise."""
    floor = figures.floor_usd(price_per_hour) if price_per_hour is not None else None
    too_often = figures.wakes_last_hour >= wakes_per_hour
    too_dear = floor is not None and figures.cold_start_usd > floor > 0
    if not (too_often or too_dear):
        return None
    hours = hour_ranges(figures.hours)
    why = (
        f"woke from zero {figures.wakes_last_hour} times in the last hour (threshold {wakes_per_hour})"
        if too_often
        else f"cold starts cost ${figures.cold_start_usd:.2f} today"
    )
    floor_text = "" if floor is None else f", against ${floor:.2f} for one warm replica over those hours"
    message = (
        f"{figures.endpoint} {why}: {figures.wakes_today} wakes today in {hours} (cold starts "
        f"${figures.cold_start_usd:.2f}{floor_text}). Set a floor of min_replicas: 1 during {hours} "
        f"(a window with `during: {{action: scale, min_replicas: 1}}`) or a longer scale_to_zero_timeout"
    )
    return Alert(
        AlertKind.THRASH,
        figures.endpoint,
        figures.day,
        message,
        threshold=float(wakes_per_hour),
        endpoint=figures.endpoint,
        spent_usd=figures.cold_start_usd,
    )
