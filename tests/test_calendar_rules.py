"""Holiday calendars as plain function calls: skipped days in each rule's own zone, across DST, and
windows that count as outside all day."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hfwarden.config import ConfigError, load_config
from hfwarden.core.calendars import Calendar
from hfwarden.core.cron import parse_cron
from hfwarden.core.decide import schedule_decision
from hfwarden.core.endpoints import Observation
from hfwarden.core.rules import (
    Action,
    ActionKind,
    EndpointSchedule,
    Rule,
    latest_transition,
    next_transition,
    transitions_between,
)
from hfwarden.core.windows import holiday_rule, window_rules

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
RESUME = Action(ActionKind.RESUME, min_replicas=1)
PAUSE = Action(ActionKind.PAUSE)
STZ = Action(ActionKind.SCALE_TO_ZERO)


def on(*days: date, name: str = "company") -> Calendar:
    return Calendar(name, frozenset(days))


def cron_schedule(zone: ZoneInfo, *rules: tuple[str, Action], skip: tuple[Calendar, ...] = ()) -> EndpointSchedule:
    compiled = tuple(Rule(f"r{n}", n, parse_cron(c), zone, a) for n, (c, a) in enumerate(rules, start=1))
    return EndpointSchedule("acme", "chat", compiled, zone, skip=skip)


def local(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone).astimezone(UTC)  # type: ignore[misc]


OFFICE = (("55 8 * * 1-5", RESUME), ("0 18 * * 1-5", PAUSE))


@pytest.mark.parametrize(
    ("zone", "skip", "at", "expected"),
    [
        # Friday 2026-12-25 is skipped: at 12:00 the latest is Thursday's pause, not Friday's resume.
        (BERLIN, (on(date(2026, 12, 25)),), local(BERLIN, 2026, 12, 25, 12), local(BERLIN, 2026, 12, 24, 18)),
        # Two skipped days in a row: back to Wednesday's pause.
        (
            BERLIN,
            (on(date(2026, 12, 24), date(2026, 12, 25)),),
            local(BERLIN, 2026, 12, 25, 12),
            local(BERLIN, 2026, 12, 23, 18),
        ),
        # Not skipped: Friday's resume.
        (BERLIN, (), local(BERLIN, 2026, 12, 25, 12), local(BERLIN, 2026, 12, 25, 8, 55)),
        # A public-holiday function (Australia Day, Monday) in the southern summer.
        (
            SYDNEY,
            (Calendar("au", public=lambda d: "Australia Day" if d == date(2026, 1, 26) else None),),
            local(SYDNEY, 2026, 1, 26, 12),
            local(SYDNEY, 2026, 1, 23, 18),
        ),
    ],
    ids=["holiday-skips-the-resume", "two-days-in-a-row", "no-calendar", "public-holiday-function-sydney"],
)
def test_latest_transition_skips_calendar_days(
    zone: ZoneInfo, skip: tuple[Calendar, ...], at: datetime, expected: datetime
) -> None:
    transition = latest_transition(cron_schedule(zone, *OFFICE, skip=skip), at)
    assert transition is not None
    assert transition.at == expected


def test_dates_are_in_the_rules_own_zone() -> None:
    # 23:30 New York on 2 July is 03:30 UTC on 3 July: a skip of 3 July must not swallow it,
    # and must swallow 3 July's own 23:30 (04 July 03:30 UTC).
    schedule = cron_schedule(NEW_YORK, ("30 23 * * *", PAUSE), skip=(on(date(2026, 7, 3)),))
    fires = [t.at for t in transitions_between(schedule, local(NEW_YORK, 2026, 7, 2), local(NEW_YORK, 2026, 7, 5))]
    assert fires == [local(NEW_YORK, 2026, 7, 2, 23, 30), local(NEW_YORK, 2026, 7, 4, 23, 30)]


@pytest.mark.parametrize(
    ("skipped", "first", "expected_days"),
    [
        # Spring forward: 02:30 does not exist on the 29th; the evaluator fires it at the shifted
        # instant on ordinary years, and not at all when the day is skipped.
        (date(2026, 3, 29), date(2026, 3, 28), [28, 30]),
        (date(2026, 10, 25), date(2026, 10, 24), [24, 26]),  # fall back: the repeated 02:30, skipped
        (date(2026, 10, 24), date(2026, 10, 24), [25, 26]),
    ],
    ids=["spring-forward-day", "fall-back-day", "day-before-fall-back"],
)
def test_skipped_days_across_dst(skipped: date, first: date, expected_days: list[int]) -> None:
    schedule = cron_schedule(BERLIN, ("30 2 * * *", RESUME), skip=(on(skipped),))
    start = local(BERLIN, first.year, first.month, first.day)
    end = local(BERLIN, first.year, first.month, first.day + 3)
    fires = [t.at.astimezone(BERLIN).day for t in transitions_between(schedule, start, end)]
    assert fires == expected_days


def window_schedule(skip: tuple[Calendar, ...]) -> EndpointSchedule:
    rules = window_rules("acme/chat", 1, "mon-fri 09:00-18:00", prewarm=0, zone=BERLIN, during=RESUME, outside=STZ)
    rules.append(holiday_rule("acme/chat", 1, zone=BERLIN, outside=STZ))
    return EndpointSchedule("acme", "chat", tuple(rules), BERLIN, skip=skip)


@pytest.mark.parametrize(
    ("at", "kind", "when"),
    [
        (local(BERLIN, 2026, 12, 25, 12), ActionKind.SCALE_TO_ZERO, local(BERLIN, 2026, 12, 25, 0)),
        (local(BERLIN, 2026, 12, 28, 12), ActionKind.RESUME, local(BERLIN, 2026, 12, 28, 9)),
        (local(BERLIN, 2026, 12, 24, 12), ActionKind.RESUME, local(BERLIN, 2026, 12, 24, 9)),
    ],
    ids=["holiday-is-outside-all-day", "next-working-day-opens", "day-before-is-normal"],
)
def test_a_window_counts_as_outside_on_a_calendar_day(at: datetime, kind: ActionKind, when: datetime) -> None:
    transition = latest_transition(window_schedule((on(date(2026, 12, 25)),)), at)
    assert transition is not None
    assert (transition.action.kind, transition.at) == (kind, when)


def test_next_transition_steps_over_a_calendar_day() -> None:
    schedule = cron_schedule(BERLIN, *OFFICE, skip=(on(date(2026, 12, 25)),))
    upcoming = next_transition(schedule, local(BERLIN, 2026, 12, 24, 19))
    assert upcoming is not None
    assert upcoming.at == local(BERLIN, 2026, 12, 28, 8, 55)  # Friday skipped, then the weekend


def test_the_decision_says_the_day_is_skipped() -> None:
    schedule = cron_schedule(BERLIN, *OFFICE, skip=(on(date(2026, 12, 25)),))
    now = local(BERLIN, 2026, 12, 25, 9)
    paused = Observation("acme", "chat", "paused", 0, 0, 1, 1, None, "aws/us-east-1/nvidia-l4/x1", now)
    decision = schedule_decision(schedule, paused, now=now, last_applied_key=None)
    assert decision.steps == ()
    assert "today skipped (company: listed date)" in decision.reason


CALENDARS = """
version: 1
timezone: Europe/Berlin
calendars:
  de-by: {country: DE, subdivision: BY}
  company: {dates: [2026-12-24, 2026-12-31]}
endpoints:
  - namespace: acme
    name: chat
    skip: [de-by, company]
    schedule:
      - {cron: "55 8 * * 1-5", action: resume, min_replicas: 1}
"""


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (date(2026, 12, 25), "de-by: Christmas Day"),
        (date(2026, 1, 6), "de-by: Epiphany"),  # Bavaria's, not every German state's
        (date(2026, 12, 24), "company: listed date"),
        (date(2026, 12, 23), None),
    ],
    ids=["christmas", "epiphany-in-bavaria", "explicit-date", "ordinary-day"],
)
def test_calendars_from_the_holidays_package(tmp_path: Path, day: date, why: str | None) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(CALENDARS))
    (schedule,) = load_config([path]).endpoints
    assert schedule.skipped(day) == why


@pytest.mark.parametrize(
    ("calendars", "skip", "problem"),
    [
        ("{x: {country: ZZ}}", "[x]", "no public holidays known for ZZ"),
        ("{x: {country: DE, subdivision: QQ}}", "[x]", "no public holidays known for DE-QQ"),
        ("{x: {subdivision: BY}}", "[x]", "needs a country"),
        ("{x: {dates: [2026-12-24]}}", "[y]", "unknown calendar 'y'"),
    ],
    ids=["unknown-country", "unknown-subdivision", "no-days", "unknown-name"],
)
def test_bad_calendars_are_refused(tmp_path: Path, calendars: str, skip: str, problem: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        f"version: 1\ncalendars: {calendars}\nendpoints:\n  - namespace: acme\n    name: chat\n    skip: {skip}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config([path])
    assert any(problem in str(p) for p in caught.value.problems), caught.value.problems
