"""Start-ups: measuring them from observations, their statistics, and the `prewarm: auto` lead. Pure.

A start-up runs from the moment an endpoint entered `pending`/`initializing` (its `updatedAt` at the
transition a pass saw; for hfwarden's own resume, the answer's `updatedAt`, which is the call's time)
to its first observation in `running` (at `updatedAt` when that changed between two observations, as
the ledger places changes). A start seen only once already `running`, or whose beginning hfwarden did
not see (the first observation of an endpoint ever is `initializing`), is not measured: a guess would
teach `prewarm: auto` the wrong lead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from hfwarden.core.endpoints import EndpointState, Observation

STARTING = frozenset({EndpointState.PENDING, EndpointState.INITIALIZING})
# Waking from zero goes straight to `initializing`; a `pending` after `scaledToZero` is a resume call.
WOKEN = frozenset({EndpointState.INITIALIZING, EndpointState.RUNNING})
LAST_SAMPLES = 20  # the statistics and the lead read the most recent 20 start-ups
MIN_SAMPLES = 3  # below this the lead is `prewarm_default`
MARGIN_MINUTES = 1
DEFAULT_PREWARM_MINUTES = 10
DEFAULT_PREWARM_MAX_MINUTES = 60


@dataclass(frozen=True, slots=True)
class StartupSample:
    """One measured start-up. `from_zero`: a wake from scale-to-zero; `usd` its cold-start cost."""

    endpoint: str
    instance: str
    started_at: datetime
    ready_at: datetime
    from_zero: bool = False
    usd: float = 0.0

    @property
    def seconds(self) -> float:
        return (self.ready_at - self.started_at).total_seconds()


@dataclass(frozen=True, slots=True)
class Watch:
    """What hfwarden last saw of an endpoint, and since when it has been starting (None: not starting,
    or starting since an unknown moment)."""

    endpoint: str
    state: str
    observed_at: datetime
    starting_since: datetime | None = None
    from_zero: bool = False


@dataclass(frozen=True, slots=True)
class Tracked:
    """One observation folded in: the new watch, a completed start-up, a wake from zero (its time)."""

    watch: Watch
    sample: StartupSample | None = None
    woke_at: datetime | None = None


def _changed_at(previous: Watch, observed: Observation, at: datetime) -> datetime:
    """When a change seen between two observations happened: `updatedAt` when it lies between them;
    otherwise this observation (for a start-up end: never shorter than what was seen)."""
    if previous.observed_at < observed.updated_at <= at:
        return observed.updated_at
    return at


def next_watch(previous: Watch | None, observed: Observation, *, at: datetime, price_per_hour: float | None) -> Tracked:
    """Fold one observation into an endpoint's watch: a start-up that ended, a wake from zero."""
    if previous is not None and at < previous.observed_at:
        return Tracked(previous)  # out of order: what is known already is newer
    state = observed.state
    fresh = Watch(observed.key, state, at)
    if previous is None:
        # The first sight of an endpoint: a `pending` one says when it started; anything else does not.
        since = observed.updated_at if state == EndpointState.PENDING else None
        return Tracked(Watch(observed.key, state, at, since))
    woke_at = None
    if previous.state == EndpointState.SCALED_TO_ZERO and state in WOKEN:
        woke_at = _changed_at(previous, observed, at)
    if state in STARTING:
        if previous.state in STARTING:
            return Tracked(Watch(observed.key, state, at, previous.starting_since, previous.from_zero))
        since = _changed_at(previous, observed, at)
        return Tracked(Watch(observed.key, state, at, since, woke_at is not None), woke_at=woke_at)
    if state != EndpointState.RUNNING or previous.state not in STARTING or previous.starting_since is None:
        return Tracked(fresh, woke_at=woke_at)
    ready_at = _changed_at(previous, observed, at)
    sample = StartupSample(observed.key, observed.instance, previous.starting_since, ready_at, previous.from_zero)
    if previous.from_zero:
        # Billed while initialising: the replicas it starts with, at the instance's price.
        cost = max(observed.billed_replicas, 1) * (price_per_hour or 0.0) * sample.seconds / 3600
        sample = StartupSample(sample.endpoint, sample.instance, sample.started_at, ready_at, True, cost)
    return Tracked(fresh, sample=sample if sample.seconds >= 0 else None)


# -- statistics -------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


Measured = float | timedelta | StartupSample


def _seconds(samples: Sequence[Measured]) -> list[float]:
    return [
        s.seconds if isinstance(s, StartupSample) else s.total_seconds() if isinstance(s, timedelta) else float(s)
        for s in samples
    ]


def recent(samples: Sequence[StartupSample], *, before: datetime | None = None) -> list[StartupSample]:
    """The last `LAST_SAMPLES` start-ups (by when they ended), only those ended before `before`."""
    kept = [s for s in samples if before is None or s.ready_at < before]
    return sorted(kept, key=lambda s: s.ready_at)[-LAST_SAMPLES:]


@dataclass(frozen=True, slots=True)
class StartupStats:
    """Typical (p50) and p90 start-up of the last 20, in seconds; None with no measurement."""

    count: int
    p50_s: float | None
    p90_s: float | None


def startup_stats(samples: Sequence[StartupSample]) -> StartupStats:
    seconds = _seconds(recent(samples))
    if not seconds:
        return StartupStats(0, None, None)
    return StartupStats(len(seconds), percentile(seconds, 50), percentile(seconds, 90))


# -- the lead of `prewarm: auto` --------------------------------------------------------------------


class LeadTime(NamedTuple):
    """How long before its ready-by time an endpoint is resumed, and where that figure came from."""

    minutes: int
    source: str


def _minutes(value: int | timedelta) -> int:
    return int(value.total_seconds() // 60) if isinstance(value, timedelta) else int(value)


def lead_time(
    samples: Sequence[Measured], default: int | timedelta, max: int | timedelta, *, basis: str = ""
) -> LeadTime:
    """p90 of the last 20 start-ups (seconds, durations or samples, oldest first) + 1 minute, rounded up to whole
    minutes and bounded by `max`; `default` with fewer than 3. Minutes throughout."""
    cap, fallback = _minutes(max), _minutes(default)
    seconds = _seconds(samples)[-LAST_SAMPLES:]
    if len(seconds) < MIN_SAMPLES:
        unit = "measurement" if len(seconds) == 1 else "measurements"
        return LeadTime(min(fallback, cap), f"prewarm_default, {len(seconds)} {unit}")
    p90 = percentile(seconds, 90)
    minutes = math.ceil(p90 / 60 - 1e-9) + MARGIN_MINUTES
    where = f" on {basis}" if basis else ""
    learnt = f"p90 of {len(seconds)} start-ups{where} + {MARGIN_MINUTES}m"
    if minutes > cap:
        return LeadTime(cap, f"prewarm_max (uncapped {minutes}m: {learnt})")
    return LeadTime(minutes, learnt)


def choose_lead(
    own: Sequence[StartupSample],
    same_hardware: Sequence[StartupSample],
    *,
    hardware: str,
    default: int,
    max: int,
    before: datetime | None = None,
) -> LeadTime:
    """The endpoint's own start-ups; with fewer than 3, those of other endpoints on the same instance
    type (a new endpoint on known hardware); with fewer than 3 of those too, `prewarm_default`."""
    mine = recent(own, before=before)
    if len(mine) < MIN_SAMPLES:
        others = recent(same_hardware, before=before)
        if len(others) >= MIN_SAMPLES:
            return lead_time(others, default, max, basis=hardware)
    return lead_time(mine, default, max)
