"""Schedules: the desired state of each endpoint at time t, its transitions, and what to do about it. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from hfwarden.clock import require_aware
from hfwarden.core.calendars import Calendar, skip_reason
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
    # A window's "outside" at local midnight of each skipped (holiday) day, and on no other day: that
    # is what makes a window count as outside all day on a calendar's day.
    holiday_only: bool = False


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
    # How long an observed state may differ from the schedule's (enforce off) before a `drift` alert.
    drift_after: timedelta = timedelta(minutes=15)
    skip: tuple[Calendar, ...] = ()  # on these days (in each rule's zone) its rules do not fire
    team: str | None = None  # who pays for it (`report --by team`)
    labels: tuple[tuple[str, str], ...] = ()  # free-form (key, value) pairs, sorted (`report --by label:KEY`)
    # How long before a scheduled pause or scale-to-zero an `upcoming_stop` notice goes out (None: none).
    notice: timedelta | None = None

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def skipped(self, day: date) -> str | None:
        """Why its rules do not fire on `day`, or None."""
        return skip_reason(self.skip, day) if self.skip else None

    def fires_on_day(self, rule: Rule, instant: datetime) -> bool:
        """Whether `rule` may fire at `instant`: ordinary rules not on skipped days, holiday-only rules
        only on them."""
        if not self.skip:
            return not rule.holiday_only
        return (self.skipped(instant.astimezone(rule.zone).date()) is not None) == rule.holiday_only


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
        fired = _previous_fire(schedule, rule, at)
        if fired is not None and (best is None or fired >= best.at):
            best = Transition(schedule.key, fired, rule)
    return best


def next_transition(schedule: EndpointSchedule, after: datetime) -> Transition | None:
    """The first transition strictly after `after`."""
    require_aware(after)
    best: Transition | None = None
    for rule in schedule.rules:
        fires = _next_fire(schedule, rule, after)
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
            for instant in _fires_on(schedule, rule, day):
                if start <= instant < end:
                    by_instant[instant] = Transition(schedule.key, instant, rule)
            day += timedelta(days=1)
    return [by_instant[t] for t in sorted(by_instant)]


# How many consecutive days a calendar may skip before a rule's fire is given up as "none": a year
# and a bit, far beyond any real run of holidays.
MAX_SKIPPED_DAYS = 400


def _fires_on(schedule: EndpointSchedule, rule: Rule, day: date) -> tuple[datetime, ...]:
    if rule.holiday_only:
        return (_midnight(day, rule.zone),) if schedule.skipped(day) is not None else ()
    if schedule.skip and schedule.skipped(day) is not None:
        return ()
    return rule.cron.fires_on(day, rule.zone)


def _previous_fire(schedule: EndpointSchedule, rule: Rule, at: datetime) -> datetime | None:
    """The latest fire at or before `at` on a day the rule may fire."""
    if rule.holiday_only:
        day = at.astimezone(rule.zone).date()
        for back in range(MAX_SKIPPED_DAYS):
            fires = [t for t in _fires_on(schedule, rule, day - timedelta(days=back)) if t <= at]
            if fires:
                return fires[-1]
        return None
    fired = rule.cron.previous_fire(at, rule.zone)
    for _ in range(MAX_SKIPPED_DAYS):
        if fired is None or schedule.fires_on_day(rule, fired):
            return fired
        # Skipped: look again from just before that local day began.
        start, _ = local_day_bounds(fired.astimezone(rule.zone).date(), rule.zone)
        fired = rule.cron.previous_fire(start - timedelta(microseconds=1), rule.zone)
    return None


def _next_fire(schedule: EndpointSchedule, rule: Rule, after: datetime) -> datetime | None:
    """The first fire strictly after `after` on a day the rule may fire."""
    if rule.holiday_only:
        day = after.astimezone(rule.zone).date()
        for ahead in range(MAX_SKIPPED_DAYS):
            later = [t for t in _fires_on(schedule, rule, day + timedelta(days=ahead)) if t > after]
            if later:
                return later[0]
        return None
    upcoming = rule.cron.next_fire(after, rule.zone)
    for _ in range(MAX_SKIPPED_DAYS):
        if upcoming is None or schedule.fires_on_day(rule, upcoming):
            return upcoming
        # Skipped: look again from just before the next local day begins.
        _, end = local_day_bounds(upcoming.astimezone(rule.zone).date(), rule.zone)
        upcoming = rule.cron.next_fire(end - timedelta(microseconds=1), rule.zone)
    return None


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


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


def applied_later(schedule: EndpointSchedule, transition: Transition, last_applied_key: str | None) -> datetime | None:
    """When the last applied transition fired, if it is one of this schedule's and fired after
    `transition`: the clock has stepped back behind it, and the older transition is superseded (applying
    it would undo a newer one, and the newer one would then be applied again when the clock returns)."""
    if last_applied_key is None:
        return None
    rule, _, fired = last_applied_key.rpartition("@")
    if rule not in {r.rule_id for r in schedule.rules}:
        return None  # a marker (a hold's end, a cap lifted) or a rule a reload removed
    try:
        at = datetime.fromisoformat(fired)
    except ValueError:
        return None
    return at if at.tzinfo is not None and at > transition.at else None
