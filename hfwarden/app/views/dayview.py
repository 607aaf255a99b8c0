"""The 24-hour strip of one endpoint's day: what its schedule says, what it billed so far, "now" and
the next transition. One function, `day_strip`, draws it for the status page (with the ledger) and for
`plan --html` (schedule only), so a schedule change reviewed in a pull request looks as it will live."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
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
    origin = start.timestamp()
    return min(max((at.timestamp() - origin) / (end.timestamp() - origin), 0.0), 1.0)


def _span(first: datetime, last: datetime, start: datetime, end: datetime, kind: str, label: str) -> Span:
    # Seconds since the epoch: a thousand strips of a dozen spans each, on every refresh.
    origin = start.timestamp()
    length = end.timestamp() - origin
    low = min(max((first.timestamp() - origin) / length, 0.0), 1.0)
    return Span(low, min(max((last.timestamp() - origin) / length, 0.0), 1.0), kind, label, first, last)


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


def scheduled_spans(
    schedule: EndpointSchedule | None, start: datetime, end: datetime, transitions: Sequence[Transition]
) -> list[Span]:
    """The states the schedule asks for over [start, end): the one its latest earlier transition left
    (as `scheduled_cost` counts it), then one span per transition (`transitions`: those in the day)."""
    if schedule is None or not schedule.rules:
        return [Span(0.0, 1.0, "none", "not scheduled: left as it is", start, end)]
    before = latest_transition(schedule, start - timedelta(microseconds=1))
    if before is None:
        kind, label = "none", "no rule fired yet"
    else:
        kind, label = _kind_after(before.action, "none"), describe(before.action)
    spans: list[Span] = []
    since = start
    for transition in transitions:
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
    stretches = [(s.start, s.end, s.replicas, s.gap) for s in segments if s.end > start and s.start < end]
    if current is not None:
        stretches.append((current.start, current.observed_at, current.replicas, current.gap))
    spans: list[Span] = []
    for first, last, replicas, gap in sorted(stretches, key=lambda s: s[0]):
        first, last = max(first, start), min(last, end)
        if last <= first:
            continue
        label = f"billed x{replicas}" if replicas else "not billing"
        label += ", hfwarden was not watching" if gap else ""
        kind = ("up" if replicas else "down") + (" gap" if gap else "")
        if spans and spans[-1].kind == kind and spans[-1].label == label and spans[-1].ends_at == first:
            # The same billing split by a price change: one span on the strip.
            spans[-1] = _span(spans[-1].starts_at, last, start, end, kind, label)
        else:
            spans.append(_span(first, last, start, end, kind, label))
    if current is not None and spans and spans[-1].ends_at == min(current.observed_at, end):
        spans[-1] = replace(spans[-1], label=f"{spans[-1].label} ({current.state})")
    return spans


def _mark(transition: Transition, start: datetime, end: datetime, zone: ZoneInfo) -> Mark:
    local = transition.at.astimezone(zone)
    when = f"{local:%H:%M}" if start <= transition.at < end else f"{local:%a %H:%M}"
    return Mark(transition.at, _position(transition.at, start, end), f"{when} {describe(transition.action)}")


@lru_cache(maxsize=1024)
def _ticks(day: date, zone: ZoneInfo, start: datetime, end: datetime) -> tuple[Mark, ...]:
    """The hour marks of a local day: the same for every endpoint in its zone."""
    marks = []
    for hour in TICK_HOURS:
        # Local hours, through UTC: a DST day's hours are not evenly spaced fractions of it.
        local = datetime(day.year, day.month, day.day, hour, tzinfo=zone).astimezone(UTC)
        position = _position(local, start, end)
        if position is not None:
            marks.append(Mark(local, position, f"{hour:02d}"))
    return tuple(marks)


@dataclass(frozen=True, slots=True)
class _Planned:
    schedule: EndpointSchedule | None
    start: datetime
    end: datetime
    spans: tuple[Span, ...]
    transitions: tuple[Mark, ...]
    ticks: tuple[Mark, ...]


class StripCache:
    """What a strip owes to the schedule alone (its spans, transitions, hour ticks and the next
    transition) changes only with the day and the schedule: the page computes it once, not on every
    refresh. A reload brings new schedule objects, which miss the cache."""

    LIMIT = 50_000  # entries; a new day's fill replaces the old days' past this

    def __init__(self) -> None:
        self._planned: dict[tuple[str, date], _Planned] = {}
        self._next: dict[str, tuple[EndpointSchedule, datetime, Transition | None]] = {}

    def planned(self, endpoint: str, schedule: EndpointSchedule | None, day: date) -> _Planned | None:
        found = self._planned.get((endpoint, day))
        return found if found is not None and found.schedule is schedule else None

    def keep(self, endpoint: str, day: date, planned: _Planned) -> None:
        if len(self._planned) >= self.LIMIT:
            self._planned.clear()
        self._planned[(endpoint, day)] = planned

    def next_transition(self, schedule: EndpointSchedule, now: datetime) -> Transition | None:
        """The first transition after `now`; the one found earlier holds until it comes."""
        found = self._next.get(schedule.key)
        if found is not None and found[0] is schedule and found[1] <= now and (found[2] is None or now < found[2].at):
            return found[2]
        following = next_transition(schedule, now)
        self._next[schedule.key] = (schedule, now, following)
        return following


def _plan_of(
    endpoint: str, schedule: EndpointSchedule | None, day: date, zone: ZoneInfo, cache: StripCache | None
) -> _Planned:
    planned = cache.planned(endpoint, schedule, day) if cache is not None else None
    if planned is None:
        start, end = local_day_bounds(day, zone)
        transitions = transitions_between(schedule, start, end) if schedule is not None else []
        planned = _Planned(
            schedule,
            start,
            end,
            tuple(scheduled_spans(schedule, start, end, transitions)),
            tuple(_mark(t, start, end, zone) for t in transitions),
            _ticks(day, zone, start, end),
        )
        if cache is not None:
            cache.keep(endpoint, day, planned)
    return planned


def day_strip(
    endpoint: str,
    schedule: EndpointSchedule | None,
    *,
    day: date | None,
    now: datetime,
    segments: Sequence[Segment] = (),
    current: OpenSegment | None = None,
    cache: StripCache | None = None,
) -> DayStrip:
    """The strip of `endpoint` for `day` (default: today where it lives), in its schedule's zone (UTC
    for an endpoint nobody declared). `segments`/`current`: its ledger, for the page; none for a plan."""
    zone = schedule.zone if schedule is not None else UTC_ZONE
    local_day = day or now.astimezone(zone).date()
    planned = _plan_of(endpoint, schedule, local_day, zone, cache)
    start, end = planned.start, planned.end
    following = None
    if schedule is not None:
        following = cache.next_transition(schedule, now) if cache is not None else next_transition(schedule, now)
    return DayStrip(
        endpoint=endpoint,
        zone=zone.key,
        day=local_day,
        start=start,
        end=end,
        scheduled=planned.spans,
        observed=tuple(observed_spans(segments, current, start, end)),
        transitions=planned.transitions,
        ticks=planned.ticks,
        now=_position(now, start, end),
        next_transition=None if following is None else _mark(following, start, end, zone),
    )


def plan_strips(config: Config, *, day: date | None, now: datetime) -> list[DayStrip]:
    """`plan --html`: every declared endpoint's strip from its schedule alone, as `plan` lists it."""
    return [day_strip(e.key, e, day=day, now=now) for e in config.endpoints]
