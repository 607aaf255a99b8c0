"""Cron expressions with crontab(5) meaning, evaluated in an IANA time zone. Pure.

Here:

- a wall-clock time that does not exist (spring forward) fires once, at the first instant after
  the gap;
- a wall-clock time that happens twice (fall back) fires once, at its first occurrence;
- the desired state at t is the latest fire at or before t, so rules are searched backwards too.

Why not a library. APScheduler 3's `CronTrigger.from_crontab` counts Monday as day-of-week 0 and
cannot look backwards. cronsim 2.8 (issue 8) was tried against every table of tests/test_cron.py,
tests/test_schedule_rules.py and tests/test_cost_rules.py, with `previous_fire`, `next_fire` and
`fires_on` evaluated by it, and against this module on 126,720 (expression, zone, instant) cases
around every 2026 DST change of eight zones. It gets the day-of-week tables right (and leap-day
rules, which this module then missed), but not our DST contract, in two ways:

1. It follows cronie: a rule whose minute or hour field starts with `*` runs on real time, so
   `*/15 2 * * *` never fires on a spring-forward night (table case
   `paris-spring-gap-several-times-fire-once`), and `*/20 * * * *` fires twice in a repeated hour.
2. From an instant in the second pass of a repeated hour it reads the wall time without its
   `fold`: going back it skips today's fire (02:10 CET → yesterday's 02:30), going forward it
   answers a fire *before* the instant asked about (tests `test_from_inside_a_repeated_hour`). A
   previous fire that is a day old makes the desired state wrong for up to an hour; a next fire in
   the past makes a scheduler spin.

Both can be steered around (rewrite `*` fields as explicit lists; start the backward search after
the repeated hour and filter both directions), which passes every table, but what remains is
cronsim driven through an undocumented quirk plus post-filters, beside our own parser (its
errors are "Bad minute"; ours say which value and range), `matches_day` and per-day `fires_on`,
which cronsim has no API for: two DST engines that must agree, for no speed gain (bench/
daemon_schedules.py, idle pass over 1,000 endpoints, three runs each on shared cores: 133-294 ms
with this module, 216-350 ms with cronsim searching, 296-515 ms with cronsim for everything).
So the evaluation stays here, held to those tables.
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
# Far enough to find the fire of a 29 February rule: leap days can be eight years apart (2096, 2104).
LOOKBACK_DAYS = 8 * 366 + 1
DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


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
    # One bit per (month, day of month, weekday) this expression fires on; see `day_mask`.
    days: int

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
        for back in range(min(LOOKBACK_DAYS, (local_day - date.min).days)):
            day = local_day - timedelta(days=back)
            candidates = [t for t in self.fires_on(day, zone) if t <= at]
            if candidates:
                return candidates[-1]
        return None

    def _scan_next(self, after: datetime, zone: ZoneInfo) -> datetime | None:
        local_day = after.astimezone(zone).date()
        for ahead in range(min(LOOKBACK_DAYS, (date.max - local_day).days)):
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
    days_of_month, months = parse_field(dom, DAY_OF_MONTH), parse_field(month, MONTH)
    days_of_week = frozenset(d % 7 for d in parse_field(dow, DAY_OF_WEEK))
    either = not dom.startswith("*") and not dow.startswith("*")
    days = day_mask(days_of_month, months, days_of_week, either=either)
    if not days:
        # Only an AND of the day fields can be impossible: `* * 31 2 *`, `0 9 31 4,6,9,11 *`.
        wanted = ",".join(str(d) for d in sorted(days_of_month))
        raise CronError(f"never fires: no month of {month} has a day {wanted}")
    return Cron(
        expression=expression,
        minutes=tuple(sorted(parse_field(minute, MINUTE))),
        hours=tuple(sorted(parse_field(hour, HOUR))),
        days_of_month=days_of_month,
        months=months,
        days_of_week=days_of_week,
        dom_restricted=not dom.startswith("*"),
        dow_restricted=not dow.startswith("*"),
        days=days,
    )


def day_mask(days_of_month: frozenset[int], months: frozenset[int], weekdays: frozenset[int], *, either: bool) -> int:
    """The (month, day of month, weekday) combinations a rule fires on, one bit each.

    Every valid month and day, 29 February included, falls on every weekday within 28 years, so
    two rules fire on a common day some day iff their masks share a bit, and a rule with an empty
    mask never fires. `either`: crontab(5)'s OR of the two day fields when both are restricted."""
    all_week = (1 << 7) - 1
    chosen_week = sum(1 << w for w in weekdays)
    mask = 0
    for month in months:
        for day in range(1, DAYS_IN_MONTH[month - 1] + 1):
            on_day = day in days_of_month
            week = (all_week if on_day else chosen_week) if either else (chosen_week if on_day else 0)
            mask |= week << (((month - 1) * 31 + day - 1) * 7)
    return mask


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
