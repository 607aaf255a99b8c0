"""Ledger arithmetic and projections as plain function calls."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hfwarden.config import load_config
from hfwarden.core.cost import OpenSegment, Segment, advance_ledger, future_cost, scheduled_cost, spend_between
from hfwarden.core.endpoints import Observation
from hfwarden.core.rules import EndpointSchedule, local_day_bounds

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
GAP = timedelta(minutes=5)


def seen(state: str, ready: int, target: int, updated: datetime, max_replica: int = 4) -> Observation:
    return Observation(
        "acme", "chat", state, ready, target, 1, max_replica, None, "aws/us-east-1/nvidia-l4/x1", updated
    )


def opened(state: str, replicas: int, at: datetime = T0) -> OpenSegment:
    return OpenSegment("acme/chat", at - timedelta(hours=1), at, state, replicas, 1.0)


S30 = timedelta(seconds=30)


@pytest.mark.parametrize(
    ("current", "observed", "at", "closed", "open_start", "open_replicas"),
    [
        (
            opened("running", 1),
            seen("running", 1, 1, T0 - timedelta(hours=2)),
            T0 + S30,
            [],
            T0 - timedelta(hours=1),
            1,
        ),
        (
            opened("running", 1),
            seen("paused", 0, 0, T0 + timedelta(seconds=10)),
            T0 + S30,
            [(T0 - timedelta(hours=1), T0 + timedelta(seconds=10), 1)],
            T0 + timedelta(seconds=10),
            0,
        ),
        (
            opened("paused", 0),
            seen("initializing", 0, 1, T0 + timedelta(seconds=12)),
            T0 + S30,
            [(T0 - timedelta(hours=1), T0 + timedelta(seconds=12), 0)],
            T0 + timedelta(seconds=12),
            1,
        ),
        (
            opened("pending", 0),
            seen("running", 1, 1, T0 + timedelta(seconds=25)),
            T0 + S30,
            [(T0 - timedelta(hours=1), T0, 0)],
            T0,
            1,
        ),
        (
            opened("running", 1),
            seen("running", 1, 3, T0 + timedelta(seconds=5)),
            T0 + S30,
            [(T0 - timedelta(hours=1), T0 + timedelta(seconds=5), 1)],
            T0 + timedelta(seconds=5),
            3,
        ),
        (
            opened("running", 3),
            seen("running", 1, 1, T0 - timedelta(hours=3)),
            T0 + S30,
            [(T0 - timedelta(hours=1), T0 + S30, 3)],
            T0 + S30,
            1,
        ),
        (
            opened("running", 1),
            seen("running", 2, 2, T0 - timedelta(hours=3)),
            T0 + S30,
            [(T0 - timedelta(hours=1), T0, 1)],
            T0,
            2,
        ),
    ],
    ids=[
        "unchanged-extends",
        "pause-at-updated-at",
        "initializing-seen-starts-at-updated-at",
        "running-seen-after-pending-starts-at-previous-observation",
        "autoscale-up-at-updated-at",
        "decrease-without-time-at-this-observation",
        "increase-without-time-at-previous-observation",
    ],
)
def test_advance_ledger(
    current: OpenSegment,
    observed: Observation,
    at: datetime,
    closed: list[tuple[datetime, datetime, int]],
    open_start: datetime,
    open_replicas: int,
) -> None:
    segments, now_open = advance_ledger(current, observed, at=at, price_per_hour=1.0, gap_after=GAP)
    assert [(s.start, s.end, s.replicas) for s in segments] == closed
    assert (now_open.start, now_open.replicas, now_open.observed_at) == (open_start, open_replicas, at)


def test_a_long_silence_is_flagged_as_a_gap() -> None:
    segments, _ = advance_ledger(
        opened("running", 1),
        seen("paused", 0, 0, T0 + timedelta(hours=2)),
        at=T0 + timedelta(hours=3),
        price_per_hour=1.0,
        gap_after=GAP,
    )
    assert segments[0].gap
    assert segments[0].end == T0 + timedelta(hours=2)  # the last observed state held until the change


def test_a_price_change_closes_the_segment() -> None:
    segments, now_open = advance_ledger(
        opened("running", 1), seen("running", 1, 1, T0), at=T0 + S30, price_per_hour=2.0, gap_after=GAP
    )
    assert len(segments) == 1
    assert now_open.price_per_hour == 2.0


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (datetime(2026, 1, 5, 0, 0, tzinfo=UTC), datetime(2026, 1, 6, 0, 0, tzinfo=UTC), 2.0),
        (datetime(2026, 1, 5, 23, 0, tzinfo=UTC), datetime(2026, 1, 6, 0, 0, tzinfo=UTC), 1.0),
        (datetime(2026, 1, 6, 0, 0, tzinfo=UTC), datetime(2026, 1, 7, 0, 0, tzinfo=UTC), 1.0),
    ],
    ids=["whole-day", "last-hour-before-midnight", "next-day-after-midnight"],
)
def test_spend_is_clipped_to_the_day(start: datetime, end: datetime, expected: float) -> None:
    segment = Segment(
        "acme/chat", datetime(2026, 1, 5, 22, 0, tzinfo=UTC), datetime(2026, 1, 6, 1, 0, tzinfo=UTC), 1, 1.0
    )
    # 22:00-01:00 at $1/h: 2 h on the 5th, 1 h on the 6th.
    assert spend_between([segment], start, end) == pytest.approx(expected)


OFFICE = """
version: 1
timezone: {zone}
endpoints:
  - namespace: acme
    name: chat
    schedule:
      - {{cron: "0 9 * * *", action: resume, min_replicas: 1, max_replicas: 3}}
      - {{cron: "0 18 * * *", action: pause}}
"""


def office(tmp_path: Path, zone: str = "Europe/Paris") -> EndpointSchedule:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(OFFICE.format(zone=zone)))
    return load_config([path]).endpoints[0]


PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("now", "observed", "conservative", "expected"),
    [
        (datetime(2026, 1, 5, 8, 0, tzinfo=PARIS), seen("paused", 0, 0, T0), False, 9.0),
        (datetime(2026, 1, 5, 8, 0, tzinfo=PARIS), seen("running", 2, 2, T0), False, 2 + 9),
        (datetime(2026, 1, 5, 10, 0, tzinfo=PARIS), seen("running", 2, 2, T0), False, 16),
        (datetime(2026, 1, 5, 10, 0, tzinfo=PARIS), seen("running", 1, 1, T0), True, 4 * 8),
        (datetime(2026, 1, 5, 19, 0, tzinfo=PARIS), seen("running", 1, 1, T0), False, 5),
        (datetime(2026, 1, 5, 23, 59, tzinfo=PARIS), seen("running", 1, 1, T0), False, 1 / 60),
    ],
    ids=[
        "paused-before-resume",
        "running-held-until-the-resume",
        "running-two-until-pause",
        "conservative-assumes-max",
        "left-running-after-pause-held-to-midnight",
        "a-minute-before-midnight",
    ],
)
def test_future_cost(tmp_path: Path, now: datetime, observed: Observation, conservative: bool, expected: float) -> None:
    _, day_end = local_day_bounds(now.date(), PARIS)
    cost = future_cost(
        office(tmp_path), observed, now=now, day_end=day_end, price_per_hour=1.0, conservative=conservative
    )
    assert cost == pytest.approx(expected)


@pytest.mark.parametrize(
    ("day", "zone", "hours"),
    [
        (date(2026, 3, 29), "Europe/Paris", 23),
        (date(2026, 10, 25), "Europe/Paris", 25),
        (date(2026, 4, 5), "Australia/Sydney", 25),
        (date(2026, 1, 5), "Europe/Paris", 24),
    ],
    ids=["paris-23-hour-day", "paris-25-hour-day", "sydney-25-hour-day", "ordinary-day"],
)
def test_undeclared_endpoint_running_all_day(day: date, zone: str, hours: int) -> None:
    start, end = local_day_bounds(day, ZoneInfo(zone))
    assert future_cost(None, seen("running", 1, 1, T0), now=start, day_end=end, price_per_hour=1.0) == pytest.approx(
        hours
    )


def test_latched_endpoint_costs_nothing_more(tmp_path: Path) -> None:
    now = datetime(2026, 1, 5, 10, 0, tzinfo=PARIS)
    _, end = local_day_bounds(now.date(), PARIS)
    assert (
        future_cost(office(tmp_path), seen("running", 1, 1, T0), now=now, day_end=end, price_per_hour=1.0, latched=True)
        == 0.0
    )


def test_scheduled_cost_of_a_day(tmp_path: Path) -> None:
    start, end = local_day_bounds(date(2026, 1, 5), PARIS)
    assert scheduled_cost(office(tmp_path), day_start=start, day_end=end, price_per_hour=2.0) == pytest.approx(18)
    assert scheduled_cost(
        office(tmp_path), day_start=start, day_end=end, price_per_hour=2.0, conservative=True
    ) == pytest.approx(54)
