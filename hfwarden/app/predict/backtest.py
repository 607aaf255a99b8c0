"""`hfwarden backtest`: replay a request trace through policies and the platform model, and price it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from hfwarden.adapters.trace import Trace
from hfwarden.core.platform.autoscaling import ReplicaModel
from hfwarden.core.platform.floors import Exact, foresight, oracle
from hfwarden.core.platform.simulation import EndpointConfig, Mode, SimulatedRun, serve_exactly
from hfwarden.core.replay import after_action, replay
from hfwarden.core.rules import Action, EndpointSchedule, latest_transition, transitions_between


class Policy(StrEnum):
    ALWAYS_ON = "always_on"  # max replicas all the time
    AUTOSCALE = "autoscale"  # HF autoscaling between 1 and max, no schedule
    SCALE_TO_ZERO = "scale_to_zero"  # HF autoscaling between 0 and max, the idle timeout (HF: 1 hour)
    SCHEDULE = "schedule"  # the schedule file's rules for the endpoint, with HF autoscaling
    ORACLE = "oracle"  # exactly the replicas each minute needs, ready at once, no start-up paid
    FORESIGHT = "foresight"  # the same, each replica started ahead: the tightest achievable cost
    KEEPALIVE_10M = "keepalive_10m"  # HF autoscaling 0..max, to zero after 10 idle minutes
    KEEPALIVE_60M = "keepalive_60m"  # the same after 60 (HF's default)


ALL_POLICIES = tuple(Policy)
BASELINES = (Policy.ALWAYS_ON, Policy.AUTOSCALE, Policy.SCALE_TO_ZERO, Policy.ORACLE)
KEEPALIVE_MINUTES = {Policy.KEEPALIVE_10M: 10, Policy.KEEPALIVE_60M: 60}


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
    requests_late: int = 0  # served after waiting longer than the SLO
    wait_p50_s: float = 0.0
    wait_p99_s: float = 0.0
    rejected_pct: float = 0.0
    failed_pct: float = 0.0  # (late + rejected) / requests × 100
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
                    "requests_late": p.requests_late,
                    "wait_p50_s": round(p.wait_p50_s, 3),
                    "wait_p99_s": round(p.wait_p99_s, 3),
                    "rejected_pct": round(p.rejected_pct, 6),
                    "failed_pct": round(p.failed_pct, 6),
                }
                for p in self.policies
            ],
        }


def schedule_changes(
    schedule: EndpointSchedule, start: datetime, minutes: int, max_replicas: int, idle_timeout: int
) -> tuple[EndpointConfig, dict[int, list[Action]]]:
    """The schedule over the trace as the settings in force at its start and the actions due at each
    minute: one walk of `transitions_between`, the daemon's own schedule code."""
    # Until a rule says otherwise the endpoint runs as its owner left it: autoscaling 1..max.
    config = EndpointConfig(Mode.RUNNING, 1, max_replicas, idle_timeout)
    in_force = latest_transition(schedule, start)
    if in_force is not None:
        config = after_action(config, action=in_force.action)
    changes: dict[int, list[Action]] = {}
    end = start + timedelta(minutes=minutes)
    for transition in transitions_between(schedule, start + timedelta(microseconds=1), end):
        minute = int((transition.at - start).total_seconds() // 60)
        changes.setdefault(minute, []).append(transition.action)
    return config, changes


def policy_inputs(
    policy: Policy, setup: Setup, schedule: EndpointSchedule | None, start: datetime, minutes: int
) -> tuple[EndpointConfig, dict[int, list[Action]]]:
    top, idle = setup.max_replicas, setup.model.autoscaler.idle_timeout_minutes
    match policy:
        case Policy.ALWAYS_ON:
            return EndpointConfig(Mode.RUNNING, top, top, idle), {}
        case Policy.AUTOSCALE:
            return EndpointConfig(Mode.RUNNING, 1, top, idle), {}
        case Policy.SCALE_TO_ZERO:
            return EndpointConfig(Mode.ZERO, 0, top, idle), {}
        case Policy.KEEPALIVE_10M | Policy.KEEPALIVE_60M:
            return EndpointConfig(Mode.ZERO, 0, top, KEEPALIVE_MINUTES[policy]), {}
        case Policy.SCHEDULE if schedule is not None:
            return schedule_changes(schedule, start, minutes, top, idle)
    raise BacktestError(f"policy {policy.value} cannot be replayed here")


def _result(policy: Policy, outcome: SimulatedRun, setup: Setup, requests: int, keep: bool) -> PolicyResult:
    hours = outcome.replica_minutes / 60.0
    late = outcome.requests_late

    def pct(count: int) -> float:
        return 100.0 * count / requests if requests else 0.0

    return PolicyResult(
        policy,
        hours * setup.price_per_hour,
        hours,
        outcome.cold_starts,
        outcome.requests_delayed,
        outcome.requests_rejected,
        pct(outcome.requests_delayed),
        late,
        outcome.wait_quantile_s(0.5),
        outcome.wait_quantile_s(0.99),
        pct(outcome.requests_rejected),
        pct(late + outcome.requests_rejected),
        outcome.ready if keep else (),
    )


def replay_policy(
    policy: Policy,
    demand: Sequence[int],
    setup: Setup,
    schedule: EndpointSchedule | None,
    start: datetime,
    *,
    keep_series: bool = False,
    progress: Callable[[int], None] | None = None,
    exact: Exact | None = None,
) -> SimulatedRun:
    """One policy over the demand, through the platform model. `exact`: the demand served by exactly
    the replicas it needs, which the two floors share."""
    model, top = setup.model, setup.max_replicas
    if policy in (Policy.ORACLE, Policy.FORESIGHT):
        exact = exact or serve_exactly(demand, model.capacity_rpm, top, model.slo_s)
        if policy == Policy.ORACLE:
            return oracle(demand, model.capacity_rpm, top, slo_s=model.slo_s, keep_series=keep_series, exact=exact)
        return foresight(
            demand, model.capacity_rpm, top, model.lead_minutes(), slo_s=model.slo_s, keep_series=keep_series,
            exact=exact,
        )  # fmt: skip
    initial, changes = policy_inputs(policy, setup, schedule, start, len(demand))
    return replay(demand, model, initial, changes, keep_series=keep_series, progress=progress)


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
    model = setup.model
    both = {Policy.ORACLE, Policy.FORESIGHT} <= set(policies)
    shared = serve_exactly(demand, model.capacity_rpm, setup.max_replicas, model.slo_s) if both else None
    for policy in policies:
        tick = None if progress is None else (lambda minute, p=policy: progress(p, minute))
        outcome = replay_policy(
            policy, demand, setup, schedule, trace.start, keep_series=keep_series, progress=tick, exact=shared
        )
        results.append(_result(policy, outcome, setup, sum(demand), keep_series))
    return Backtest(
        setup.endpoint, trace.start, trace.end, len(demand), sum(demand), setup.model.capacity_rpm, demand,
        tuple(results),
    )  # fmt: skip
