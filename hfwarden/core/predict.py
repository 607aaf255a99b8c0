"""Demand profiles and schedule recommendation. Pure: a trace's minutes in, weekly levels out.

A candidate is a kind of schedule: one profile per weekday, weekday/weekend profiles, or a flat
floor (`min_replicas` k everywhere, HF's autoscaler above it; k = 1 is plain autoscaling). A profile
is weekly, in local wall-clock slots (`SLOT_MINUTES`); each slot gets a level: `ZERO` (scale to
zero, woken by traffic) where the training weeks saw no request at all, else the candidate's
quantile of the per-minute need (replicas at the autoscaler's target utilisation; a pinned profile's
at full capacity, at most the slot's `queue_level`), at least one
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
from itertools import chain, groupby, repeat
from zoneinfo import ZoneInfo

from hfwarden.core.queued import queue_level
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
    max_replicas = min_replicas at the quantile of the need at full capacity (at most the slot's
    `queue_level`, where the queue serves the excess within the SLO), so HF's autoscaler
    (which adds a replica past its target utilisation) cannot add replicas the profile does not
    plan; an unpinned one sets floors at the need at the target utilisation and leaves the
    autoscaler headroom up to max_replicas."""

    kind: Kind
    quantile: float = 1.0
    floor: int = 0
    pinned: bool = False

    def describe(self) -> str:
        need = "full-capacity need or its queue level, pinned (max = min)" if self.pinned else "per-minute need"
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
        span = min(60, count - hour)
        found.extend(range(base, base + span) if base + span <= WEEK else ((base + m) % WEEK for m in range(span)))
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
    queue: Queueing,
) -> Needs:
    """Pool the learnt minutes (holidays left out) by the candidate's profiles."""
    found = pooled_needs(slot_minutes(demand, minutes_of_week, learnt), candidate, capacity_rpm, queue)
    return found[candidate.pinned]


def slot_minutes(demand: Sequence[int], minutes_of_week: Sequence[int], learnt: Sequence[bool]) -> list[list[int]]:
    """The requests (or any per-minute figure) of each learnt minute (holidays left out), per slot of the week."""
    found: list[list[int]] = [[] for _ in range(SLOTS_PER_WEEK)]
    for requested, moment, kept in zip(demand, minutes_of_week, learnt, strict=True):
        if kept:
            found[moment // SLOT_MINUTES].append(requested)
    return found


@dataclass(frozen=True, slots=True)
class Queueing:
    """How needs are counted: profiles with headroom at `utilisation` (HF's target); pinned ones at
    full capacity, lowered to `queue_level` where the queue keeps late requests within `late_share`."""

    utilisation: float
    slo_s: float
    late_share: float


def pooled_needs(
    minutes: list[list[int]], candidate: Candidate, capacity_rpm: float, queue: Queueing
) -> tuple[Needs, Needs]:
    """`slot_minutes` pooled by the candidate's profiles, as needs (with headroom, pinned). The need
    is a non-decreasing function of the requests, so the sorted requests give the sorted needs; a
    pinned need is at most its slot's `queue_level` (a minute over capacity may wait within the SLO)."""
    groups = 7 if candidate.kind == Kind.PER_WEEKDAY else 2
    days = [[d for d in range(7) if candidate.group(d) == g] for g in range(groups)]
    seen = [
        [sorted(chain.from_iterable(minutes[d * SLOTS_PER_DAY + s] for d in days[g])) for s in range(SLOTS_PER_DAY)]
        for g in range(groups)
    ]
    requests = tuple(tuple(sum(values) for values in row) for row in seen)
    peaks = tuple(
        tuple(math.ceil(values[-1] / capacity_rpm - 1e-9) if values and values[-1] else 0 for values in row)
        for row in seen
    )
    busiest = max((values[-1] for row in seen for values in row if values), default=0)
    unit = capacity_rpm * queue.utilisation
    need_of = [math.ceil(r / unit - 1e-9) for r in range(busiest + 1)]  # requests -> replicas, once each
    needs = tuple(tuple(tuple(map(need_of.__getitem__, values)) for values in row) for row in seen)
    full = [math.ceil(r / capacity_rpm - 1e-9) for r in range(busiest + 1)]
    tops = [[queue_level(values, capacity_rpm, queue.slo_s, queue.late_share) for values in row] for row in seen]
    pinned = tuple(
        tuple(tuple(min(full[r], top) for r in values) for values, top in zip(row, caps, strict=True))
        for row, caps in zip(seen, tops, strict=True)
    )
    return Needs(needs, requests, peaks), Needs(pinned, requests, peaks)


def weekly_slots(needs: Needs, candidate: Candidate, max_replicas: int) -> list[Slot]:
    """Each slot of the week, Monday first, with its level under the candidate."""
    levels = iter(weekly_levels(needs, candidate, max_replicas))
    return [
        Slot(len(seen), total, peak, next(levels))
        for day in range(7)
        for seen, total, peak in zip(
            needs.needs[candidate.group(day)], needs.requests[candidate.group(day)], needs.peaks[candidate.group(day)],
            strict=True,
        )
    ]  # fmt: skip


def weekly_levels(needs: Needs, candidate: Candidate, max_replicas: int) -> list[int]:
    """The level of each slot of the week, Monday first, under the candidate (a profile's days share it)."""
    if candidate.kind == Kind.FLAT:  # min_replicas 0 only where no request came: no 503s
        busy, idle = min(max(candidate.floor, 1), max_replicas), min(candidate.floor, max_replicas)
        profiles = [[busy if total else idle for total in requests] for requests in needs.requests]
    else:
        q = candidate.quantile
        profiles = [
            [
                min(max(1, seen[max(0, math.ceil(q * len(seen)) - 1)]), max_replicas) if total else ZERO
                for seen, total in zip(needed, requests, strict=True)
            ]
            for needed, requests in zip(needs.needs, needs.requests, strict=True)
        ]
    return [level for day in range(7) for level in profiles[candidate.group(day)]]


def merge_short(levels: list[int], min_slots: int) -> list[int]:
    """Merge stretches shorter than `min_slots` into a neighbour, shortest first, until none is left or
    the week is one stretch. A dip or a step rises to the nearest level above it; a short peak is kept
    (bringing it down would be less capacity where the training weeks needed it, and a burst between
    stretches at zero would wake from zero into 503s). Never less capacity. The week wraps."""
    size = len(levels)
    runs = [(start, length, levels[start]) for start, length in _runs(levels)]
    kept = set[int]()
    while True:
        short = [r for r in runs if r[1] < min_slots and r[0] not in kept]
        if len(runs) <= 1 or not short:
            break
        start, length, here = min(short, key=lambda r: r[1])
        at = next(i for i, r in enumerate(runs) if r[0] == start)
        before, after = runs[at - 1][2], runs[(at + 1) % len(runs)][2]
        higher = [n for n in (before, after) if n > here]
        if not higher:
            kept.add(start)
            continue
        runs[at] = (start, length, min(higher))
        runs = _joined(runs, size)
    week = [level for _start, length, level in runs for _ in range(length)]
    shift = (size - runs[0][0]) % size  # the list above begins at the first stretch's start
    return week[shift:] + week[:shift]


def _joined(runs: list[tuple[int, int, int]], size: int) -> list[tuple[int, int, int]]:
    """(start, length, level) of each stretch once neighbours at the same level are one: the
    stretches `_runs` would find on the levels (the same starts, in the same order)."""
    starts = [r for i, r in enumerate(runs) if r[2] != runs[i - 1][2]]
    if not starts:
        return [(0, size, runs[0][2])]
    following = starts[1:] + starts[:1]
    return [
        (start, (after[0] - start) % size or size, level)
        for (start, _n, level), after in zip(starts, following, strict=True)
    ]


def _runs(levels: list[int]) -> list[tuple[int, int]]:
    """(start, length) of each stretch of equal levels, the week wrapping around."""
    size = len(levels)
    first = next((i for i in range(size) if levels[i] != levels[i - 1]), None)
    if first is None:
        return [(0, size)]
    runs: list[tuple[int, int]] = []
    start = first
    for _level, run in groupby(levels[first:] + levels[:first]):
        length = len(list(run))
        runs.append((start % size, length))
        start += length
    return runs


def _rises(per_minute: Sequence[int]) -> list[int]:
    """The minutes whose level is above the minute before (the week wraps)."""
    befores = [per_minute[-1], *per_minute[:-1]]
    return [m for m, (level, before) in enumerate(zip(per_minute, befores, strict=True)) if level > before]


def prewarmed(per_minute: Sequence[int], lead: int) -> list[int]:
    """Per minute of the week, each level raised `lead` minutes before it is needed."""
    found = list(per_minute)
    for m in _rises(per_minute):  # a rise: the lead before it runs at its level (the week wraps)
        level = per_minute[m]
        for k in range(1, lead + 1):
            found[(m - k) % WEEK] = max(found[(m - k) % WEEK], level)
    return found


def drained(per_minute: list[int]) -> list[int]:
    """Each fall to zero one minute later: HF's scale-to-zero call stops the replicas at once, so
    requests still queued at the end of the last busy slot (less than a minute of work while they
    are within the SLO) are served first instead of being cut off."""
    found = list(per_minute)
    befores = [per_minute[-1], *per_minute[:-1]]
    pairs = enumerate(zip(per_minute, befores, strict=True))
    for m in [m for m, (level, before) in pairs if level == ZERO and before != ZERO]:
        found[m] = befores[m]
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


def slot_levels(needs: Needs, candidate: Candidate, max_replicas: int) -> tuple[list[Slot], list[int]]:
    """Each slot of the week, and the level of each once short stretches are merged."""
    slots = weekly_slots(needs, candidate, max_replicas)
    return slots, merge_short([s.level for s in slots], MIN_STRETCH_MINUTES // SLOT_MINUTES)


def minute_levels(levels: Sequence[int], lead: int) -> tuple[list[int], list[int]]:
    """Per minute of the week, from the slots' levels: the nominal level (`drained`) and the level
    run (`prewarmed`). Both worked out on the slots: a slot's first minute is the only one either
    can move, so the lists are the ones the per-minute functions give (a test checks it)."""
    nominal = list(chain.from_iterable(repeat(level, SLOT_MINUTES) for level in levels))
    rises = []
    for j, level in enumerate(levels):
        before = levels[j - 1]
        if level == ZERO and before != ZERO:
            nominal[j * SLOT_MINUTES] = before
        elif level > before:
            rises.append(j)
    run = list(nominal)
    for j in rises:
        level, m = levels[j], j * SLOT_MINUTES
        for k in range(1, lead + 1):
            run[(m - k) % WEEK] = max(run[(m - k) % WEEK], level)
    return nominal, run


def recommend(
    needs: Needs,
    candidate: Candidate,
    *,
    zone: ZoneInfo,
    max_replicas: int,
    lead_minutes: int,
) -> Recommendation:
    """A weekly schedule from the pooled training needs."""
    slots, levels = slot_levels(needs, candidate, max_replicas)
    nominal, run = minute_levels(levels, lead_minutes)
    return Recommendation(zone, max_replicas, candidate, lead_minutes, changes_of(nominal, slots), tuple(run))
