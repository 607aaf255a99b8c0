"""The 24-hour strip of one endpoint's day: what its schedule says, what it billed so far, "now" and
the next transition. One function, `day_strip`, draws it for the status page (with the ledger) and for
`plan --html` (schedule only), so a schedule change reviewed in a pull request looks as it will live."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hfwarden.config import Config
from hfwarden.core.cost import OpenSegment, Segment
from hfwarden.core.rules import (
    Action,
    ActionKind,
    EndpointSchedule,
    Transition,
    latest_transition,
    local_day_bounds,
    next_transition,
    transitions_between,
)

UTC_ZONE = ZoneInfo("UTC")
TICK_HOURS = (0, 3, 6, 9, 12, 15, 18, 21)


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of the day in one state; `start`/`end` are fractions of the day (0 to 1)."""

    start: float
    end: float
    kind: str  # up | zero | down | none: what the strip colours
    label: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class Mark:
    """An instant on the strip (a transition, an hour tick); `position` is None when off this day."""

    at: datetime
    position: float | None
    label: str


@dataclass(frozen=True, slots=True)
class DayStrip:
    endpoint: str
    zone: str
    day: date
    start: datetime
    end: datetime
    scheduled: tuple[Span, ...]
    observed: tuple[Span, ...]
    transitions: tuple[Mark, ...]
    ticks: tuple[Mark, ...]
    now: float | None  # where "now" is on the strip; None when now is not in this day
    next_transition: Mark | None

    def fraction(self, at: datetime) -> float:
        """Where `at` falls on the strip, clamped to its ends."""
        return _clamped(at, self.start, self.end)


def _position(at: datetime, start: datetime, end: datetime) -> float | None:
    if not start <= at <= end:
        return None
    return (at - start).total_seconds() / (end - start).total_seconds()


def _clamped(at: datetime, start: datetime, end: datetime) -> float:
    return min(max((at - start).total_seconds() / (end - start).total_seconds(), 0.0), 1.0)


def _span(first: datetime, last: datetime, start: datetime, end: datetime, kind: str, label: str) -> Span:
    return Span(_clamped(first, start, end), _clamped(last, start, end), kind, label, first, last)


def describe(action: Action) -> str:
    """An action as a person reads it on the strip: `running 1-4`, `paused`, `scaled to zero`."""
    sizes = ""
    if action.min_replicas is not None or action.max_replicas is not None:
        low = "?" if action.min_replicas is None else str(action.min_replicas)
        high = "?" if action.max_replicas is None else str(action.max_replicas)
        sizes = f" {low}-{high}"
    match action.kind:
        case ActionKind.RESUME:
            return f"running{sizes}"
        case ActionKind.PAUSE:
            return "paused"
        case ActionKind.SCALE_TO_ZERO:
            return "scaled to zero (wakes on request)"
        case ActionKind.SCALE:
            return f"scaled to{sizes}"


def _kind_after(action: Action, before: str) -> str:
    match action.kind:
        case ActionKind.RESUME:
            return "up"
        case ActionKind.PAUSE:
            return "down"
        case ActionKind.SCALE_TO_ZERO:
            return "zero"
        case ActionKind.SCALE:
            return before  # a scale leaves the run state as it is


def scheduled_spans(schedule: EndpointSchedule | None, start: datetime, end: datetime) -> list[Span]:
    """The states the schedule asks for over [start, end): the one its latest earlier transition left
    (as `scheduled_cost` counts it), then one span per transition."""
    if schedule is None or not schedule.rules:
        return [Span(0.0, 1.0, "none", "not scheduled: left as it is", start, end)]
    before = latest_transition(schedule, start - timedelta(microseconds=1))
    if before is None:
        kind, label = "none", "no rule fired yet"
    else:
        kind, label = _kind_after(before.action, "none"), describe(before.action)
    spans: list[Span] = []
    since = start
    for transition in transitions_between(schedule, start, end):
        if transition.at > since:
            spans.append(_span(since, transition.at, start, end, kind, label))
        kind, label, since = _kind_after(transition.action, kind), describe(transition.action), transition.at
    spans.append(_span(since, end, start, end, kind, label))
    return spans


def observed_spans(
    segments: Iterable[Segment], current: OpenSegment | None, start: datetime, end: datetime
) -> list[Span]:
    """What the ledger says the endpoint billed in [start, end): its closed segments and the open one,
    up to the last observation (nothing is drawn past what was seen)."""
    stretches: list[tuple[datetime, datetime, int, bool, str | None]] = [
        (s.start, s.end, s.replicas, s.gap, None) for s in segments
    ]
    if current is not None:
        stretches.append((current.start, current.observed_at, current.replicas, current.gap, current.state))
    spans = []
    for first, last, replicas, gap, state in sorted(stretches, key=lambda s: s[0]):
        first, last = max(first, start), min(last, end)
        if last <= first:
            continue
        label = f"billed x{replicas}" if replicas else "not billing"
        label += f" ({state})" if state else ""
        label += ", hfwarden was not watching" if gap else ""
        kind = ("up" if replicas else "down") + (" gap" if gap else "")
        spans.append(_span(first, last, start, end, kind, label))
    return spans


def _mark(transition: Transition, start: datetime, end: datetime, zone: ZoneInfo) -> Mark:
    local = transition.at.astimezone(zone)
    when = f"{local:%H:%M}" if start <= transition.at < end else f"{local:%a %H:%M}"
    return Mark(transition.at, _position(transition.at, start, end), f"{when} {describe(transition.action)}")


def _ticks(day: date, zone: ZoneInfo, start: datetime, end: datetime) -> tuple[Mark, ...]:
    marks = []
    for hour in TICK_HOURS:
        # Local hours, through UTC: a DST day's hours are not evenly spaced fractions of it.
        local = datetime(day.year, day.month, day.day, hour, tzinfo=zone).astimezone(UTC)
        position = _position(local, start, end)
        if position is not None:
            marks.append(Mark(local, position, f"{hour:02d}"))
    return tuple(marks)


def day_strip(
    endpoint: str,
    schedule: EndpointSchedule | None,
    *,
    day: date | None,
    now: datetime,
    segments: Sequence[Segment] = (),
    current: OpenSegment | None = None,
) -> DayStrip:
    """The strip of `endpoint` for `day` (default: today where it lives), in its schedule's zone (UTC
    for an endpoint nobody declared). `segments`/`current`: its ledger, for the page; none for a plan."""
    zone = schedule.zone if schedule is not None else UTC_ZONE
    local_day = day or now.astimezone(zone).date()
    start, end = local_day_bounds(local_day, zone)
    following = next_transition(schedule, now) if schedule is not None else None
    transitions = transitions_between(schedule, start, end) if schedule is not None else []
    now_position = _position(now, start, end)
    return DayStrip(
        endpoint=endpoint,
        zone=zone.key,
        day=local_day,
        start=start,
        end=end,
        scheduled=tuple(scheduled_spans(schedule, start, end)),
        observed=tuple(observed_spans(segments, current, start, end)),
        transitions=tuple(_mark(t, start, end, zone) for t in transitions),
        ticks=_ticks(local_day, zone, start, end),
        now=now_position,
        next_transition=None if following is None else _mark(following, start, end, zone),
    )


def plan_strips(config: Config, *, day: date | None, now: datetime) -> list[DayStrip]:
    """`plan --html`: every declared endpoint's strip from its schedule alone, as `plan` lists it."""
    return [day_strip(e.key, e, day=day, now=now) for e in config.endpoints]
