"""`hfwarden backtest`: replay a request trace through policies and the platform model, and price it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from hfwarden.adapters.trace import Trace
from hfwarden.core.platform.autoscaling import DEFAULT_SCALE_TO_ZERO_TIMEOUT, ReplicaModel, replicas_needed
from hfwarden.core.platform.replay import EndpointConfig, Mode, Outcome, after_action, simulate
from hfwarden.core.rules import Action, EndpointSchedule, latest_transition, transitions_between


class Policy(StrEnum):
    ALWAYS_ON = "always_on"  # max replicas all the time
    AUTOSCALE = "autoscale"  # HF autoscaling between 1 and max, no schedule
    SCALE_TO_ZERO = "scale_to_zero"  # HF autoscaling between 0 and max, 15-minute idle timeout
    SCHEDULE = "schedule"  # the schedule file's rules for the endpoint, with HF autoscaling
    ORACLE = "oracle"  # exactly the replicas each minute needs, ready at once: the cost floor


ALL_POLICIES = tuple(Policy)
BASELINES = (Policy.ALWAYS_ON, Policy.AUTOSCALE, Policy.SCALE_TO_ZERO, Policy.ORACLE)


class BacktestError(Exception):
    """Inputs a backtest cannot run with (no price, no such endpoint): one clear message."""


@dataclass(frozen=True, slots=True)
class Setup:
    """What every policy of one backtest shares."""

    endpoint: str
    model: ReplicaModel
    price_per_hour: float
    max_replicas: int


@dataclass(frozen=True, slots=True)
class PolicyResult:
    name: Policy
    cost_usd: float
    replica_hours: float
    cold_starts: int
    requests_delayed: int
    requests_rejected: int
    delayed_pct: float
    ready: tuple[int, ...] = ()  # ready replicas per minute, when asked for (the report's charts)


@dataclass(frozen=True, slots=True)
class Backtest:
    endpoint: str
    start: datetime
    end: datetime
    minutes: int
    requests: int
    capacity_rpm: float
    demand: tuple[int, ...]
    policies: tuple[PolicyResult, ...]

    def policy(self, name: Policy) -> PolicyResult:
        return next(p for p in self.policies if p.name == name)

    def to_json(self, zone: tzinfo | None = None) -> dict[str, Any]:
        """The `--json` document; instants in the trace's own offset when given."""
        return {
            "endpoint": self.endpoint,
            "from": self.start.astimezone(zone).isoformat(),
            "to": self.end.astimezone(zone).isoformat(),
            "minutes": self.minutes,
            "requests": self.requests,
            "policies": [
                {
                    "name": p.name.value,
                    "cost_usd": round(p.cost_usd, 6),
                    "replica_hours": round(p.replica_hours, 6),
                    "cold_starts": p.cold_starts,
                    "requests_delayed": p.requests_delayed,
                    "requests_rejected": p.requests_rejected,
                    "delayed_pct": round(p.delayed_pct, 6),
                }
                for p in self.policies
            ],
        }


def schedule_changes(
    schedule: EndpointSchedule, start: datetime, minutes: int, max_replicas: int
) -> tuple[EndpointConfig, dict[int, list[Action]]]:
    """The schedule over the trace as the settings in force at its start and the actions due at each
    minute: one walk of `transitions_between`, the daemon's own schedule code."""
    # Until a rule says otherwise the endpoint runs as its owner left it: autoscaling 1..max.
    config = EndpointConfig(Mode.RUNNING, 1, max_replicas, DEFAULT_SCALE_TO_ZERO_TIMEOUT)
    in_force = latest_transition(schedule, start)
    if in_force is not None:
        config = after_action(config, in_force.action)
    changes: dict[int, list[Action]] = {}
    end = start + timedelta(minutes=minutes)
    for transition in transitions_between(schedule, start + timedelta(microseconds=1), end):
        minute = int((transition.at - start).total_seconds() // 60)
        changes.setdefault(minute, []).append(transition.action)
    return config, changes


def policy_inputs(
    policy: Policy, setup: Setup, schedule: EndpointSchedule | None, start: datetime, minutes: int
) -> tuple[EndpointConfig, dict[int, list[Action]]]:
    top = setup.max_replicas
    match policy:
        case Policy.ALWAYS_ON:
            return EndpointConfig(Mode.RUNNING, top, top), {}
        case Policy.AUTOSCALE:
            return EndpointConfig(Mode.RUNNING, 1, top), {}
        case Policy.SCALE_TO_ZERO:
            return EndpointConfig(Mode.ZERO, 0, top, DEFAULT_SCALE_TO_ZERO_TIMEOUT), {}
        case Policy.SCHEDULE if schedule is not None:
            return schedule_changes(schedule, start, minutes, top)
    raise BacktestError(f"policy {policy.value} cannot be replayed here")


def oracle(demand: Sequence[int], setup: Setup) -> Outcome:
    """Exactly the replicas each minute needs (up to max), ready at once."""
    capacity, top = setup.model.capacity_rpm, setup.max_replicas
    needed = [min(replicas_needed(r, capacity), top) for r in demand]
    delayed = sum(max(0, r - int(top * capacity)) for r in demand)
    return Outcome(sum(needed), 0, delayed, 0, tuple(needed), tuple(needed))


def _result(policy: Policy, outcome: Outcome, setup: Setup, requests: int, keep: bool) -> PolicyResult:
    hours = outcome.replica_minutes / 60.0
    pct = 100.0 * outcome.requests_delayed / requests if requests else 0.0
    return PolicyResult(
        policy,
        hours * setup.price_per_hour,
        hours,
        outcome.cold_starts,
        outcome.requests_delayed,
        outcome.requests_rejected,
        pct,
        outcome.ready if keep else (),
    )


def run_backtest(
    trace: Trace,
    setup: Setup,
    schedule: EndpointSchedule | None,
    *,
    policies: Sequence[Policy] = ALL_POLICIES,
    keep_series: bool = False,
    progress: Callable[[Policy, int], None] | None = None,
) -> Backtest:
    """Every policy over the same trace, in the order given."""
    demand = trace.requests
    results = []
    for policy in policies:
        if policy == Policy.ORACLE:
            outcome = oracle(demand, setup)
        else:
            initial, changes = policy_inputs(policy, setup, schedule, trace.start, len(demand))
            tick = None if progress is None else (lambda minute, p=policy: progress(p, minute))
            outcome = simulate(demand, setup.model, initial, changes, keep_series=keep_series, progress=tick)
        results.append(_result(policy, outcome, setup, sum(demand), keep_series))
    return Backtest(
        setup.endpoint, trace.start, trace.end, len(demand), sum(demand), setup.model.capacity_rpm, demand,
        tuple(results),
    )  # fmt: skip
