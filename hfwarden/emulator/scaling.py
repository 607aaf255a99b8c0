"""One emulated endpoint's autoscaler on the emulator's event clock: HF's documented behaviour, from
the shared platform model (core/platform/autoscaling.py), as the backtest replays it.

- Scaling up is evaluated on whole minutes of the clock while traffic comes (`SCALE_UP_EVERY_S`):
  each evaluation looks at the last minute's requests and adds at most one replica
  (`scaled_up`), which starts (`init_seconds`) before it serves.
- Scaling down is checked every `SCALE_DOWN_EVERY_S` from `STABILISATION_S` after the last scale-up:
  the replicas no minute of the stabilisation window wanted go (`scaled_down`), those still
  starting first.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field

from hfwarden.core.platform.autoscaling import (
    SCALE_DOWN_EVERY_S,
    SCALE_UP_EVERY_S,
    STABILISATION_S,
    TRAFFIC_WINDOW_S,
    desired_replicas,
    scaled_down,
    scaled_up,
)


@dataclass
class Bounds:
    """What the autoscaler works within: the endpoint's replica bounds and a replica's capacity."""

    min_replicas: int
    max_replicas: int
    capacity_rpm: float


@dataclass
class Scaler:
    """Request times of the stabilisation window, replicas starting, and the next evaluations."""

    traffic: deque[float] = field(default_factory=deque)
    starting: list[float] = field(default_factory=list)  # when each starting replica is ready
    next_up_at: float | None = None
    next_down_at: float | None = None

    def reset(self) -> None:
        """Stopped, paused or restarted: nothing starting, nothing due, no traffic remembered."""
        self.traffic.clear()
        self.starting.clear()
        self.next_up_at = self.next_down_at = None

    def heard(self, now: float) -> None:
        """A request while running: remembered, and the next whole minute evaluates scaling up."""
        self.traffic.append(now)
        if self.next_up_at is None:
            self.next_up_at = (now // SCALE_UP_EVERY_S + 1) * SCALE_UP_EVERY_S

    def next_ready(self) -> float | None:
        return self.starting[0] if self.starting else None

    def _wanted(self, at: float, minutes_ago: int, bounds: Bounds) -> int:
        """What the minute ending `minutes_ago` minutes before `at` wanted at the target utilisation."""
        end = at - minutes_ago * TRAFFIC_WINDOW_S
        times = self.traffic
        count = bisect.bisect_right(times, end) - bisect.bisect_right(times, end - TRAFFIC_WINDOW_S)
        return desired_replicas(count, bounds.capacity_rpm, bounds.min_replicas, bounds.max_replicas)

    def _forget(self, at: float) -> None:
        while self.traffic and self.traffic[0] <= at - STABILISATION_S:
            self.traffic.popleft()

    def scale_up(self, at: float, target: int, bounds: Bounds, init_seconds: float) -> int:
        """One evaluation: the target after it (one replica more at most)."""
        self.next_up_at = None
        self._forget(at)
        wanted = self._wanted(at, 0, bounds)
        after = min(scaled_up(target, wanted), bounds.max_replicas)
        if after > target:
            self.starting.append(at + init_seconds)
            self.next_down_at = at + STABILISATION_S
            if wanted > after:
                self.next_up_at = at + SCALE_UP_EVERY_S
        return after

    def scale_down(self, at: float, target: int, bounds: Bounds) -> int:
        """One check: the target after it; replicas still starting go first."""
        self._forget(at)
        minutes = int(STABILISATION_S // TRAFFIC_WINDOW_S)
        lately = max(self._wanted(at, ago, bounds) for ago in range(minutes))
        after = scaled_down(target, lately)
        for _ in range(min(target - after, len(self.starting))):
            self.starting.pop()
        self.next_down_at = at + SCALE_DOWN_EVERY_S
        return after

    def replica_ready(self) -> None:
        self.starting.pop(0)
