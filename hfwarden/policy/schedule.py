"""Schedules: the desired state of each endpoint at time t, its transitions, and what to do about it. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import assert_never
from zoneinfo import ZoneInfo

from hfwarden.clock import require_aware
from hfwarden.policy.cron import Cron
from hfwarden.policy.observation import EndpointState, Observation


class ActionKind(StrEnum):
    RESUME = "resume"
    PAUSE = "pause"
    SCALE = "scale"
    SCALE_TO_ZERO = "scale_to_zero"


@dataclass(frozen=True, slots=True)
class Action:
    """What a rule asks for when it fires."""

    kind: ActionKind
    min_replicas: int | None = None
    max_replicas: int | None = None
    scale_to_zero_timeout: int | None = None  # minutes, as the API counts them

    def describe(self) -> str:
        extras = [
            f"{label}={value}"
            for label, value in (
                ("min", self.min_replicas),
                ("max", self.max_replicas),
                ("scale_to_zero_timeout", self.scale_to_zero_timeout),
            )
            if value is not None
        ]
        return self.kind.value + (f"({', '.join(extras)})" if extras else "")


@dataclass(frozen=True, slots=True)
class Rule:
    """One cron expression in one zone with its action. `rule_id` is stable across reloads of the
    same file so that a restart recognises a transition it already applied."""

    rule_id: str
    number: int  # 1-based position in the endpoint's schedule, as errors name it
    cron: Cron
    zone: ZoneInfo
    action: Action


@dataclass(frozen=True, slots=True)
class EndpointSchedule:
    """Everything hfwarden knows about one declared endpoint."""

    namespace: str
    name: str
    rules: tuple[Rule, ...]
    zone: ZoneInfo
    priority: int = 0
    protected: bool = False
    enforce: bool = False

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class Transition:
    """A rule firing for an endpoint at an instant."""

    endpoint: str
    at: datetime
    rule: Rule

    @property
    def key(self) -> str:
        """Identifies this transition in the store: which rule, which fire time."""
        return f"{self.rule.rule_id}@{self.at.isoformat()}"

    @property
    def action(self) -> Action:
        return self.rule.action


def latest_transition(schedule: EndpointSchedule, at: datetime) -> Transition | None:
    """The transition in force at `at`: the most recent fire at or before it; the later rule in the
    file wins a tie."""
    require_aware(at)
    best: Transition | None = None
    for rule in schedule.rules:
        fired = rule.cron.previous_fire(at, rule.zone)
        if fired is not None and (best is None or fired >= best.at):
            best = Transition(schedule.key, fired, rule)
    return best


def next_transition(schedule: EndpointSchedule, after: datetime) -> Transition | None:
    """The first transition strictly after `after`."""
    require_aware(after)
    best: Transition | None = None
    for rule in schedule.rules:
        fires = rule.cron.next_fire(after, rule.zone)
        if fires is not None and (best is None or fires <= best.at):
            best = Transition(schedule.key, fires, rule)
    return best


def transitions_between(schedule: EndpointSchedule, start: datetime, end: datetime) -> list[Transition]:
    """Every transition in [start, end), in time order; at one instant only the winning (later) rule."""
    require_aware(start)
    require_aware(end)
    by_instant: dict[datetime, Transition] = {}
    for rule in schedule.rules:
        day = start.astimezone(rule.zone).date() - timedelta(days=1)
        last_day = end.astimezone(rule.zone).date()
        while day <= last_day:
            for instant in rule.cron.fires_on(day, rule.zone):
                if start <= instant < end:
                    by_instant[instant] = Transition(schedule.key, instant, rule)
            day += timedelta(days=1)
    return [by_instant[t] for t in sorted(by_instant)]


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Midnight to midnight of a local day as aware datetimes (23 or 25 hours long at DST changes)."""
    # In UTC: Python subtracts two datetimes of the same tzinfo as wall-clock times, which would
    # make every day 24 hours long.
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


# -- decisions ----------------------------------------------------------------------------------


class StepKind(StrEnum):
    UPDATE = "update"
    RESUME = "resume"
    PAUSE = "pause"
    SCALE_TO_ZERO = "scale_to_zero"


@dataclass(frozen=True, slots=True)
class Step:
    """One mutating API call."""

    kind: StepKind
    min_replicas: int | None = None
    max_replicas: int | None = None
    scale_to_zero_timeout: int | None = None


class Verdict(StrEnum):
    ACT = "act"  # send the steps
    SATISFIED = "satisfied"  # already in the desired state: record the transition as applied
    WAIT = "wait"  # not stable yet; try again next pass
    BROKEN = "broken"  # failed/updateFailed: alert, do nothing
    MISSING = "missing"  # the endpoint does not exist
    IDLE = "idle"  # nothing to do


@dataclass(frozen=True, slots=True)
class Decision:
    """What the reconciler decided for one endpoint, and why."""

    endpoint: str
    verdict: Verdict
    reason: str
    transition: Transition | None = None
    steps: tuple[Step, ...] = ()


STABLE_STATES = frozenset({EndpointState.RUNNING, EndpointState.PAUSED, EndpointState.SCALED_TO_ZERO})
TRANSIENT_STATES = frozenset({EndpointState.PENDING, EndpointState.INITIALIZING, EndpointState.UPDATING})
BROKEN_STATES = frozenset({EndpointState.FAILED, EndpointState.UPDATE_FAILED})


def decide(
    schedule: EndpointSchedule,
    observation: Observation | None,
    *,
    now: datetime,
    last_applied_key: str | None,
) -> Decision:
    """Compare desired (latest transition), last applied and observed state; return what to do.

    Edge-triggered unless `enforce`: a transition already applied is not re-applied, so a human's
    change stands until the next transition. A transition that fired while hfwarden was down is
    still unapplied, so the first pass after a restart catches it up.
    """
    key = schedule.key
    transition = latest_transition(schedule, now)
    if transition is None:
        return Decision(key, Verdict.IDLE, "no rule has fired yet")
    if not schedule.enforce and transition.key == last_applied_key:
        return Decision(key, Verdict.IDLE, "latest transition already applied", transition)
    if observation is None:
        return Decision(key, Verdict.MISSING, "endpoint not found in its namespace", transition)
    if observation.state in BROKEN_STATES:
        return Decision(key, Verdict.BROKEN, f"endpoint is {observation.state}; needs a human", transition)
    if observation.state in TRANSIENT_STATES:
        return Decision(key, Verdict.WAIT, f"endpoint is {observation.state}; waiting for a stable state", transition)
    if observation.state not in STABLE_STATES:
        return Decision(key, Verdict.WAIT, f"unknown state {observation.state!r}", transition)
    steps = steps_towards(transition.action, observation)
    why = f"{transition.action.describe()} from rule {transition.rule.number} at {transition.at.isoformat()}"
    if not steps:
        return Decision(key, Verdict.SATISFIED, f"already {observation.state}: {why}", transition)
    return Decision(key, Verdict.ACT, why, transition, steps)


def steps_towards(action: Action, observed: Observation) -> tuple[Step, ...]:
    """The API calls that take an endpoint in a stable state to what `action` asks for."""
    update = _scaling_update(action, observed)
    match action.kind:
        case ActionKind.PAUSE:
            return () if observed.state == EndpointState.PAUSED else (Step(StepKind.PAUSE),)
        case ActionKind.RESUME:
            # Scaling first: a PUT on a paused endpoint only records it, so the resume starts at the
            # right size instead of restarting through `updating` straight after.
            steps = [update] if update else []
            if observed.state != EndpointState.RUNNING:
                steps.append(Step(StepKind.RESUME))
            return tuple(steps)
        case ActionKind.SCALE:
            return (update,) if update else ()
        case ActionKind.SCALE_TO_ZERO:
            steps = [update] if update else []
            # Paused is "more stopped" than scaled to zero: never wake what is paused.
            if observed.state not in (EndpointState.SCALED_TO_ZERO, EndpointState.PAUSED):
                steps.append(Step(StepKind.SCALE_TO_ZERO))
            return tuple(steps)
        case _:
            assert_never(action.kind)


def _scaling_update(action: Action, observed: Observation) -> Step | None:
    wanted_min = action.min_replicas if action.min_replicas is not None else observed.min_replica
    if action.kind == ActionKind.SCALE_TO_ZERO:
        # Scale to zero needs minReplica 0 (the API's rule); it also lets the endpoint idle back to
        # zero after traffic has woken it.
        wanted_min = 0
    wanted_max = action.max_replicas if action.max_replicas is not None else observed.max_replica
    # A rule that names only one bound must not produce min > max against the other, observed one.
    if action.min_replicas is not None and action.max_replicas is None:
        wanted_max = max(wanted_max, wanted_min)
    if action.max_replicas is not None and action.min_replicas is None:
        wanted_min = min(wanted_min, wanted_max)
    wanted_timeout = action.scale_to_zero_timeout
    changes = (
        wanted_min != observed.min_replica,
        wanted_max != observed.max_replica,
        wanted_timeout is not None and wanted_timeout != observed.scale_to_zero_timeout,
    )
    if not any(changes):
        return None
    return Step(
        StepKind.UPDATE,
        min_replicas=wanted_min if changes[0] else None,
        max_replicas=wanted_max if changes[1] else None,
        scale_to_zero_timeout=wanted_timeout if changes[2] else None,
    )
