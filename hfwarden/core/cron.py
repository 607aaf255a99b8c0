"""Cron expressions with crontab(5) meaning, evaluated in an IANA time zone. Pure.

Written here rather than borrowed because both candidates get the contract wrong for us:
APScheduler 3's `CronTrigger.from_crontab` counts Monday as day-of-week 0 and has no way to look
*backwards* (the desired state at t is the latest fire at or before t), and neither it nor a
naive wall-clock iteration says what happens in a daylight-saving gap or a repeated hour. Here:

- a wall-clock time that does not exist (spring forward) fires once, at the first instant after
  the gap;
- a wall-clock time that happens twice (fall back) fires once, at its first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# Far enough back to find the last fire of a yearly rule, plus a leap day.
LOOKBACK_DAYS = 400


class CronError(ValueError):
    """A cron expression that crontab(5) would not accept."""


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    name_base: int = 0


MINUTE = Field("minute", 0, 59)
HOUR = Field("hour", 0, 23)
DAY_OF_MONTH = Field("day of month", 1, 31)
MONTH = Field("month", 1, 12, MONTHS, 1)
# 7 is accepted as Sunday and folded onto 0 after parsing.
DAY_OF_WEEK = Field("day of week", 0, 7, WEEKDAYS, 0)

_STEP = re.compile(r"^(?P<range>[^/]+)(?:/(?P<step>\d+))?$")


def _value(token: str, field: Field) -> int:
    lowered = token.lower()
    if field.names and lowered in field.names:
        return field.names.index(lowered) + field.name_base
    if not token.isdigit():
        raise CronError(f"{field.name}: {token!r} is not a number" + (" or a name" if field.names else ""))
    number = int(token)
    if not field.low <= number <= field.high:
        raise CronError(f"{field.name}: {number} is outside {field.low}-{field.high}")
    return number


def parse_field(text: str, field: Field) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        match = _STEP.match(part)
        if not part or match is None:
            raise CronError(f"{field.name}: cannot read {part!r}")
        span, step_text = match.group("range"), match.group("step")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise CronError(f"{field.name}: step must be at least 1")
        if span == "*":
            low, high = field.low, field.high
        elif "-" in span:
            first, _, last = span.partition("-")
            low, high = _value(first, field), _value(last, field)
            if low > high:
                raise CronError(f"{field.name}: range {span!r} runs backwards")
        else:
            low = _value(span, field)
            high = field.high if step_text else low
        values.update(range(low, high + 1, step))
    return frozenset(values)


@dataclass(frozen=True, slots=True)
class Cron:
    """A parsed 5-field cron expression."""

    expression: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]  # 0 = Sunday ... 6 = Saturday
    dom_restricted: bool
    dow_restricted: bool

    def matches_day(self, day: date) -> bool:
        """crontab(5): when both day fields are restricted, either one matching is enough."""
        if day.month not in self.months:
            return False
        dom = day.day in self.days_of_month
        dow = (day.isoweekday() % 7) in self.days_of_week
        if self.dom_restricted and self.dow_restricted:
            return dom or dow
        return dom and dow

    def fires_on(self, day: date, zone: ZoneInfo) -> tuple[datetime, ...]:
        """The instants (aware, UTC) this expression fires on a local calendar day, in order, once each."""
        if not self.matches_day(day):
            return ()
        return _fires_on(self, day, zone)

    def previous_fire(self, at: datetime, zone: ZoneInfo) -> datetime | None:
        """The latest fire at or before `at`, or None if none in the look-back window."""
        return _bracket(self, at, zone)[0]

    def next_fire(self, after: datetime, zone: ZoneInfo) -> datetime | None:
        """The first fire strictly after `after`, or None if none within the look-ahead window."""
        return _bracket(self, after, zone)[1]

    def _scan_previous(self, at: datetime, zone: ZoneInfo) -> datetime | None:
        local_day = at.astimezone(zone).date()
        for back in range(LOOKBACK_DAYS):
            day = local_day - timedelta(days=back)
            candidates = [t for t in self.fires_on(day, zone) if t <= at]
            if candidates:
                return candidates[-1]
        return None

    def _scan_next(self, after: datetime, zone: ZoneInfo) -> datetime | None:
        local_day = after.astimezone(zone).date()
        for ahead in range(LOOKBACK_DAYS):
            day = local_day + timedelta(days=ahead)
            for instant in self.fires_on(day, zone):
                if instant > after:
                    return instant
        return None


@lru_cache(maxsize=8192)
def _fires_on(cron: Cron, day: date, zone: ZoneInfo) -> tuple[datetime, ...]:
    # Cached: projections ask for the same days of the same rules on every pass.
    instants: list[datetime] = []
    for hour in cron.hours:
        for minute in cron.minutes:
            instant = resolve_wall_time(datetime.combine(day, time(hour, minute)), zone)
            if not instants or instant > instants[-1]:
                instants.append(instant)
    return tuple(instants)


# The fires around the last time asked about, per (cron, zone). Between two fires the answer does
# not change, so steady-state passes cost a dictionary look-up instead of a calendar scan.
_BRACKETS: dict[tuple[Cron, str], tuple[datetime | None, datetime | None]] = {}
_BRACKETS_MAX = 100_000


def _bracket(cron: Cron, at: datetime, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    key = (cron, zone.key)
    known = _BRACKETS.get(key)
    if known is not None:
        previous, following = known
        if previous is not None and following is not None and previous <= at < following:
            return known
    found = (cron._scan_previous(at, zone), cron._scan_next(at, zone))
    if len(_BRACKETS) >= _BRACKETS_MAX:
        _BRACKETS.clear()
    _BRACKETS[key] = found
    return found


@lru_cache(maxsize=1024)
def parse_cron(expression: str) -> Cron:
    """Parse a crontab(5) expression: five fields, lists, ranges, steps, names, `7` = Sunday, @macros."""
    text = MACROS.get(expression.strip().lower(), expression.strip())
    fields = text.split()
    if len(fields) != 5:
        raise CronError(f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}")
    minute, hour, dom, month, dow = fields
    days_of_week = {d % 7 for d in parse_field(dow, DAY_OF_WEEK)}
    return Cron(
        expression=expression,
        minutes=tuple(sorted(parse_field(minute, MINUTE))),
        hours=tuple(sorted(parse_field(hour, HOUR))),
        days_of_month=parse_field(dom, DAY_OF_MONTH),
        months=parse_field(month, MONTH),
        days_of_week=frozenset(days_of_week),
        dom_restricted=not dom.startswith("*"),
        dow_restricted=not dow.startswith("*"),
    )


def resolve_wall_time(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant a local wall-clock time denotes: the first occurrence if repeated, the end of
    the gap if skipped."""
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC)
    first_utc, second_utc = first.astimezone(UTC), second.astimezone(UTC)
    if _exists(first_utc, wall, zone) or _exists(second_utc, wall, zone):
        # A repeated hour: fold=0 is the earlier instant.
        return min(u for u in (first_utc, second_utc) if _exists(u, wall, zone))
    # A skipped hour: the first instant whose wall time is at or past `wall` is the transition.
    low, high = sorted((first_utc, second_utc))
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _exists(instant: datetime, wall: datetime, zone: ZoneInfo) -> bool:
    return instant.astimezone(zone).replace(tzinfo=None) == wall
