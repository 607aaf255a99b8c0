"""Where a replay may skip ahead: the minutes in which nothing but the bill moves. Pure.

A replay steps minute by minute, but most minutes change nothing: an endpoint scaled to zero that
gets no request, a paused one, or one at its floor serving every request at once with nothing
waiting, nothing starting and the autoscaler with nothing to do. This finds how far such a stretch
runs (up to the next configuration change) from the demand alone, so that the replay adds the
stretch up in one step instead of minute by minute: the same figures, a fraction of the work.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress

BLOCK = 32  # minutes per block whose busiest minute is kept: a quiet block is skipped whole


class Stretches:
    """The demand indexed for skipping: minutes with requests, each block's busiest minute, and the
    minutes at which the configuration changes."""

    def __init__(self, demand: Sequence[int], change_minutes: Iterable[int]) -> None:
        self.demand = demand
        self.end = len(demand)
        self.busy = list(compress(range(self.end), demand))  # the minutes with requests
        self.block_peak = [max(demand[at : at + BLOCK]) for at in range(0, self.end, BLOCK)]
        self.block_trough = [min(demand[at : at + BLOCK]) for at in range(0, self.end, BLOCK)]
        self.changes = sorted(change_minutes)

    def next_change(self, minute: int) -> int:
        """The first minute after `minute` at which the configuration changes (the end if none)."""
        index = bisect_right(self.changes, minute)
        return self.changes[index] if index < len(self.changes) else self.end

    def next_request(self, minute: int, end: int) -> int:
        """The first minute in [minute, end) with a request, or `end`."""
        index = bisect_left(self.busy, minute)
        return min(self.busy[index], end) if index < len(self.busy) else end

    def last_request(self, begin: int, end: int) -> int | None:
        """The last minute in [begin, end) with a request, if any."""
        index = bisect_left(self.busy, end) - 1
        return self.busy[index] if index >= 0 and self.busy[index] >= begin else None

    def first_above(self, minute: int, end: int, limit: int) -> int:
        """The first minute in [minute, end) with more than `limit` requests, or `end`."""
        demand, peaks = self.demand, self.block_peak
        while minute < end:
            if not minute % BLOCK and peaks[minute // BLOCK] <= limit:
                minute += BLOCK
            elif demand[minute] > limit:
                return minute
            else:
                minute += 1
        return end

    def steady_until(self, minute: int, end: int, high: int, watch: Watch) -> int:
        """The first minute in [minute, end) at which a running endpoint with its replicas all
        ready and nothing waiting may change (`end` if none): more than `high` requests, a
        scale-down evaluation whose whole window had at most `watch.low` requests, or the idle
        timeout reached. Every other minute leaves the autoscaler's state as it was."""
        demand, peaks, troughs = self.demand, self.block_peak, self.block_trough
        low, idle, last, (window, every, since) = watch.low, watch.idle, watch.last_request, watch.scale_down
        if idle is not None and idle <= 0:
            return minute  # every minute reaches the idle timeout
        skip_above = max(low, 0) if idle is not None else low  # a block above it: nothing to watch
        quiet = 0  # minutes with at most `low` requests, back from `minute` (up to the window)
        while quiet < window and minute - quiet > 0 and demand[minute - quiet - 1] <= low:
            quiet += 1
        while minute < end:
            if not minute % BLOCK and peaks[minute // BLOCK] <= high and troughs[minute // BLOCK] > skip_above:
                minute += BLOCK
                quiet, last = 0, minute - 1
                continue
            requests = demand[minute]
            if requests > high:
                return minute
            quiet = quiet + 1 if requests <= low else 0
            if requests:
                last = minute
            if idle is not None and minute - last >= idle:
                return minute
            if (quiet >= window or quiet > minute) and minute >= since and not minute % every:
                return minute
            minute += 1
        return end


@dataclass(frozen=True, slots=True)
class Watch:
    """What a steady running endpoint's autoscaler watches: a scale-down evaluation every `every`
    minutes from minute `since`, over `window` minutes, lets go of a replica when none had more
    than `low` requests (-1: none watched, at the floor); with min replicas 0, the idle timeout
    (`idle` minutes after `last_request`)."""

    low: int
    every: int
    window: int
    since: int
    idle: int | None
    last_request: int

    @property
    def scale_down(self) -> tuple[int, int, int]:
        return self.window, self.every, self.since


class Lows(dict[int, int]):
    """Replicas → the most requests a minute may bring for a scale-down evaluation to want fewer
    (the autoscaler's own ceil-division, searched, not re-derived)."""

    def __init__(self, unit: float) -> None:
        super().__init__()
        self.unit = unit

    def __missing__(self, replicas: int) -> int:
        def wanted(requests: int) -> int:
            return int(-(-requests // self.unit))

        low = max(0, math.floor(self.unit * (replicas - 1)))
        while low > 0 and wanted(low) >= replicas:
            low -= 1
        while wanted(low + 1) < replicas:
            low += 1
        self[replicas] = low
        return low
