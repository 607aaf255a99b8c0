"""A trace replayed minute by minute through the platform: HF's autoscaler, start-ups and a FIFO
queue of requests. Pure; imports nothing of hfwarden outside `core.platform`.

Each minute: the configuration changes due are applied (the caller turns a schedule's actions into
them), starting replicas that are ready join, then the minute's requests queue behind those still
waiting and the ready replicas serve `capacity_rpm` each, first in first out. Within a minute,
arrivals and service are spread evenly, so a request's wait is known to the second (`Queue`); in a
minute with room for everything, nothing waits. While no replica is
ready (waking from zero, starting after a resume) the proxy holds a request at most
`scale_up_timeout_s`, then answers 503: rejected. A paused endpoint rejects everything, and pausing
rejects what was queued.

Stretches of minutes in which only the bill moves (scaled to zero without requests, paused, or at
the floor serving everything at once) are added up in one step (`core.platform.stretches`): the
same figures as stepping through them, at a fraction of the work.
"""

from __future__ import annotations

import math
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
from hfwarden.core.platform.queueing import Queue
from hfwarden.core.platform.stretches import Lows, Stretches, Watch

PROGRESS_EVERY = 10_000  # minutes between calls of a replay's `progress`
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
class SimulatedRun:
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


def _outcome(
    queue: Queue, replica_minutes: int, cold_starts: int, ready: Sequence[int], billed: Sequence[int]
) -> SimulatedRun:
    """The replay's figures; requests still waiting at the end were not served within it."""
    return SimulatedRun(
        replica_minutes,
        cold_starts,
        round(queue.delayed),
        queue.rejected,
        tuple(sorted((w, n) for w, n in queue.waits.items() if n)),
        tuple(ready),
        tuple(billed),
        round(queue.late),
    )


def simulate(
    demand: Sequence[int],
    model: ReplicaModel,
    initial: EndpointConfig,
    changes: Mapping[int, Sequence[Transition]],
    *,
    keep_series: bool = False,
    progress: Callable[[int], None] | None = None,
) -> SimulatedRun:
    """Replay `demand` (requests per minute) through the autoscaler and the queue, applying the
    configuration changes at the start of their minute."""
    ep = steady(initial, model)
    run = _Run(model, demand, changes)
    queue, tally = run.queue, _Tally(keep_series, progress)
    minute, end = 0, len(demand)
    plain = not keep_series and progress is None  # a minute adds to the bill only
    while minute < end:
        requests = demand[minute]
        if minute in changes:
            run.change(ep, changes[minute], minute)
        if ep.starting and ep.starting[0][0] <= minute:
            ep.promote(minute)
        if ep.config.mode is Mode.RUNNING and (queue.size or ep.starting or requests > run.high(ep)):
            until = minute  # `quiet_until`'s first answer for a running endpoint, without the call (busy minutes)
        else:
            until = run.quiet_until(ep, minute)
        if until > minute:  # nothing but the bill moves until then: add the stretch up at once
            tally.stretch(ep, minute, until, run.stretches, queue)
            minute = until
            continue
        mode = ep.config.mode
        if mode is Mode.RUNNING and not queue.size and requests <= int(ep.ready * run.capacity):
            # The common minute: served at once; the autoscaler only looks (and at its floor, with
            # nothing above the target utilisation, finds nothing to do).
            tally.served_at_once += requests
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
        if plain:
            tally.billed += ep.target
        else:
            tally.minute(ep, minute)
        if ep.target and not ep.config.min_replicas and not queue.size:
            run.check_idle(ep, minute)
        minute += 1
    queue.waits[0] = queue.waits.get(0, 0) + tally.served_at_once
    return _outcome(queue, tally.billed, ep.cold_starts, tally.ready, tally.billed_series)


@dataclass(slots=True)
class _Tally:
    """What a replay adds up minute by minute: replica-minutes billed, requests served at once, and
    the per-minute series when kept."""

    keep_series: bool
    progress: Callable[[int], None] | None
    billed: int = 0
    served_at_once: int = 0
    ready: list[int] = field(default_factory=list)
    billed_series: list[int] = field(default_factory=list)

    def minute(self, ep: _Endpoint, minute: int) -> None:
        self.billed += ep.target
        if self.keep_series:
            self.ready.append(ep.ready)
            self.billed_series.append(ep.target)
        if self.progress is not None and not minute % PROGRESS_EVERY:
            self.progress(minute)

    def stretch(self, ep: _Endpoint, begin: int, end: int, stretches: Stretches, queue: Queue) -> None:
        """Minutes [begin, end) in which nothing changes: running ones serve their requests at once."""
        minutes, demand = end - begin, stretches.demand
        if ep.config.mode is Mode.RUNNING:
            self.served_at_once += sum(demand[begin:end])
            last = stretches.last_request(begin, end)
            if last is not None:
                ep.last_request = last
        elif ep.config.mode is Mode.PAUSED:
            queue.rejected += sum(demand[begin:end])
        self.billed += ep.target * minutes
        if self.keep_series:
            self.ready.extend([ep.ready] * minutes)
            self.billed_series.extend([ep.target] * minutes)
        if self.progress is not None:
            for minute in range(-(-begin // PROGRESS_EVERY) * PROGRESS_EVERY, end, PROGRESS_EVERY):
                self.progress(minute)


class _Run:
    """The autoscaler's side of one replay: its parameters and its checks."""

    def __init__(self, model: ReplicaModel, demand: Sequence[int], changes: Mapping[int, Sequence[Transition]]) -> None:
        scaler = model.autoscaler
        self.capacity = model.capacity_rpm
        self.up_at, self.pending_at = scaler.target_utilisation, scaler.pending_per_replica
        self.unit = self.capacity * self.up_at  # requests a replica takes at the target utilisation
        self.down_every, self.window = scaler.scale_down_every_minutes, scaler.stabilisation_minutes
        self.hold = scaler.scale_up_timeout_s / 60.0
        self.idle_timeout = scaler.idle_timeout_minutes
        self.queue = Queue(model.slo_s)
        self.demand = demand
        self.stretches = Stretches(demand, changes)
        self.lows = Lows(self.unit)

    def quiet_until(self, ep: _Endpoint, minute: int) -> int:
        """Where the stretch of minutes from `minute` in which only the bill moves ends (`minute`
        itself when this minute is not one): a paused endpoint, one scaled to zero without requests,
        or one at its floor serving at once below the target utilisation, until the next change."""
        mode, stretches = ep.config.mode, self.stretches
        if mode is Mode.PAUSED:
            return stretches.next_change(minute)
        if mode is Mode.ZERO:
            return stretches.next_request(minute, stretches.next_change(minute)) if not ep.target else minute
        high = self.high(ep)
        if self.queue.size or ep.starting or self.demand[minute] > high:
            return minute  # something waits or starts, or more than the replicas take below scale-up
        floor, target, end = ep.config.min_replicas, ep.target, stretches.next_change(minute)
        if floor and target == floor:  # at the floor: no scale-down, no idle timeout to watch
            return stretches.first_above(minute, end, high)
        timeout = None if floor else ep.config.scale_to_zero_timeout or self.idle_timeout
        low = self.lows[target] if target > (floor or 1) else -1
        watch = Watch(low, self.down_every, self.window, ep.running_since + self.window - 1, timeout, ep.last_request)
        return stretches.steady_until(minute, end, high, watch)

    def high(self, ep: _Endpoint) -> int:
        """The most requests a minute may bring without changing a running endpoint's replicas
        (all ready): what they serve at once, and (below its maximum) no more than the target
        utilisation."""
        room = int(ep.ready * self.capacity)
        return room if ep.target >= ep.config.max_replicas else min(room, math.floor(self.unit * ep.target))

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
            # What the window's own minutes wanted at the target utilisation (the busiest wanted most).
            keep = max(base, int(-(-max(self.demand[max(0, first + 1) : minute + 1]) // self.unit)))
            if wanted:
                keep = max(keep, max(n for _, n in wanted))
            if keep < target:
                ep.stop(target - keep)

    def check_idle(self, ep: _Endpoint, minute: int) -> None:
        timeout = ep.config.scale_to_zero_timeout or self.idle_timeout
        if minute - ep.last_request >= timeout:
            ep.stop_all(Mode.ZERO)


def _serve_minute(ep: _Endpoint, queue: Queue, requests: int, minute: int, capacity: float, hold: float) -> None:
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
) -> tuple[SimulatedRun, list[int]]:
    """Demand served by exactly the replicas each minute needs (its requests and those still
    waiting, up to `max_replicas`), ready at once; with that series of replicas."""
    queue = Queue(slo_s)
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
    return _outcome(queue, sum(needed), 0, (), ()), needed
