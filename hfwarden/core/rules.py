"""Schedules: the desired state of each endpoint at time t, its transitions, and what to do about it. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from hfwarden.clock import require_aware
from hfwarden.core.cron import Cron


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


# The days schedules can be asked about: a rule's fires are searched up to eight years either side
# of a day, which must stay inside `datetime`'s years 1 to 9999.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9990, 12, 31)


def plannable_day(day: date) -> date:
    """`day`, if schedules can be evaluated around it; ValueError otherwise."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{day} is outside {FIRST_DAY} to {LAST_DAY}")
    return day


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Midnight to midnight of a local day as aware datetimes (23 or 25 hours long at DST changes)."""
    # In UTC: Python subtracts two datetimes of the same tzinfo as wall-clock times, which would
    # make every day 24 hours long.
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end
