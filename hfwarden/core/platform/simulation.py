"""A trace replayed minute by minute through the platform: HF's autoscaler, start-ups and a FIFO
queue of requests. Pure; imports nothing of hfwarden outside `core.platform`.

Each minute: the configuration changes due are applied (the caller turns a schedule's actions into
them), starting replicas that are ready join, then the minute's requests queue behind those still
waiting and the ready replicas serve `capacity_rpm` each, first in first out. A request served in
the minute it arrived waited 0 s; one carried to a later minute waited the whole minutes between
(arrivals and service both spread over a minute, so that is also the mean). While no replica is
ready (waking from zero, starting after a resume) the proxy holds a request at most
`scale_up_timeout_s`, then answers 503: rejected. A paused endpoint rejects everything, and pausing
rejects what was queued.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from hfwarden.core.platform.autoscaling import (
    DEFAULT_SCALE_TO_ZERO_TIMEOUT,
    ReplicaModel,
    base_replicas,
    replicas_needed,
)

Transition = Callable[["EndpointConfig"], "EndpointConfig"]


class Mode(StrEnum):
    RUNNING = "running"  # starting or serving; autoscaling between the bounds
    ZERO = "scaledToZero"  # the next request wakes it
    PAUSED = "paused"  # traffic is rejected


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    """What the endpoint is set to: run mode and the autoscaler's bounds."""

    mode: Mode
    min_replicas: int
    max_replicas: int
    scale_to_zero_timeout: int = DEFAULT_SCALE_TO_ZERO_TIMEOUT


@dataclass(frozen=True, slots=True)
class Outcome:
    """A policy replayed over a trace. `waits`: minutes waited → requests served after that wait.
    `ready`/`billed` per minute only when asked for."""

    replica_minutes: int
    cold_starts: int
    requests_delayed: int  # waited at all
    requests_rejected: int  # paused, or 503 while no replica was ready
    waits: tuple[tuple[int, int], ...] = ()
    ready: tuple[int, ...] = ()
    billed: tuple[int, ...] = ()

    def late(self, slo_s: float) -> int:
        """Requests served after waiting longer than `slo_s`."""
        return sum(count for minutes, count in self.waits if minutes * 60 > slo_s)

    def wait_quantile_s(self, q: float) -> float:
        """The `q` quantile of the wait of served requests, in seconds."""
        total = sum(count for _, count in self.waits)
        if not total:
            return 0.0
        rank, seen = q * total, 0
        for minutes, count in sorted(self.waits):
            seen += count
            if seen >= rank:
                return 60.0 * minutes
        return 60.0 * max(m for m, _ in self.waits)


@dataclass(slots=True)
class _Endpoint:
    """The simulated endpoint's mutable state within one replay."""

    model: ReplicaModel
    config: EndpointConfig
    draw: Callable[[], int]
    ready: int = 0
    target: int = 0  # ready + starting: what is billed while running
    starting: list[list[int]] = field(default_factory=list)  # [ready_at_minute, count]
    wanted: deque[int] = field(default_factory=deque)
    last_request: int = 0
    cold_starts: int = 0

    def start(self, count: int, minute: int) -> None:
        for _ in range(count):
            self.starting.append([minute + self.draw(), 1])
        self.starting.sort()
        self.target += count

    def promote(self, minute: int) -> None:
        while self.starting and self.starting[0][0] <= minute:
            self.ready += self.starting.pop(0)[1]

    def stop(self, count: int) -> None:
        """Remove `count` replicas, those furthest from ready first."""
        self.target -= count
        while count and self.starting:
            self.starting.pop()
            count -= 1
        self.ready -= count

    def stop_all(self, mode: Mode) -> None:
        self.starting.clear()
        self.wanted.clear()
        self.ready = self.target = 0
        self.config = replace(self.config, mode=mode)

    def wake(self, minute: int) -> None:
        self.config = replace(self.config, mode=Mode.RUNNING)
        self.cold_starts += 1
        self.last_request = minute
        self.start(base_replicas(self.config.min_replicas), minute)

    def apply(self, transition: Transition, minute: int) -> None:
        before = self.config.mode
        self.config = transition(self.config)
        mode, low, high = self.config.mode, base_replicas(self.config.min_replicas), self.config.max_replicas
        if mode != Mode.RUNNING:
            if before == Mode.RUNNING or mode == Mode.PAUSED:
                self.stop_all(mode)
        elif before != Mode.RUNNING:
            self.wake(minute)
        elif self.target < low:
            self.start(low - self.target, minute)
        elif self.target > high:
            self.stop(self.target - high)


def _drawer(model: ReplicaModel) -> Callable[[], int]:
    choices = model.startup_minutes
    if len(set(choices)) == 1:
        only = choices[0]
        return lambda: only
    rng = random.Random(model.seed)
    return lambda: rng.choice(choices)


def steady(config: EndpointConfig, model: ReplicaModel) -> _Endpoint:
    """An endpoint that has been in `config` for a while: running ones have their base replicas ready."""
    endpoint = _Endpoint(model, config, _drawer(model))
    if config.mode == Mode.RUNNING:
        endpoint.ready = endpoint.target = base_replicas(config.min_replicas)
    return endpoint


@dataclass(slots=True)
class _Queue:
    """Requests waiting, oldest first: [arrival minute, count]."""

    cohorts: deque[list[int]] = field(default_factory=deque)
    size: int = 0
    waits: dict[int, int] = field(default_factory=dict)
    delayed: int = 0
    rejected: int = 0

    def serve(self, capacity: int, minute: int) -> int:
        """Serve up to `capacity` queued requests, oldest first; the number served."""
        served = 0
        cohorts, waits = self.cohorts, self.waits
        while cohorts and served < capacity:
            cohort = cohorts[0]
            taken = min(cohort[1], capacity - served)
            wait = minute - cohort[0]
            waits[wait] = waits.get(wait, 0) + taken
            served += taken
            cohort[1] -= taken
            if not cohort[1]:
                cohorts.popleft()
        self.size -= served
        return served

    def add(self, requests: int, minute: int) -> None:
        self.cohorts.append([minute, requests])
        self.size += requests
        self.delayed += requests

    def expire(self, minute: int, hold_minutes: float) -> None:
        """Requests held longer than the proxy holds them while nothing is ready: 503."""
        while self.cohorts and minute - self.cohorts[0][0] >= hold_minutes:
            dropped = self.cohorts.popleft()[1]
            self.size -= dropped
            self.delayed -= dropped
            self.rejected += dropped

    def reject_all(self) -> None:
        self.expire(1 << 62, 0)


def simulate(
    demand: Sequence[int],
    model: ReplicaModel,
    initial: EndpointConfig,
    changes: Mapping[int, Sequence[Transition]],
    *,
    keep_series: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Outcome:
    """Replay `demand` (requests per minute) through the autoscaler and the queue, applying the
    configuration changes at the start of their minute."""
    ep = steady(initial, model)
    scaler = model.autoscaler
    capacity = model.capacity_rpm
    up_at, pending_at = scaler.target_utilisation, scaler.pending_per_replica
    down_every, window = scaler.scale_down_every_minutes, scaler.stabilisation_minutes
    hold = scaler.scale_up_timeout_s / 60.0
    queue = _Queue()
    billed_total = 0
    ready_series: list[int] = []
    billed_series: list[int] = []
    for minute, requests in enumerate(demand):
        if minute in changes:
            for transition in changes[minute]:
                ep.apply(transition, minute)
            if ep.config.mode == Mode.PAUSED:
                queue.reject_all()
        if ep.starting and ep.starting[0][0] <= minute:
            ep.promote(minute)
        mode = ep.config.mode
        if mode == Mode.ZERO and requests:
            ep.wake(minute)
            mode = Mode.RUNNING
        if mode == Mode.PAUSED:
            queue.rejected += requests
        elif mode == Mode.RUNNING:
            _serve_minute(ep, queue, requests, minute, capacity, hold)
            _autoscale(ep, queue.size, requests, minute, capacity, up_at, pending_at, down_every, window)
        billed_total += ep.target
        if keep_series:
            ready_series.append(ep.ready)
            billed_series.append(ep.target)
        if ep.target and not ep.config.min_replicas and not queue.size:
            timeout = ep.config.scale_to_zero_timeout or scaler.idle_timeout_minutes
            if minute - ep.last_request >= timeout:
                ep.stop_all(Mode.ZERO)
        if progress is not None and not minute % 10_000:
            progress(minute)
    queue.delayed -= queue.size  # still waiting at the end: not served within the trace
    return Outcome(
        billed_total,
        ep.cold_starts,
        queue.delayed,
        queue.rejected,
        tuple(sorted(queue.waits.items())),
        tuple(ready_series),
        tuple(billed_series),
    )


def _serve_minute(ep: _Endpoint, queue: _Queue, requests: int, minute: int, capacity: float, hold: float) -> None:
    if requests:
        ep.last_request = minute
    room = int(ep.ready * capacity)
    if not ep.ready:
        if requests:
            queue.add(requests, minute)
        queue.expire(minute, hold if hold > 0 else 0)
        return
    if queue.size:
        room -= queue.serve(room, minute)
    if requests <= room:
        if requests:
            queue.waits[0] = queue.waits.get(0, 0) + requests
        return
    if room > 0:
        queue.waits[0] = queue.waits.get(0, 0) + room
    queue.add(requests - max(room, 0), minute)


def _autoscale(
    ep: _Endpoint,
    pending: int,
    requests: int,
    minute: int,
    capacity: float,
    up_at: float,
    pending_at: float,
    down_every: int,
    window: int,
) -> None:
    """One scale-up evaluation a minute (one replica at most), a scale-down check every `down_every`
    minutes keeping the most wanted over the stabilisation `window`."""
    target, top = ep.target, ep.config.max_replicas
    served = min(requests + pending, int(ep.ready * capacity))
    load = served / (target * capacity) if target else 1.0
    if target < top and (load > up_at or pending > pending_at * max(target, 1)):
        ep.start(1, minute)
    wanted = ep.wanted
    need = -(-(requests + pending) // (capacity * up_at)) if requests + pending else 0
    wanted.append(int(max(need, base_replicas(ep.config.min_replicas))))
    if len(wanted) > window:
        wanted.popleft()
    if not minute % down_every and len(wanted) == window:
        keep = min(max(wanted), ep.target)
        if keep < ep.target:
            ep.stop(ep.target - keep)


def serve_exactly(demand: Sequence[int], capacity_rpm: float, max_replicas: int) -> tuple[Outcome, list[int]]:
    """Demand served by exactly the replicas each minute needs (its requests and those still
    waiting, up to `max_replicas`), ready at once; with that series of replicas."""
    queue = _Queue()
    ready: list[int] = []
    for minute, requests in enumerate(demand):
        offered = requests + queue.size
        replicas = min(replicas_needed(offered, capacity_rpm), max_replicas)
        ready.append(replicas)
        room = int(replicas * capacity_rpm)
        if queue.size:
            room -= queue.serve(room, minute)
        if requests <= room:
            queue.waits[0] = queue.waits.get(0, 0) + requests
            continue
        if room > 0:
            queue.waits[0] = queue.waits.get(0, 0) + room
        queue.add(requests - max(room, 0), minute)
    queue.delayed -= queue.size
    return Outcome(sum(ready), 0, queue.delayed, queue.rejected, tuple(sorted(queue.waits.items()))), ready
