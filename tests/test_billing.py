"""Per-minute billing as a table: UTC minutes, each billed at the largest rate seen within it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hfwarden.core.cost import Segment, spend_between
from hfwarden.core.platform.billing import Span, billed_usd, exact_usd

T = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
S = timedelta(seconds=1)
M = timedelta(minutes=1)
RATE = 0.6  # $/h: one replica-minute costs exactly one cent


def span(start: timedelta, end: timedelta, replicas: int = 1, price: float = RATE) -> Span:
    return Span(T + start, T + end, replicas, price)


def cents(spans: list[Span], start: datetime = T - timedelta(hours=1), end: datetime = T + timedelta(hours=2)) -> float:
    return round(billed_usd(spans, start, end) * 100, 9)


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        ([], 0),
        ([span(0 * S, 60 * M)], 60),
        ([span(40 * S, 60 * S)], 1),  # a 20 s start is a whole minute
        ([span(0 * S, 20 * S)], 1),  # so is a 20 s run cut by a pause
        ([span(10 * S, 20 * S)], 1),  # 10 s inside one minute
        ([span(30 * S, 150 * S)], 3),  # 08:00:30-08:02:30 touches three minutes
        ([span(0 * S, 1 * S, replicas=2)], 2),  # the replicas count, not the seconds
        ([span(0 * S, 30 * S, 1), span(30 * S, 120 * S, 3)], 6),  # scale-up mid-minute: 3 for that minute
        ([span(0 * S, 90 * S, 3), span(90 * S, 180 * S, 1)], 3 + 3 + 1),  # scale-down mid-minute: still 3
        ([span(0 * S, 10 * S, 2), span(50 * S, 60 * S, 1)], 2),  # a gap inside a minute
        ([span(0 * S, 60 * S, 0)], 0),  # zero replicas cost nothing
        ([span(0 * S, 30 * S, 1, 0.6), span(30 * S, 60 * S, 1, 1.2)], 2),  # a dearer instance mid-minute
        ([span(120 * S, 180 * S), span(0 * S, 60 * S)], 2),  # order does not matter
    ],
    ids=[
        "nothing",
        "a-whole-hour",
        "20s-start",
        "20s-run",
        "10s-inside",
        "unaligned-both-ends",
        "two-replicas-one-second",
        "scale-up-mid-minute",
        "scale-down-mid-minute",
        "gap-inside-a-minute",
        "zero-replicas",
        "price-change-mid-minute",
        "unsorted",
    ],
)
def test_minutes_billed(spans: list[Span], expected: int) -> None:
    assert cents(spans) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (T, T + 60 * M, 60),
        (T + 30 * S, T + 60 * M, 59),  # the minute 08:00 began before the window: not its minute
        (T, T + 30 * S, 1),  # a window ending mid-minute holds that whole minute
        (T, T, 0),
        (T + 10 * M, T + 20 * M, 10),
    ],
    ids=["aligned", "starts-mid-minute", "ends-mid-minute", "empty", "inside"],
)
def test_a_minute_belongs_to_the_window_it_begins_in(start: datetime, end: datetime, expected: int) -> None:
    assert cents([span(0 * S, 60 * M)], start, end) == expected


def test_adjacent_windows_add_up_wherever_they_are_cut() -> None:
    spans = [span(25 * S, 95 * S, 2), span(95 * S, 10 * M + 7 * S, 1), span(30 * M + 1 * S, 31 * M, 4)]
    whole = cents(spans, T, T + timedelta(hours=1))
    for cut in (T + 30 * S, T + 1 * M, T + 95 * S, T + 30 * M + 30 * S):
        assert cents(spans, T, cut) + cents(spans, cut, T + timedelta(hours=1)) == pytest.approx(whole)


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [("Europe/Paris", 29, 23), ("Europe/Paris", 25, 24)],
    ids=["spring-forward-23h", "ordinary-24h"],
)
def test_local_days_are_whole_utc_minutes(zone: str, day: int, hours: int) -> None:
    """A 23- or 25-hour budget day changes nothing: minutes are UTC minutes, and zones move by whole minutes."""
    month = 3 if day == 29 else 1
    start = datetime(2026, month, day, tzinfo=ZoneInfo(zone))
    end = datetime(2026, month, day + 1, tzinfo=ZoneInfo(zone))
    always = [Span(start - timedelta(days=1), end + timedelta(days=1), 1, RATE)]
    assert round(billed_usd(always, start, end) * 100, 6) == hours * 60


def test_a_year_long_stretch_is_priced_without_walking_its_minutes() -> None:
    year = [Span(T, T + timedelta(days=365), 2, RATE)]
    assert billed_usd(year, T, T + timedelta(days=365)) == pytest.approx(2 * 365 * 24 * 60 / 100)


def test_never_below_the_exact_integral_and_at_most_one_minute_per_edge_above() -> None:
    rng = random.Random(10)
    for _ in range(200):
        spans, at = [], T + rng.randrange(0, 60_000_000) * timedelta(microseconds=1)
        for _ in range(rng.randrange(1, 8)):
            length = rng.randrange(1, 600_000_000) * timedelta(microseconds=1)
            spans.append(Span(at, at + length, rng.randrange(0, 4), RATE))
            at += length
        window = (T - timedelta(hours=1), T + timedelta(hours=3))
        billed, exact = billed_usd(spans, *window), exact_usd(spans, *window)
        assert billed >= exact - 1e-12
        assert billed <= exact + 2 * len(spans) * 3 * RATE / 60 + 1e-12


def test_the_ledger_bills_each_endpoint_per_minute() -> None:
    """spend_between (the ledger) uses the same rule, endpoint by endpoint: two endpoints' half-minutes
    in the same minute are two minutes, not one."""
    segments = [
        Segment("acme/a", T + 10 * S, T + 40 * S, 1, RATE),
        Segment("acme/b", T + 40 * S, T + 50 * S, 1, RATE),
        Segment("acme/a", T + 40 * S, T + 90 * S, 2, RATE),  # a scales up mid-minute: 2 for 08:00 and 08:01
    ]
    assert round(spend_between(segments, T, T + timedelta(hours=1)) * 100, 9) == 2 + 2 + 1
