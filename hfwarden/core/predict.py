"""Demand profiles and schedule recommendation. Pure: a trace's minutes in, rules out.

A profile is weekly, in local wall-clock slots (`SLOT_MINUTES`), separately for weekdays and the
weekend. Each slot gets a level: `PAUSE` where the training weeks saw no request at all, `ZERO`
(scale to zero, woken by traffic) where a high quantile of the per-minute need is nil but some
requests came, else that quantile as min replicas. Short stretches merge into a neighbour at the
higher level (never less capacity), levels rise `cold_start` minutes ahead, and each change becomes
one cron rule for all the days that share it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hfwarden.core.cron import parse_cron
from hfwarden.core.platform.autoscaling import DEFAULT_SCALE_TO_ZERO_TIMEOUT, replicas_needed
from hfwarden.core.rules import Action, ActionKind, EndpointSchedule, Rule
from hfwarden.core.windows import rule_id

SLOT_MINUTES = 15
DAY = 24 * 60
WEEK = 7 * DAY
SLOTS_PER_DAY = DAY // SLOT_MINUTES
PAUSE, ZERO = -1, 0  # levels below one replica
WEEKEND = (5, 6)  # Python weekdays: Saturday, Sunday
MIN_STRETCH_MINUTES = 60  # shorter stretches merge into a neighbour: few rules
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Slot:
    """What the training weeks saw in one slot of one kind of day."""

    minutes: int
    requests: int
    peak_need: int
    level: int


@dataclass(frozen=True, slots=True)
class Change:
    """From `minute_of_week` (local, Monday 00:00 = 0) the endpoint runs at `level` until the next change."""

    minute_of_week: int
    level: int
    after: int  # the level of the stretch before
    peak_need: int  # the busiest training minute of the stretch it starts, in replicas
    requests_per_hour: float  # its mean demand in training


@dataclass(frozen=True, slots=True)
class Recommendation:
    zone: ZoneInfo
    max_replicas: int
    quantile: float
    cold_start_minutes: int
    changes: tuple[Change, ...]  # in week order

    def action(self, change: Change) -> Action:
        timeout = DEFAULT_SCALE_TO_ZERO_TIMEOUT
        if change.level == PAUSE:
            return Action(ActionKind.PAUSE)
        if change.level == ZERO and change.after == PAUSE:
            # `scale_to_zero` leaves a paused endpoint paused (the daemon never wakes what is paused):
            # resume it with no floor instead, and it idles back to zero until traffic comes.
            return Action(
                ActionKind.RESUME, min_replicas=0, max_replicas=self.max_replicas, scale_to_zero_timeout=timeout
            )
        if change.level == ZERO:
            return Action(ActionKind.SCALE_TO_ZERO, scale_to_zero_timeout=timeout)
        return Action(ActionKind.RESUME, min_replicas=change.level, max_replicas=self.max_replicas)

    def rules(self) -> list[tuple[str, Change, tuple[int, ...]]]:
        """One cron expression per (time of day, level), with the days it fires on (0 = Monday) and the
        first change it stands for."""
        grouped: dict[tuple[int, int, bool], list[Change]] = {}
        for change in self.changes:
            minute = change.minute_of_week % DAY
            grouped.setdefault((minute, change.level, change.after == PAUSE), []).append(change)
        found = []
        for (minute, _level, _woken), changes in sorted(grouped.items()):
            days = tuple(sorted(c.minute_of_week // DAY for c in changes))
            cron_days = ",".join(str((d + 1) % 7) for d in days)  # cron counts Sunday as 0
            found.append((f"{minute % 60} {minute // 60} * * {compress_days(cron_days)}", changes[0], days))
        return found

    def schedule(self, namespace: str, name: str) -> EndpointSchedule:
        """The recommendation as the daemon would load it."""
        key = f"{namespace}/{name}"
        rules = []
        for number, (expression, change, _days) in enumerate(self.rules(), start=1):
            action = self.action(change)
            rules.append(
                Rule(
                    rule_id(key, expression, str(self.zone), action), number, parse_cron(expression), self.zone, action
                )
            )
        return EndpointSchedule(namespace, name, tuple(rules), self.zone)


def compress_days(cron_days: str) -> str:
    """`1,2,3,4,5` as `1-5`: runs of three or more days become ranges."""
    days = sorted(int(d) for d in cron_days.split(","))
    parts: list[str] = []
    run = [days[0]]
    for day in days[1:]:
        if day == run[-1] + 1:
            run.append(day)
            continue
        parts.append(_run_text(run))
        run = [day]
    parts.append(_run_text(run))
    return ",".join(parts)


def _run_text(run: list[int]) -> str:
    return f"{run[0]}-{run[-1]}" if len(run) >= 3 else ",".join(map(str, run))


def local_minutes_of_week(start: datetime, count: int, zone: ZoneInfo) -> list[int]:
    """The local minute of the week (Monday 00:00 = 0) of each minute from `start`; offsets may
    change at DST, so the zone is asked once per hour of the trace rather than assumed fixed."""
    found: list[int] = []
    for hour in range(0, count, 60):
        local = (start + timedelta(minutes=hour)).astimezone(zone)
        base = local.weekday() * DAY + local.hour * 60 + local.minute
        found.extend((base + m) % WEEK for m in range(min(60, count - hour)))
    return found


def _group(minute_of_week: int) -> int:
    return 1 if minute_of_week // DAY in WEEKEND else 0


def _quantile(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def profile(
    demand: Sequence[int], minutes_of_week: Sequence[int], capacity_rpm: float, quantile: float
) -> list[list[Slot]]:
    """Per kind of day (weekday, weekend), the slots of a day with their level."""
    needs: list[list[list[int]]] = [[[] for _ in range(SLOTS_PER_DAY)] for _ in range(2)]
    requests = [[0] * SLOTS_PER_DAY for _ in range(2)]
    for requested, moment in zip(demand, minutes_of_week, strict=True):
        group, slot = _group(moment), (moment % DAY) // SLOT_MINUTES
        needs[group][slot].append(replicas_needed(requested, capacity_rpm))
        requests[group][slot] += requested
    found = []
    for group in range(2):
        slots = []
        for slot in range(SLOTS_PER_DAY):
            seen, total = needs[group][slot], requests[group][slot]
            level = PAUSE if not total else max(ZERO, _quantile(seen, quantile))
            slots.append(Slot(len(seen), total, max(seen, default=0), level))
        found.append(slots)
    return found


def weekly_levels(slots: list[list[Slot]]) -> list[int]:
    """The level of each slot of the week, Monday first."""
    return [s.level for day in range(7) for s in slots[1 if day in WEEKEND else 0]]


def merge_short(levels: list[int], min_slots: int) -> list[int]:
    """Merge stretches shorter than `min_slots` into a neighbour, shortest first, until none is left or
    the week is one stretch. A dip or a step rises to the nearest level above it; a short peak comes
    down to its higher neighbour only while that still runs replicas (a short burst in a stopped
    stretch is kept: stopping where traffic comes saves nothing worth a rule). The week wraps around."""
    levels, kept = list(levels), set[int]()
    while True:
        runs = [(s, n) for s, n in _runs(levels) if n < min_slots and s not in kept]
        if len(_runs(levels)) <= 1 or not runs:
            return levels
        start, length = min(runs, key=lambda r: r[1])
        here = levels[start]
        before, after = levels[(start - 1) % len(levels)], levels[(start + length) % len(levels)]
        higher = [n for n in (before, after) if n > here]
        # A dip or a step rises to the nearest level above it; a peak comes down to its higher neighbour.
        target = min(higher) if higher else max(before, after)
        if target < 1 <= here or target == here:
            kept.add(start)
            continue
        for i in range(start, start + length):
            levels[i % len(levels)] = target


def _runs(levels: list[int]) -> list[tuple[int, int]]:
    """(start, length) of each stretch of equal levels, the week wrapping around."""
    size = len(levels)
    first = next((i for i in range(size) if levels[i] != levels[i - 1]), None)
    if first is None:
        return [(0, size)]
    runs: list[tuple[int, int]] = []
    start = first
    for step in range(1, size + 1):
        i = (first + step) % size
        if levels[i] != levels[(i - 1) % size] or step == size:
            runs.append((start, (i - start) % size or size))
            start = i
    return runs


def prewarmed(levels: list[int], cold_start: int) -> list[int]:
    """Per minute of the week, each level raised `cold_start` minutes before it is needed."""
    per_minute = [level for level in levels for _ in range(SLOT_MINUTES)]
    return [max(per_minute[(m + k) % WEEK] for k in range(cold_start + 1)) for m in range(WEEK)]


def _stretch_figures(slots: list[list[Slot]], begin: int, end: int) -> tuple[int, float]:
    """Busiest minute (in replicas) and mean requests per hour of the week's minutes [begin, end)."""
    peak, requests, minutes = 0, 0, 0
    for slot_index in range(begin // SLOT_MINUTES, -(-end // SLOT_MINUTES)):
        day, slot = divmod(slot_index % (7 * SLOTS_PER_DAY), SLOTS_PER_DAY)
        seen = slots[1 if day in WEEKEND else 0][slot]
        peak, requests, minutes = max(peak, seen.peak_need), requests + seen.requests, minutes + seen.minutes
    return peak, 60.0 * requests / minutes if minutes else 0.0


def changes_of(per_minute: list[int], slots: list[list[Slot]]) -> tuple[Change, ...]:
    """Where the weekly levels change, with the figures behind each stretch."""
    starts = [m for m in range(WEEK) if per_minute[m] != per_minute[m - 1]] or [0]
    found = []
    for i, begin in enumerate(starts):
        end = starts[(i + 1) % len(starts)]
        end = end if end > begin else end + WEEK
        peak, rate = _stretch_figures(slots, begin, end)
        found.append(Change(begin, per_minute[begin], per_minute[begin - 1], peak, rate))
    return tuple(found)


def recommend(
    demand: Sequence[int],
    minutes_of_week: Sequence[int],
    *,
    capacity_rpm: float,
    quantile: float,
    cold_start_minutes: int,
    zone: ZoneInfo,
    max_replicas: int,
) -> Recommendation:
    """A weekly schedule for `demand` (training minutes, with their local minute of the week)."""
    slots = profile(demand, minutes_of_week, capacity_rpm, quantile)
    levels = [min(level, max_replicas) for level in weekly_levels(slots)]
    levels = merge_short(levels, MIN_STRETCH_MINUTES // SLOT_MINUTES)
    per_minute = prewarmed(levels, cold_start_minutes)
    return Recommendation(zone, max_replicas, quantile, cold_start_minutes, changes_of(per_minute, slots))
