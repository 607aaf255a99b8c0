"""A trace replayed minute by minute through the platform: HF's autoscaler, start-ups and a FIFO
queue of requests. Pure; imports nothing of hfwarden outside `core.platform`.

Each minute: the configuration changes due are applied (the caller turns a schedule's actions into
them), starting replicas that are ready join, then the minute's requests queue behind those still
waiting and the ready replicas serve `capacity_rpm` each, first in first out. Within a minute,
arrivals and service are spread evenly, so a request's wait is known to the second (`_Queue`); in a
minute with room for everything, nothing waits. While no replica is
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
    """A policy replayed over a trace. `waits`: seconds waited → requests served after that wait.
    `ready`/`billed` per minute only when asked for."""

    replica_minutes: int
    cold_starts: int
    requests_delayed: int  # waited at all
    requests_rejected: int  # paused, or 503 while no replica was ready
    waits: tuple[tuple[int, int], ...] = ()
    ready: tuple[int, ...] = ()
    billed: tuple[int, ...] = ()
    requests_late: int = 0  # served after waiting longer than the SLO

    def wait_quantile_s(self, q: float) -> float:
        """The `q` quantile of the wait of served requests, in seconds."""
        total = sum(count for _, count in self.waits)
        if not total:
            return 0.0
        rank, seen = q * total, 0
        for seconds, count in sorted(self.waits):
            seen += count
            if seen >= rank:
                return float(seconds)
        return float(max(m for m, _ in self.waits))


@dataclass(slots=True)
class _Endpoint:
    """The simulated endpoint's mutable state within one replay."""

    model: ReplicaModel
    config: EndpointConfig
    draw: Callable[[], int]
    ready: int = 0
    target: int = 0  # ready + starting: what is billed while running
    starting: list[list[int]] = field(default_factory=list)  # [ready_at_minute, count]
    wanted: deque[tuple[int, int]] = field(default_factory=deque)  # (minute, replicas) above the base
    running_since: int = -(1 << 30)  # the autoscaler has watched since this minute
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
        self.running_since = minute
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


def _above(w0: float, w1: float, limit: float) -> float:
    """The share of a chunk whose waits run linearly from `w0` to `w1` that waited more than `limit`."""
    low, high = min(w0, w1), max(w0, w1)
    if low > limit:
        return 1.0
    if high <= limit:
        return 0.0
    return (high - limit) / (high - low)


@dataclass(slots=True)
class _Queue:
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
        self.delayed += _above(w0, w1, 0.0) * count
        self.late += _above(w0, w1, self.slo_s) * count
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

    def outcome(self, replica_minutes: int, cold_starts: int, ready: Sequence[int], billed: Sequence[int]) -> Outcome:
        """The replay's figures; requests still waiting at the end were not served within it."""
        return Outcome(
            replica_minutes,
            cold_starts,
            round(self.delayed),
            self.rejected,
            tuple(sorted((w, n) for w, n in self.waits.items() if n)),
            tuple(ready),
            tuple(billed),
            round(self.late),
        )


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
    run = _Run(model, demand)
    queue = run.queue
    ready_series: list[int] = []
    billed_series: list[int] = []
    billed_total = served_at_once = 0
    for minute, requests in enumerate(demand):
        if minute in changes:
            run.change(ep, changes[minute], minute)
        if ep.starting and ep.starting[0][0] <= minute:
            ep.promote(minute)
        mode = ep.config.mode
        if mode is Mode.RUNNING and not queue.size and requests <= int(ep.ready * run.capacity):
            # The common minute: served at once; the autoscaler only looks (and at its floor, with
            # nothing above the target utilisation, finds nothing to do).
            served_at_once += requests
            if requests:
                ep.last_request = minute
            if ep.target != (ep.config.min_replicas or 1) or requests > run.unit * ep.target:
                run.look(ep, requests, minute)
        elif mode is Mode.PAUSED:
            queue.rejected += requests
        elif mode is Mode.RUNNING or requests:
            if mode is Mode.ZERO:
                ep.wake(minute)
            _serve_minute(ep, queue, requests, minute, run.capacity, run.hold)
            run.look(ep, requests, minute, queue.size)
        billed_total += ep.target
        if keep_series:
            ready_series.append(ep.ready)
            billed_series.append(ep.target)
        if ep.target and not ep.config.min_replicas and not queue.size:
            run.check_idle(ep, minute)
        if progress is not None and not minute % 10_000:
            progress(minute)
    queue.waits[0] = queue.waits.get(0, 0) + served_at_once
    return queue.outcome(billed_total, ep.cold_starts, ready_series, billed_series)


class _Run:
    """The autoscaler's side of one replay: its parameters and its checks."""

    def __init__(self, model: ReplicaModel, demand: Sequence[int]) -> None:
        scaler = model.autoscaler
        self.capacity = model.capacity_rpm
        self.up_at, self.pending_at = scaler.target_utilisation, scaler.pending_per_replica
        self.unit = self.capacity * self.up_at  # requests a replica takes at the target utilisation
        self.down_every, self.window = scaler.scale_down_every_minutes, scaler.stabilisation_minutes
        self.hold = scaler.scale_up_timeout_s / 60.0
        self.idle_timeout = scaler.idle_timeout_minutes
        self.queue = _Queue(model.slo_s)
        unit = self.unit
        # What each minute's own requests want at the target utilisation: the stabilisation window
        # is read from it; minutes with requests waiting add what they wanted to the endpoint's own.
        self.needs = [-(-r // unit) for r in demand]

    def change(self, ep: _Endpoint, transitions: Sequence[Transition], minute: int) -> None:
        for transition in transitions:
            ep.apply(transition, minute)
        if ep.config.mode is Mode.PAUSED:
            self.queue.reject_all()

    def look(self, ep: _Endpoint, requests: int, minute: int, pending: int = 0) -> None:
        """Scale up past the target utilisation (or 1.5 pending requests per replica), remember what
        was wanted above the base, and every `down_every` minutes let go of the replicas no minute
        of the stabilisation window wanted."""
        target, base = ep.target, ep.config.min_replicas or 1
        if pending:
            served = min(requests + pending, int(ep.ready * self.capacity))
            busy = served > self.unit * target or pending > self.pending_at * max(target, 1)
            ep.wanted.append((minute, int(-(-(requests + pending) // self.unit))))
        else:  # served: at most what the ready replicas take (none while waking from zero)
            busy = min(requests, int(ep.ready * self.capacity)) > self.unit * target
        if busy and target < ep.config.max_replicas:
            ep.start(1, minute)
        elif target > base and not minute % self.down_every and minute - ep.running_since >= self.window - 1:
            first = minute - self.window
            wanted = ep.wanted
            while wanted and wanted[0][0] <= first:
                wanted.popleft()
            keep = max(base, int(max(self.needs[max(0, first + 1) : minute + 1])))
            if wanted:
                keep = max(keep, max(n for _, n in wanted))
            if keep < target:
                ep.stop(target - keep)

    def check_idle(self, ep: _Endpoint, minute: int) -> None:
        timeout = ep.config.scale_to_zero_timeout or self.idle_timeout
        if minute - ep.last_request >= timeout:
            ep.stop_all(Mode.ZERO)


def _serve_minute(ep: _Endpoint, queue: _Queue, requests: int, minute: int, capacity: float, hold: float) -> None:
    if requests:
        ep.last_request = minute
    room = int(ep.ready * capacity)
    if room:
        queue.minute(requests, room, minute)
        return
    if requests:
        queue.add(requests, minute, requests)
    queue.expire(minute, hold if hold > 0 else 0)


def serve_exactly(
    demand: Sequence[int], capacity_rpm: float, max_replicas: int, slo_s: float
) -> tuple[Outcome, list[int]]:
    """Demand served by exactly the replicas each minute needs (its requests and those still
    waiting, up to `max_replicas`), ready at once; with that series of replicas."""
    queue = _Queue(slo_s)
    top_room = int(max_replicas * capacity_rpm)
    needed = [min(replicas_needed(r, capacity_rpm), max_replicas) for r in demand]
    at_once = 0
    for minute, requests in enumerate(demand):
        if not queue.size and requests <= top_room:
            at_once += requests  # the minute's own replicas take it all at once
            continue
        replicas = min(replicas_needed(requests + queue.size, capacity_rpm), max_replicas)
        needed[minute] = replicas
        room = int(replicas * capacity_rpm)
        if room:
            queue.minute(requests, room, minute)
        elif requests:
            queue.add(requests, minute, requests)
    queue.waits[0] = queue.waits.get(0, 0) + at_once
    return queue.outcome(sum(needed), 0, (), ()), needed
