"""Windows (`mon-fri 09:00-18:00` with a prewarm) as the pair of cron rules they stand for, and the
checks on a compiled schedule. Pure: the YAML loader only parses and reports `file:line`."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Hashable
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from hfwarden.core.cron import DAY_OF_WEEK, Cron, CronError, parse_cron, parse_field
from hfwarden.core.rules import Action, EndpointSchedule, Rule

WINDOW = re.compile(r"^\s*(?P<days>\S+)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$")
DURATION = re.compile(r"^(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?$")


def parse_minute_of_day(text: str) -> int:
    hours, minutes = (int(p) for p in text.split(":"))
    if not (0 <= hours <= 24 and 0 <= minutes <= 59) or (hours == 24 and minutes):
        raise ValueError(f"{text!r} is not a time of day")
    return hours * 60 + minutes


def parse_duration_minutes(text: str | int) -> int:
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    match = DURATION.match(str(text).strip())
    if not text or match is None or not (match.group("h") or match.group("m")):
        raise ValueError(f"{text!r} is not a duration like 5m, 1h or 1h30m")
    return int(match.group("h") or 0) * 60 + int(match.group("m") or 0)


def window_days(text: str) -> frozenset[int]:
    """`mon-fri`, `sat,sun`, `1-5`, `daily` or `*`, as cron day-of-week numbers (0 = Sunday)."""
    if text.lower() in ("daily", "*", "everyday"):
        return frozenset(range(7))
    try:
        return frozenset(d % 7 for d in parse_field(text, DAY_OF_WEEK))
    except CronError as exc:
        raise ValueError(f"window days {text!r}: {exc}") from None


def rule_id(endpoint: str, *parts: Hashable) -> str:
    return f"{endpoint}:{_digest(parts)}"


@lru_cache(maxsize=4096)
def _digest(parts: tuple[Hashable, ...]) -> str:
    """Memoised: a fleet repeats the same few rules on many endpoints, and `repr` of an Action and
    the hash were a tenth of a reload at the documented maxima. The id itself is unchanged."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:12]


WEEK_MINUTES = 7 * 24 * 60


def window_intervals(days: frozenset[int], start: int, end: int, prewarm: int) -> list[tuple[int, int]]:
    """The weekly on-intervals of a window, in minutes from Sunday 00:00, merged where they touch.

    Merging matters: `sat,sun 00:00-24:00` with a prewarm is one stretch from Friday 23:30 to Monday
    00:00, not two windows with a pause at Sunday midnight between them.
    """
    length = (end - start) % (24 * 60) or 24 * 60
    raw = sorted(((d * 24 * 60 + start - prewarm) % WEEK_MINUTES, length + prewarm) for d in days)
    merged: list[list[int]] = []
    for begin, span in raw:
        if merged and begin <= merged[-1][0] + merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], begin + span - merged[-1][0])
        else:
            merged.append([begin, span])
    if len(merged) > 1 and merged[-1][0] + merged[-1][1] >= WEEK_MINUTES + merged[0][0]:
        # The last stretch runs over the end of the week into the first one.
        last = merged.pop()
        first = merged[0]
        merged[0] = [last[0], max(last[1], first[0] + first[1] + WEEK_MINUTES - last[0])]
    return [(begin, min(span, WEEK_MINUTES)) for begin, span in merged]


def crons_at(minutes_of_week: list[int]) -> list[Cron]:
    """Cron expressions firing at each minute of the week, grouped by time of day."""
    by_time: dict[int, set[int]] = {}
    for moment in minutes_of_week:
        day, minute_of_day = divmod(moment % WEEK_MINUTES, 24 * 60)
        by_time.setdefault(minute_of_day, set()).add(day)
    crons = []
    for minute_of_day, on in sorted(by_time.items()):
        hour, minute = divmod(minute_of_day, 60)
        crons.append(parse_cron(f"{minute} {hour} * * {','.join(str(d) for d in sorted(on))}"))
    return crons


def window_rules(
    key: str, number: int, window: str, *, prewarm: int, zone: ZoneInfo, during: Action, outside: Action
) -> list[Rule]:
    """The rules a window stands for: `during` at each opening (less `prewarm` minutes), `outside` at
    each closing; none closing for a window that is always open."""
    match = WINDOW.match(window)
    if match is None:
        raise ValueError(f"window {window!r} is not like 'mon-fri 09:00-18:00'")
    intervals = window_intervals(
        window_days(match.group("days")),
        parse_minute_of_day(match.group("start")),
        parse_minute_of_day(match.group("end")),
        prewarm,
    )
    always_on = len(intervals) == 1 and intervals[0][1] >= WEEK_MINUTES
    openings = crons_at([begin for begin, _ in intervals])
    closings = [] if always_on else crons_at([begin + span for begin, span in intervals])
    rules = [Rule(rule_id(key, c.expression, str(zone), during), number, c, zone, during) for c in openings]
    rules += [Rule(rule_id(key, c.expression, str(zone), outside), number, c, zone, outside) for c in closings]
    return rules


def holiday_rule(key: str, number: int, *, zone: ZoneInfo, outside: Action) -> Rule:
    """A window's `outside` at local midnight of each day its endpoint's calendars skip, so that the
    window counts as outside all that day (rules.py fires it on those days only)."""
    midnight = parse_cron("0 0 * * *")
    return Rule(rule_id(key, "holiday", str(zone), outside), number, midnight, zone, outside, holiday_only=True)


def same_minute_clashes(schedule: EndpointSchedule) -> list[tuple[int, int]]:
    """Pairs of rule numbers (earlier, later) of one endpoint that fire in the same minute on some day:
    legal (the later wins) but likely a slip.

    Near-linear: rules are filed by the (zone, hour, minute) cells they fire in, and only rules sharing
    a cell compare their days; a rule firing in many cells (`*/5 * * * *`) is compared by bit masks with
    every other. 5,000 endpoints of 200 rules each were 100 million pair checks."""
    masks = [
        (rule.number, rule.zone, _bits(rule.cron.minutes), _bits(rule.cron.hours), rule.cron.days)
        for rule in schedule.rules
        if not rule.holiday_only  # fires only on days the others do not
    ]
    clashes: set[tuple[int, int]] = set()
    cells: dict[tuple[object, int, int], list[tuple[int, Any]]] = {}
    wide: list[tuple[int, ZoneInfo, int, int, Any]] = []
    for rule, mask in zip((r for r in schedule.rules if not r.holiday_only), masks, strict=True):
        if len(rule.cron.minutes) * len(rule.cron.hours) > MAX_CELLS:
            wide.append(mask)
            continue
        number, zone, _, _, days = mask
        for hour in rule.cron.hours:
            for minute in rule.cron.minutes:
                filed = cells.setdefault((zone, hour, minute), [])
                clashes.update((min(n, number), max(n, number)) for n, d in filed if n != number and d & days)
                filed.append((number, days))
    for number, zone, minutes, hours, days in wide:
        for other, other_zone, other_minutes, other_hours, other_days in masks:
            if number == other or zone != other_zone:
                continue
            if minutes & other_minutes and hours & other_hours and days & other_days:
                clashes.add((min(number, other), max(number, other)))
    return sorted(clashes, key=lambda pair: (pair[1], pair[0]))


# A rule firing in more (hour, minute) cells than this is compared with every other by bit masks.
MAX_CELLS = 64


@lru_cache(maxsize=1024)
def _bits(values: tuple[int, ...]) -> int:
    return sum(1 << v for v in values)
