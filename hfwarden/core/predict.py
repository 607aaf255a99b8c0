"""Demand profiles and schedule recommendation. Pure: a trace's minutes in, weekly levels out.

A candidate is a kind of schedule: one profile per weekday, weekday/weekend profiles, or a flat
floor (`min_replicas` k everywhere, HF's autoscaler above it; k = 1 is plain autoscaling). A profile
is weekly, in local wall-clock slots (`SLOT_MINUTES`); each slot gets a level: `ZERO` (scale to
zero, woken by traffic) where the training weeks saw no request at all, else the candidate's
quantile of the per-minute need (replicas at the autoscaler's target utilisation), at least one
replica: a slot that saw requests is never left to wake from zero, because HF answers 503 while a
replica wakes. Short stretches merge into a neighbour at the higher level, and each change becomes
one rule (or a ready-by window) for all the days that share it.

The hyper-parameters are fixed (no tuning to one trace): `SLOT_MINUTES`, `MIN_STRETCH_MINUTES`,
`QUANTILES`, `ZERO_IDLE_MINUTES` (see docs/predictions.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from hfwarden.core.rules import Action, ActionKind

SLOT_MINUTES = 15
DAY = 24 * 60
WEEK = 7 * DAY
SLOTS_PER_DAY = DAY // SLOT_MINUTES
SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY
ZERO = 0  # scale to zero: woken by traffic
WEEKEND = (5, 6)  # Python weekdays: Saturday, Sunday
MIN_STRETCH_MINUTES = 60  # shorter stretches merge into a neighbour: few rules
QUANTILES = (0.5, 0.75, 0.9, 0.95, 0.99, 1.0)  # of the per-minute need, per slot
# A pinned level is all the slot gets (no autoscaler above it): below its p90, a slot is over
# capacity a minute in four or more and the queue, with nothing to add replicas, grows with any
# busier week. So the pinned ladder starts at p90.
PINNED_QUANTILES = (0.9, 0.95, 0.99, 1.0)
ZERO_IDLE_MINUTES = 15  # the idle timeout a recommended scale-to-zero sets: a stray request's cost
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Kind(StrEnum):
    PER_WEEKDAY = "per_weekday"
    WEEKDAY_WEEKEND = "weekday_weekend"
    FLAT = "flat"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One kind of schedule: a profile at a quantile, or a flat floor. A `pinned` profile sets
    max_replicas = min_replicas at the quantile of the need at full capacity, so HF's autoscaler
    (which adds a replica past its target utilisation) cannot add replicas the profile does not
    plan; an unpinned one sets floors at the need at the target utilisation and leaves the
    autoscaler headroom up to max_replicas."""

    kind: Kind
    quantile: float = 1.0
    floor: int = 0
    pinned: bool = False

    def describe(self) -> str:
        need = "full-capacity need, pinned (max = min)" if self.pinned else "per-minute need"
        match self.kind:
            case Kind.PER_WEEKDAY:
                return f"one profile per weekday at p{self.quantile * 100:g} of the {need}"
            case Kind.WEEKDAY_WEEKEND:
                return f"weekday and weekend profiles at p{self.quantile * 100:g} of the {need}"
        if self.floor == 0:
            return "scale to zero where no request came, else plain autoscaling"
        if self.floor == 1:
            return "plain autoscaling (min_replicas 1)"
        return f"a flat floor of min_replicas {self.floor} with autoscaling above"

    def group(self, day: int) -> int:
        """Which profile a day (0 = Monday) belongs to."""
        if self.kind == Kind.PER_WEEKDAY:
            return day
        return 1 if day in WEEKEND else 0


@dataclass(frozen=True, slots=True)
class Slot:
    """What the training weeks saw in one slot of the week (pooled with the days of its profile)."""

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
    requests: int = 0  # its training requests, all weeks together
    end: int = 0  # minute of the week it ends at (may pass WEEK)


@dataclass(frozen=True, slots=True)
class Recommendation:
    zone: ZoneInfo
    max_replicas: int
    candidate: Candidate
    lead_minutes: int  # how far ahead of a rise the backtest assumed the endpoint is resumed
    changes: tuple[Change, ...]  # in week order, at their nominal (ready-by) minutes
    per_minute: tuple[int, ...]  # the level of each minute of the week, the lead applied

    def action(self, level: int) -> Action:
        if level == ZERO:
            return Action(ActionKind.SCALE_TO_ZERO, scale_to_zero_timeout=ZERO_IDLE_MINUTES)
        top = level if self.candidate.pinned else self.max_replicas
        return Action(ActionKind.RESUME, min_replicas=level, max_replicas=top)


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


def _quantile(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass(frozen=True, slots=True)
class Needs:
    """The training minutes of each slot of each profile: per-minute needs (sorted) and requests."""

    needs: tuple[tuple[tuple[int, ...], ...], ...]  # [group][slot] -> sorted needs
    requests: tuple[tuple[int, ...], ...]  # [group][slot]
    peaks: tuple[tuple[int, ...], ...]  # [group][slot] busiest minute at full capacity


def slot_needs(
    demand: Sequence[int],
    minutes_of_week: Sequence[int],
    learnt: Sequence[bool],
    candidate: Candidate,
    capacity_rpm: float,
    utilisation: float,
) -> Needs:
    """Pool the learnt minutes (holidays left out) by the candidate's profiles."""
    groups = 7 if candidate.kind == Kind.PER_WEEKDAY else 2
    # Weekly slot -> the slot of its profile, as one flat index.
    table = [candidate.group(s // SLOTS_PER_DAY) * SLOTS_PER_DAY + s % SLOTS_PER_DAY for s in range(SLOTS_PER_WEEK)]
    size = groups * SLOTS_PER_DAY
    needs: list[list[int]] = [[] for _ in range(size)]
    requests, peaks = [0] * size, [0] * size
    unit = capacity_rpm * utilisation
    for requested, moment, kept in zip(demand, minutes_of_week, learnt, strict=True):
        if not kept:
            continue
        at = table[moment // SLOT_MINUTES]
        if not requested:
            needs[at].append(0)
            continue
        needs[at].append(math.ceil(requested / unit - 1e-9))
        requests[at] += requested
        full = math.ceil(requested / capacity_rpm - 1e-9)
        if full > peaks[at]:
            peaks[at] = full
    rows = range(0, size, SLOTS_PER_DAY)
    return Needs(
        tuple(tuple(tuple(sorted(needs[r + s])) for s in range(SLOTS_PER_DAY)) for r in rows),
        tuple(tuple(requests[r : r + SLOTS_PER_DAY]) for r in rows),
        tuple(tuple(peaks[r : r + SLOTS_PER_DAY]) for r in rows),
    )


def weekly_slots(needs: Needs, candidate: Candidate, max_replicas: int) -> list[Slot]:
    """Each slot of the week, Monday first, with its level under the candidate."""
    found = []
    for day in range(7):
        group = candidate.group(day)
        for slot in range(SLOTS_PER_DAY):
            seen, total = needs.needs[group][slot], needs.requests[group][slot]
            if candidate.kind == Kind.FLAT:  # min_replicas 0 only where no request came: no 503s
                level = max(candidate.floor, 1) if total else candidate.floor
            elif not total:
                level = ZERO
            else:
                level = max(1, seen[max(0, math.ceil(candidate.quantile * len(seen)) - 1)])
            found.append(Slot(len(seen), total, needs.peaks[group][slot], min(level, max_replicas)))
    return found


def merge_short(levels: list[int], min_slots: int) -> list[int]:
    """Merge stretches shorter than `min_slots` into a neighbour, shortest first, until none is left or
    the week is one stretch. A dip or a step rises to the nearest level above it; a short peak is kept
    (bringing it down would be less capacity where the training weeks needed it, and a burst between
    stretches at zero would wake from zero into 503s). Never less capacity. The week wraps."""
    levels, kept = list(levels), set[int]()
    while True:
        every = _runs(levels)  # once per merge: the week's runs are most of a recommendation's CPU
        runs = [(s, n) for s, n in every if n < min_slots and s not in kept]
        if len(every) <= 1 or not runs:
            return levels
        start, length = min(runs, key=lambda r: r[1])
        here = levels[start]
        before, after = levels[(start - 1) % len(levels)], levels[(start + length) % len(levels)]
        higher = [n for n in (before, after) if n > here]
        if not higher:
            kept.add(start)
            continue
        target = min(higher)
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


def prewarmed(per_minute: Sequence[int], lead: int) -> list[int]:
    """Per minute of the week, each level raised `lead` minutes before it is needed."""
    found = list(per_minute)
    for m, level in enumerate(per_minute):
        if level > per_minute[m - 1]:  # a rise: the lead before it runs at its level (the week wraps)
            for k in range(1, lead + 1):
                found[(m - k) % WEEK] = max(found[(m - k) % WEEK], level)
    return found


def drained(per_minute: list[int]) -> list[int]:
    """Each fall to zero one minute later: HF's scale-to-zero call stops the replicas at once, so
    requests still queued at the end of the last busy slot (less than a minute of work while they
    are within the SLO) are served first instead of being cut off."""
    found = list(per_minute)
    for m, level in enumerate(per_minute):
        if level == ZERO and per_minute[m - 1] != ZERO:
            found[m] = per_minute[m - 1]
    return found


def changes_of(per_minute: list[int], slots: list[Slot]) -> tuple[Change, ...]:
    """Where the weekly levels change, with the figures behind each stretch."""
    starts = [m for m in range(WEEK) if per_minute[m] != per_minute[m - 1]] or [0]
    found = []
    for i, begin in enumerate(starts):
        end = starts[(i + 1) % len(starts)]
        end = end if end > begin else end + WEEK
        peak, requests, minutes = 0, 0, 0
        for index in range(begin // SLOT_MINUTES, -(-end // SLOT_MINUTES)):
            seen = slots[index % SLOTS_PER_WEEK]
            peak, requests, minutes = max(peak, seen.peak_need), requests + seen.requests, minutes + seen.minutes
        rate = 60.0 * requests / minutes if minutes else 0.0
        found.append(Change(begin, per_minute[begin], per_minute[begin - 1], peak, rate, requests, end))
    return tuple(found)


def recommend(
    needs: Needs,
    candidate: Candidate,
    *,
    zone: ZoneInfo,
    max_replicas: int,
    lead_minutes: int,
) -> Recommendation:
    """A weekly schedule from the pooled training needs."""
    slots = weekly_slots(needs, candidate, max_replicas)
    levels = merge_short([s.level for s in slots], MIN_STRETCH_MINUTES // SLOT_MINUTES)
    nominal = drained([level for level in levels for _ in range(SLOT_MINUTES)])
    return Recommendation(
        zone, max_replicas, candidate, lead_minutes, changes_of(nominal, slots), tuple(prewarmed(nominal, lead_minutes))
    )
