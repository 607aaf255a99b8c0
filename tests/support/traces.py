"""Seeded generators of per-minute request traces, written as the CSV `backtest` and `recommend` read."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

# Requests per minute expected at a local time (weekday 0 = Monday, minute of the day).
Shape = Callable[[int, int], float]


def business_hours(rate: float = 300.0) -> Shape:
    """Nothing at night or at weekends; a surge at 09:00 that settles by 10:00; a lunch dip 12:00-13:30;
    the day ends at 18:00."""

    def shape(weekday: int, minute: int) -> float:
        if weekday >= 5 or not 9 * 60 <= minute < 18 * 60:
            return 0.0
        if minute < 10 * 60:
            return rate * (1.6 - 0.6 * (minute - 540) / 60)
        if 12 * 60 <= minute < 13 * 60 + 30:
            return rate * 0.35
        return rate

    return shape


def diurnal(peak: float = 200.0, night: float = 0.3) -> Shape:
    """Never idle: a smooth daily wave from `night` × peak at 04:00 to the peak at 16:00, quieter weekends."""

    def shape(weekday: int, minute: int) -> float:
        wave = night + (1 - night) * (1 - math.cos(2 * math.pi * (minute - 240) / 1440)) / 2
        return peak * wave * (0.6 if weekday >= 5 else 1.0)

    return shape


def nightly_batch(rate: float = 400.0) -> Shape:
    """A batch job 02:00-02:45 every day, a trickle of requests in office hours, nothing else."""

    def shape(weekday: int, minute: int) -> float:
        if 120 <= minute < 165:
            return rate
        return 0.05 if weekday < 5 and 9 * 60 <= minute < 17 * 60 else 0.0

    return shape


def office_with_nightly_job(rate: float = 300.0, job_requests: int = 10) -> Shape:
    """Business hours, and a nightly job of about `job_requests` requests between 03:00 and 03:30."""
    office = business_hours(rate)

    def shape(weekday: int, minute: int) -> float:
        if 180 <= minute < 210:
            return job_requests / 30
        return office(weekday, minute)

    return shape


def weekday_scaled(rate: float = 60.0, factors: tuple[float, ...] = (5, 4, 3, 2, 1, 0, 0)) -> Shape:
    """Business hours whose level depends on the weekday: Monday 5× Friday by default."""
    office = business_hours(1.0)

    def shape(weekday: int, minute: int) -> float:
        return rate * factors[weekday] * office(weekday, minute)

    return shape


def poisson_bursts(seed: int, *, base: float = 20.0, burst: float = 300.0, per_day: float = 6.0) -> Shape:
    """No weekly pattern: a steady trickle plus bursts (10-40 minutes at `burst` requests/minute)
    starting at random, about `per_day` a day. The bursts are drawn per minute of the week from
    `seed`, so every week differs only through the generator's own draw of the next ones."""
    rng = random.Random(seed)
    on: dict[tuple[int, int], bool] = {}
    state = {"left": 0, "week": 0, "last": -1}

    def shape(weekday: int, minute: int) -> float:
        moment = weekday * 1440 + minute
        if moment < state["last"]:
            state["week"] += 1
        state["last"] = moment
        key = (state["week"], moment)
        if key not in on:
            if state["left"] <= 0 and rng.random() < per_day / 1440:
                state["left"] = rng.randint(10, 40)
            on[key] = state["left"] > 0
            state["left"] -= 1
        return base + (burst if on[key] else 0.0)

    return shape


def generate(
    shape: Shape,
    *,
    weeks: int,
    zone: str,
    seed: int,
    start: datetime | None = None,
    quiet_days: frozenset[date] = frozenset(),
) -> list[tuple[str, int]]:
    """`weeks` of minutes from `start` (wall-clock time in `zone`; default Monday 5 January 2026):
    Poisson-like counts around the shape, each minute jittered by ±15 %; timestamps in the zone's
    offset of the moment (it changes at DST). `quiet_days` (local dates) have no traffic: holidays."""
    rng = random.Random(seed)
    tz = ZoneInfo(zone)
    first = (start or datetime(2026, 1, 5, tzinfo=tz)).replace(tzinfo=tz)
    rows = []
    moment = first.astimezone(ZoneInfo("UTC"))
    for _ in range(weeks * 7 * 1440):
        local = moment.astimezone(tz)
        mean = shape(local.weekday(), local.hour * 60 + local.minute) * rng.uniform(0.85, 1.15)
        if local.date() in quiet_days:
            mean = 0.0
        count = 0 if mean <= 0 else max(0, round(rng.gauss(mean, math.sqrt(mean))))
        rows.append((local.isoformat(), count))
        moment += timedelta(minutes=1)
    return rows


def write(path: Path, rows: list[tuple[str, int]]) -> Path:
    path.write_text("minute_start,requests\n" + "".join(f"{at},{n}\n" for at, n in rows))
    return path
