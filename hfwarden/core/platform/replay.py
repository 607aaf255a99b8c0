"""A trace replayed minute by minute through the platform's autoscaling, with a schedule's actions
turned into API steps by `core.decide` (the same code the daemon runs). Pure."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum

from hfwarden.core.decide import StepKind, steps_towards
from hfwarden.core.endpoints import EndpointState, Observation
from hfwarden.core.platform.autoscaling import (
    DEFAULT_SCALE_TO_ZERO_TIMEOUT,
    SPARE_MINUTES,
    ReplicaModel,
    base_replicas,
    desired_replicas,
    scaled_down,
)
from hfwarden.core.rules import Action


class Mode(StrEnum):
    RUNNING = "running"  # starting or serving; autoscaling between the bounds
    ZERO = "scaledToZero"  # the next request wakes it
    PAUSED = "paused"  # traffic is rejected


_OBSERVED = {
    Mode.RUNNING: EndpointState.RUNNING,
    Mode.ZERO: EndpointState.SCALED_TO_ZERO,
    Mode.PAUSED: EndpointState.PAUSED,
}
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    """What the endpoint is set to: run mode and the autoscaler's bounds."""

    mode: Mode
    min_replicas: int
    max_replicas: int
    scale_to_zero_timeout: int = DEFAULT_SCALE_TO_ZERO_TIMEOUT


def after_action(config: EndpointConfig, action: Action) -> EndpointConfig:
    """The endpoint's settings once hfwarden has carried out `action`: the daemon's own steps."""
    # Only the state and the sizes matter to `steps_towards`; the rest is filler.
    observed = Observation(
        namespace="",
        name="",
        state=_OBSERVED[config.mode],
        ready_replicas=0,
        target_replicas=0,
        min_replica=config.min_replicas,
        max_replica=config.max_replicas,
        scale_to_zero_timeout=config.scale_to_zero_timeout,
        instance="",
        updated_at=_EPOCH,
    )
    result = config
    for step in steps_towards(action, observed):
        match step.kind:
            case StepKind.UPDATE:
                result = replace(
                    result,
                    min_replicas=result.min_replicas if step.min_replicas is None else step.min_replicas,
                    max_replicas=result.max_replicas if step.max_replicas is None else step.max_replicas,
                    scale_to_zero_timeout=step.scale_to_zero_timeout or result.scale_to_zero_timeout,
                )
            case StepKind.RESUME:
                result = replace(result, mode=Mode.RUNNING)
            case StepKind.PAUSE:
                result = replace(result, mode=Mode.PAUSED)
            case StepKind.SCALE_TO_ZERO:
                result = replace(result, mode=Mode.ZERO)
    return result


@dataclass(frozen=True, slots=True)
class Outcome:
    """A policy replayed over a trace. `ready`/`billed` per minute only when asked for."""

    replica_minutes: int
    cold_starts: int
    requests_delayed: int
    requests_rejected: int
    ready: tuple[int, ...] = ()
    billed: tuple[int, ...] = ()


@dataclass(slots=True)
class _Endpoint:
    """The simulated endpoint's mutable state within one replay."""

    model: ReplicaModel
    config: EndpointConfig
    ready: int = 0
    target: int = 0  # ready + starting: what is billed while running
    starting: deque[list[int]] = field(default_factory=deque)  # [ready_at_minute, count], oldest first
    wanted: deque[int] = field(default_factory=lambda: deque(maxlen=SPARE_MINUTES))
    last_request: int = 0
    cold_starts: int = 0

    def start(self, count: int, minute: int) -> None:
        self.starting.append([minute + self.model.cold_start_minutes, count])
        self.target += count

    def promote(self, minute: int) -> None:
        while self.starting and self.starting[0][0] <= minute:
            self.ready += self.starting.popleft()[1]

    def stop(self, count: int) -> None:
        """Remove `count` replicas, those still starting (the newest) first."""
        self.target -= count
        while count and self.starting:
            taken = min(count, self.starting[-1][1])
            self.starting[-1][1] -= taken
            count -= taken
            if not self.starting[-1][1]:
                self.starting.pop()
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

    def apply(self, action: Action, minute: int) -> None:
        before = self.config.mode
        self.config = after_action(self.config, action)
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

    def check_spare(self) -> None:
        if len(self.wanted) == SPARE_MINUTES:
            kept = scaled_down(self.target, max(self.wanted))
            if kept < self.target:
                self.stop(self.target - kept)

    def check_idle(self, minute: int) -> None:
        if self.config.min_replicas == 0 and minute - self.last_request >= self.config.scale_to_zero_timeout:
            self.stop_all(Mode.ZERO)


def steady(config: EndpointConfig, model: ReplicaModel) -> _Endpoint:
    """An endpoint that has been in `config` for a while: running ones have their base replicas ready."""
    endpoint = _Endpoint(model, config)
    if config.mode == Mode.RUNNING:
        endpoint.ready = endpoint.target = base_replicas(config.min_replicas)
    return endpoint


def simulate(
    demand: Sequence[int],
    model: ReplicaModel,
    initial: EndpointConfig,
    changes: Mapping[int, Sequence[Action]],
    *,
    keep_series: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Outcome:
    """Replay `demand` (requests per minute) through the autoscaler, applying the schedule's actions
    at the start of their minute. A minute's requests beyond its ready capacity are delayed, all of
    them while scaled to zero or starting with nothing ready; a paused endpoint rejects them."""
    ep = steady(initial, model)
    capacity = model.capacity_rpm
    billed_total = delayed = rejected = 0
    ready_series: list[int] = []
    billed_series: list[int] = []
    for minute, requests in enumerate(demand):
        if minute in changes:
            for action in changes[minute]:
                ep.apply(action, minute)
        if ep.starting and ep.starting[0][0] <= minute:
            ep.promote(minute)
        mode = ep.config.mode
        if mode == Mode.RUNNING:
            served = int(ep.ready * capacity)
            if requests > served:
                delayed += requests - served
            if requests:
                ep.last_request = minute
            want = desired_replicas(requests, capacity, ep.config.min_replicas, ep.config.max_replicas)
            if want > ep.target:
                ep.start(want - ep.target, minute)
            ep.wanted.append(want)
        elif mode == Mode.ZERO and requests:
            delayed += requests
            ep.wake(minute)
        elif mode == Mode.PAUSED:
            rejected += requests
        billed_total += ep.target
        if keep_series:
            ready_series.append(ep.ready)
            billed_series.append(ep.target)
        if ep.target:
            ep.check_spare()
            ep.check_idle(minute)
        if progress is not None and not minute % 10_000:
            progress(minute)
    return Outcome(billed_total, ep.cold_starts, delayed, rejected, tuple(ready_series), tuple(billed_series))
