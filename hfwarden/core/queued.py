"""The fewest pinned replicas under which a slot's queue stays within the SLO. Pure.

A pinned level is all a slot gets (no autoscaler above it), and requests wait in a FIFO queue
(core/platform/queueing.py): a minute a few requests above its replicas' capacity is not a failure,
the excess is served in the next seconds; what fails is a request served later than the SLO. With
`L` replicas serving `room` requests a minute, the queue is a random walk that moves by each
minute's requests less `room`, held at zero. When the minutes' requests have mean `mean` below
`room` and variance `variance`, the heavy-traffic (Brownian) approximation of such a queue (Kingman)
makes the queue about exponential with mean `variance / (2 (room - mean))`; a request is late when
the queue ahead of it holds more than `slo_s` of the replicas' service (`room * slo_s / 60`). So
the share of late requests is about `exp(-2 (room - mean) (room * slo_s / 60) / variance)`, and
`queue_level` is the fewest replicas keeping it within `late_share`. With `room` at or under the
mean the queue grows without end: never enough.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def late_share(mean: float, variance: float, room: int, slo_s: float) -> float:
    """About the share of requests served later than `slo_s` when `room` requests a minute are served
    and the minutes' requests are independent draws of that mean and variance."""
    drift = room - mean
    if drift <= 0:
        return 1.0
    if variance == 0:
        return 0.0
    return math.exp(-2.0 * drift * (room * slo_s / 60.0) / variance)


def queue_level(requests: Sequence[int], capacity_rpm: float, slo_s: float, share: float) -> int:
    """The fewest replicas (full capacity, requests queued) whose late share stays within `share`;
    at most the replicas the busiest minute needs, which nothing waits under."""
    top = math.ceil(max(requests, default=0) / capacity_rpm - 1e-9)
    if top <= 1:
        return top
    mean = sum(requests) / len(requests)
    variance = sum((r - mean) ** 2 for r in requests) / len(requests)
    for level in range(max(1, math.floor(mean / capacity_rpm)), top):
        if late_share(mean, variance, int(level * capacity_rpm), slo_s) <= share:
            return level
    return top
