"""Requests queued and served minute by minute, first in first out: the replay's queue. Pure.

Within a minute, arrivals and service are spread evenly (a fluid queue), so a request's wait is
known to the second: the last arrivals of a busy minute, served first the next minute, wait
seconds, not a minute.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


def above(w0: float, w1: float, limit: float) -> float:
    """The share of a chunk whose waits run linearly from `w0` to `w1` that waited more than `limit`."""
    low, high = min(w0, w1), max(w0, w1)
    if low > limit:
        return 1.0
    if high <= limit:
        return 0.0
    return (high - limit) / (high - low)


@dataclass(slots=True)
class Queue:
    """Requests waiting, oldest first: [arrival minute, waiting, arrived that minute, position of the
    first waiting one among them]. Within a minute, arrivals and service are spread evenly (a fluid
    queue), so a request's wait is exact to the second under that assumption: the last arrivals of
    a busy minute, served first the next minute, wait seconds, not a minute."""

    slo_s: float
    cohorts: deque[list[int]] = field(default_factory=deque)
    size: int = 0
    waits: dict[int, int] = field(default_factory=dict)  # seconds waited (a chunk's mean) → requests
    delayed: float = 0.0  # requests that waited at all
    rejected: int = 0
    late: float = 0.0

    def _record(self, base: float, first: int, last: int, arrived: int, position: int, room: int) -> None:
        """Requests [first, last) of a minute's `arrived`, served from `position` of the `room` served
        this minute, `base` seconds of whole minutes after they arrived."""
        w0 = base + 60.0 * position / room - 60.0 * first / arrived
        w1 = base + 60.0 * (position + last - first) / room - 60.0 * last / arrived
        count = last - first
        self.delayed += above(w0, w1, 0.0) * count
        self.late += above(w0, w1, self.slo_s) * count
        mean = max(0, round((w0 + w1) / 2))
        self.waits[mean] = self.waits.get(mean, 0) + count

    def minute(self, requests: int, room: int, minute: int) -> None:
        """Serve a minute: those waiting first, then the minute's own arrivals; the rest wait."""
        position, cohorts = 0, self.cohorts
        while cohorts and position < room:
            cohort = cohorts[0]
            taken = min(cohort[1], room - position)
            self._record(60.0 * (minute - cohort[0]), cohort[3], cohort[3] + taken, cohort[2], position, room)
            position += taken
            cohort[1] -= taken
            cohort[3] += taken
            if not cohort[1]:
                cohorts.popleft()
        self.size -= position
        now = min(requests, room - position)
        if now and (position or requests > room):
            self._record(0.0, 0, now, requests, position, room)
        elif now:
            self.waits[0] = self.waits.get(0, 0) + now
        if requests > now:
            self.add(requests - now, minute, requests)

    def add(self, waiting: int, minute: int, arrived: int) -> None:
        self.cohorts.append([minute, waiting, arrived, arrived - waiting])
        self.size += waiting

    def expire(self, minute: int, hold_minutes: float) -> None:
        """Requests held longer than the proxy holds them while nothing is ready: 503."""
        while self.cohorts and minute - self.cohorts[0][0] >= hold_minutes:
            dropped = self.cohorts.popleft()[1]
            self.size -= dropped
            self.rejected += dropped

    def reject_all(self) -> None:
        self.expire(1 << 62, 0)
