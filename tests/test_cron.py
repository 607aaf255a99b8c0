"""crontab(5) semantics and daylight-saving behaviour of cron rules, as tables."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from hfwarden.core.cron import CronError, parse_cron, resolve_wall_time

PARIS = ZoneInfo("Europe/Paris")
SYDNEY = ZoneInfo("Australia/Sydney")
NEW_YORK = ZoneInfo("America/New_York")

# 2026-01-05 is a Monday; 2026-01-04 a Sunday; 2026-01-10 a Saturday.
DAYS = {
    name: date(2026, 1, 4 + offset) for offset, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])
}


@pytest.mark.parametrize(
    ("expression", "fires_on"),
    [
        ("0 9 * * 1-5", {"mon", "tue", "wed", "thu", "fri"}),
        ("0 9 * * mon-fri", {"mon", "tue", "wed", "thu", "fri"}),
        ("0 9 * * MON-FRI", {"mon", "tue", "wed", "thu", "fri"}),
        ("0 9 * * 0", {"sun"}),
        ("0 9 * * 7", {"sun"}),
        ("0 9 * * sun", {"sun"}),
        ("0 9 * * 6,0", {"sat", "sun"}),
        ("0 9 * * 5-7", {"fri", "sat", "sun"}),
        ("0 9 * * */2", {"sun", "tue", "thu", "sat"}),
        ("0 9 * * *", {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}),
        ("@daily", {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}),
        ("@weekly", {"sun"}),
    ],
    ids=[
        "numeric-1-5-is-monday-to-friday",
        "names-mon-fri",
        "names-uppercase",
        "zero-is-sunday",
        "seven-is-sunday",
        "name-sun",
        "list-sat-sun",
        "range-through-seven",
        "step-every-other-day",
        "every-day",
        "macro-daily",
        "macro-weekly-sunday",
    ],
)
def test_day_of_week_means_what_crontab_says(expression: str, fires_on: set[str]) -> None:
    cron = parse_cron(expression)
    assert {name for name, day in DAYS.items() if cron.matches_day(day)} == fires_on


@pytest.mark.parametrize(
    ("expression", "day", "fires"),
    [
        ("0 9 13 * 5", date(2026, 2, 13), True),  # Friday the 13th: both match
        ("0 9 13 * 5", date(2026, 1, 13), True),  # a Tuesday the 13th: day of month alone is enough
        ("0 9 13 * 5", date(2026, 1, 9), True),  # a Friday the 9th: day of week alone is enough
        ("0 9 13 * 5", date(2026, 1, 8), False),
        ("0 9 13 * *", date(2026, 1, 9), False),  # unrestricted day of week: day of month must match
        ("0 9 * 2 *", date(2026, 1, 9), False),
        ("0 9 1 jan-mar *", date(2026, 3, 1), True),
    ],
    ids=["dom-and-dow", "dom-only", "dow-only", "neither", "dom-restricted-only", "month", "month-names"],
)
def test_day_of_month_or_day_of_week(expression: str, day: date, fires: bool) -> None:
    assert parse_cron(expression).matches_day(day) is fires


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 9 * *", "expected 5 fields"),
        ("60 9 * * *", "minute: 60 is outside 0-59"),
        ("0 24 * * *", "hour: 24 is outside 0-23"),
        ("0 9 0 * *", "day of month: 0 is outside 1-31"),
        ("0 9 * 13 *", "month: 13 is outside 1-12"),
        ("0 9 * * 8", "day of week: 8 is outside 0-7"),
        ("0 9 * * fri-mon", "runs backwards"),
        ("0 9 * * funday", "not a number or a name"),
        ("*/0 9 * * *", "step must be at least 1"),
        ("0 9 * * 1,,2", "cannot read"),
    ],
    ids=[
        "four-fields",
        "minute",
        "hour",
        "dom-zero",
        "month-13",
        "dow-8",
        "backwards",
        "bad-name",
        "zero-step",
        "empty",
    ],
)
def test_bad_expressions_say_what_is_wrong(expression: str, message: str) -> None:
    with pytest.raises(CronError, match=message):
        parse_cron(expression)


@pytest.mark.parametrize(
    ("expression", "zone", "day", "expected_utc"),
    [
        # Europe/Paris springs forward 2026-03-29 02:00 → 03:00: 02:30 does not exist.
        ("30 2 * * *", PARIS, date(2026, 3, 29), ["2026-03-29T01:00:00+00:00"]),
        ("*/15 2 * * *", PARIS, date(2026, 3, 29), ["2026-03-29T01:00:00+00:00"]),
        ("30 1 * * *", PARIS, date(2026, 3, 29), ["2026-03-29T00:30:00+00:00"]),
        ("30 3 * * *", PARIS, date(2026, 3, 29), ["2026-03-29T01:30:00+00:00"]),
        # Europe/Paris falls back 2026-10-25 03:00 → 02:00: 02:30 happens twice, fires at the first.
        ("30 2 * * *", PARIS, date(2026, 10, 25), ["2026-10-25T00:30:00+00:00"]),
        ("0,30 2 * * *", PARIS, date(2026, 10, 25), ["2026-10-25T00:00:00+00:00", "2026-10-25T00:30:00+00:00"]),
        # Australia/Sydney (southern hemisphere) springs forward 2026-10-04 02:00 → 03:00 ...
        ("30 2 * * *", SYDNEY, date(2026, 10, 4), ["2026-10-03T16:00:00+00:00"]),
        # ... and falls back 2026-04-05 03:00 → 02:00.
        ("30 2 * * *", SYDNEY, date(2026, 4, 5), ["2026-04-04T15:30:00+00:00"]),
        # America/New_York springs forward 2026-03-08 02:00 → 03:00.
        ("55 8 * * *", NEW_YORK, date(2026, 3, 8), ["2026-03-08T12:55:00+00:00"]),
        ("55 8 * * *", NEW_YORK, date(2026, 3, 7), ["2026-03-07T13:55:00+00:00"]),
    ],
    ids=[
        "paris-spring-gap-fires-at-gap-end",
        "paris-spring-gap-several-times-fire-once",
        "paris-spring-before-gap",
        "paris-spring-after-gap",
        "paris-fall-repeated-fires-once-first",
        "paris-fall-two-minutes-each-once",
        "sydney-spring-gap",
        "sydney-fall-repeated",
        "new-york-after-spring-forward",
        "new-york-before-spring-forward",
    ],
)
def test_daylight_saving(expression: str, zone: ZoneInfo, day: date, expected_utc: list[str]) -> None:
    fires = parse_cron(expression).fires_on(day, zone)
    assert [f.isoformat() for f in fires] == expected_utc


@pytest.mark.parametrize(
    ("at", "previous", "following"),
    [
        (datetime(2026, 1, 5, 8, 55, tzinfo=PARIS), "2026-01-05T08:55:00+01:00", "2026-01-06T08:55:00+01:00"),
        (datetime(2026, 1, 5, 8, 54, tzinfo=PARIS), "2026-01-02T08:55:00+01:00", "2026-01-05T08:55:00+01:00"),
        (datetime(2026, 1, 10, 12, 0, tzinfo=PARIS), "2026-01-09T08:55:00+01:00", "2026-01-12T08:55:00+01:00"),
    ],
    ids=["exactly-at-fire-time", "monday-before-fire-goes-back-to-friday", "saturday"],
)
def test_previous_and_next_fire(at: datetime, previous: str, following: str) -> None:
    cron = parse_cron("55 8 * * 1-5")
    found = cron.previous_fire(at, PARIS)
    upcoming = cron.next_fire(at, PARIS)
    assert found is not None
    assert upcoming is not None
    assert found.astimezone(PARIS).isoformat() == previous
    assert upcoming.astimezone(PARIS).isoformat() == following


def test_yearly_rule_is_found_looking_back() -> None:
    found = parse_cron("@yearly").previous_fire(datetime(2026, 12, 31, tzinfo=UTC), ZoneInfo("UTC"))
    assert found == datetime(2026, 1, 1, tzinfo=UTC)


def test_resolve_wall_time_of_an_ordinary_time_is_plain() -> None:
    assert resolve_wall_time(datetime(2026, 6, 1, 12, 0), PARIS) == datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # noqa: DTZ001


LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # falls back by 30 minutes


@pytest.mark.parametrize(
    ("expression", "zone", "at", "previous", "following"),
    [
        # 02:10 CET, the second time 02:10 happens in Paris: today's 02:30 fired at its first occurrence.
        ("30 2 * * *", PARIS, "2026-10-25T01:10:00+00:00", "2026-10-25T00:30:00+00:00", "2026-10-26T01:30:00+00:00"),
        ("0,30 2 * * *", PARIS, "2026-10-25T01:03:00+00:00", "2026-10-25T00:30:00+00:00", "2026-10-26T01:00:00+00:00"),
        ("*/20 * * * *", SYDNEY, "2026-04-04T16:10:00+00:00", "2026-04-04T15:40:00+00:00", "2026-04-04T17:00:00+00:00"),
        ("59 1 * * *", NEW_YORK, "2026-11-01T06:10:00+00:00", "2026-11-01T05:59:00+00:00", "2026-11-02T06:59:00+00:00"),
        (
            "59 1 * * *",
            LORD_HOWE,
            "2026-04-04T15:07:00+00:00",
            "2026-04-04T14:59:00+00:00",
            "2026-04-05T15:29:00+00:00",
        ),
        (
            "15 1-3 * * *",
            NEW_YORK,
            "2026-11-01T06:10:00+00:00",
            "2026-11-01T05:15:00+00:00",
            "2026-11-01T07:15:00+00:00",
        ),
    ],
    ids=[
        "paris-second-pass-previous-is-todays-first",
        "paris-second-pass-two-minutes",
        "sydney-second-pass-every-20-minutes",
        "new-york-second-pass",
        "lord-howe-half-hour-fall-back",
        "new-york-second-pass-hour-range",
    ],
)
def test_from_inside_a_repeated_hour(expression: str, zone: ZoneInfo, at: str, previous: str, following: str) -> None:
    # cronsim 2.8 reads the starting instant as a wall time without its fold: from the second pass
    # it answers yesterday's fire going back, and a fire in the past going forward.
    cron, instant = parse_cron(expression), datetime.fromisoformat(at)
    assert cron.previous_fire(instant, zone) == datetime.fromisoformat(previous)
    assert cron.next_fire(instant, zone) == datetime.fromisoformat(following)


@pytest.mark.parametrize(
    ("at", "previous", "following"),
    [
        (datetime(2027, 6, 1, tzinfo=UTC), datetime(2024, 2, 29, 9, tzinfo=UTC), datetime(2028, 2, 29, 9, tzinfo=UTC)),
        (datetime(2101, 1, 1, tzinfo=UTC), datetime(2096, 2, 29, 9, tzinfo=UTC), datetime(2104, 2, 29, 9, tzinfo=UTC)),
    ],
    ids=["four-years-apart", "eight-years-apart-over-2100"],
)
def test_leap_day_rule_is_found_years_away(at: datetime, previous: datetime, following: datetime) -> None:
    cron = parse_cron("0 9 29 2 *")
    assert cron.previous_fire(at, ZoneInfo("UTC")) == previous
    assert cron.next_fire(at, ZoneInfo("UTC")) == following


@pytest.mark.parametrize(
    "expression",
    ["* * 31 2 *", "0 9 30 2 *", "0 9 31 4,6,9,11 *", "0 9 31 feb-apr/2 *"],
    ids=["feb-31", "feb-30", "31st-of-short-months", "stepped-months"],
)
def test_a_cron_that_can_never_fire_is_refused(expression: str) -> None:
    with pytest.raises(CronError, match="never fires"):
        parse_cron(expression)


def test_day_of_week_makes_an_impossible_day_of_month_possible() -> None:
    # crontab(5): both restricted, either is enough, so this fires every Monday.
    assert parse_cron("0 9 31 2 1").matches_day(date(2026, 2, 2))
