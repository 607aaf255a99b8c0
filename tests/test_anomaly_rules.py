"""Spend anomalies (core/anomaly.py): hour-of-week baselines from ledger segments, as plain calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hfwarden.config import ConfigError, load_config
from hfwarden.core.alerts import AlertKind
from hfwarden.core.anomaly import AnomalyRule, anomaly_alert, learn, watch
from hfwarden.core.cost import Segment

UTC_ZONE = ZoneInfo("UTC")
START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
RULE = AnomalyRule(factor=2.0, sustained=timedelta(minutes=30))
STEP = timedelta(minutes=15)


def history(
    endpoint: str, end: datetime, *, peak: int = 3, change_at: datetime | None = None, replicas: int = 1
) -> list[Segment]:
    """$1 a replica-hour from START to `end`: one replica, `peak` on Mondays 09:00-12:00, and
    `replicas` from `change_at` on."""
    segments, at = [], START
    while at < end:
        count = peak if at.weekday() == 0 and 9 <= at.hour < 12 else 1
        if change_at is not None and at >= change_at:
            count = replicas
        segments.append(Segment(endpoint, at, min(at + STEP, end), count, 1.0))
        at += STEP
    return segments


def test_the_baseline_learns_each_hour_of_the_week() -> None:
    end = START + timedelta(weeks=2)
    baseline = learn(history("acme/a", end), start=START, end=end, zone=UTC_ZONE)
    assert baseline[9] == baseline[11] == pytest.approx(3.0)  # Monday 09:00 and 11:00
    assert baseline[12] == baseline[24 + 14] == pytest.approx(1.0)  # Monday noon, Tuesday 14:00


def test_nothing_is_judged_before_two_weeks_of_ledger_and_status_says_when() -> None:
    now = START + timedelta(days=10)
    segments = {"acme/a": history("acme/a", now, change_at=now - timedelta(hours=2), replicas=5)}
    status = watch(RULE, UTC_ZONE, segments, now=now, history_start=START)
    assert status.state == "learning"
    assert status.starts_at == START + timedelta(days=14)


def test_the_normal_weekly_peak_is_no_anomaly() -> None:
    now = START + timedelta(weeks=2, hours=11)  # the third Monday, 11:00: three replicas since 09:00
    status = watch(RULE, UTC_ZONE, {"acme/a": history("acme/a", now)}, now=now, history_start=START)
    assert (status.state, status.rate_usd_per_hour, status.baseline_usd_per_hour) == ("watching", 3.0, 3.0)
    assert anomaly_alert("team", status, UTC_ZONE) is None


def tuesday(minutes: int) -> dict[str, list[Segment]]:
    """The third Tuesday, `minutes` after 14:00, when acme/a went from one replica to three."""
    change = START + timedelta(weeks=2, days=1, hours=14)
    now = change + timedelta(minutes=minutes)
    return {
        "acme/a": history("acme/a", now, change_at=change, replicas=3),
        "acme/b": history("acme/b", now, peak=1),
    }


def test_a_doubled_rate_under_budget_is_an_anomaly_once_it_has_lasted_and_names_its_driver() -> None:
    change = START + timedelta(weeks=2, days=1, hours=14)
    # $4/h where $2/h is usual: doubled, but only for 15 minutes yet.
    early = watch(RULE, UTC_ZONE, tuesday(15), now=change + timedelta(minutes=15), history_start=START)
    assert (early.state, early.rate_usd_per_hour, early.baseline_usd_per_hour) == ("watching", 4.0, 2.0)
    status = watch(RULE, UTC_ZONE, tuesday(45), now=change + timedelta(minutes=45), history_start=START)
    assert status.state == "anomalous"
    assert status.since == change
    assert status.endpoints == (("acme/a", pytest.approx(2.0)),)  # b bills as it always does
    alert = anomaly_alert("team", status, UTC_ZONE)
    assert alert is not None
    assert alert.kind == AlertKind.SPEND_ANOMALY
    assert "2.0 times the usual $2.00/h" in alert.message
    assert "driven by acme/a (+$2.00/h)" in alert.message
    later = watch(RULE, UTC_ZONE, tuesday(180), now=change + timedelta(hours=3), history_start=START)
    later_alert = anomaly_alert("team", later, UTC_ZONE)
    assert later_alert is not None
    assert later_alert.dedupe_key == alert.dedupe_key  # one episode, one alert


def test_a_rate_below_the_factor_is_no_anomaly() -> None:
    change = START + timedelta(weeks=2, days=1, hours=14)
    segments = {"acme/a": history("acme/a", change + timedelta(hours=2), change_at=change, replicas=2)}
    segments["acme/b"] = history("acme/b", change + timedelta(hours=2), peak=1)
    status = watch(RULE, UTC_ZONE, segments, now=change + timedelta(hours=2), history_start=START)
    assert status.state == "watching"  # $3/h against $2/h: 1.5 times, under the factor of 2


def test_the_anomaly_key_of_a_budget(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("version: 1\nendpoints: []\nbudgets:\n  - {name: b, daily_usd: 9, anomaly: {factor: 3, for: 1h}}\n")
    (budget,) = load_config([path]).budgets
    assert budget.anomaly == AnomalyRule(3.0, timedelta(hours=1), 0.0)
    path.write_text("version: 1\nendpoints: []\nbudgets:\n  - {name: b, daily_usd: 9, anomaly: {}}\n")
    (budget,) = load_config([path]).budgets
    assert budget.anomaly == RULE  # factor 2 for 30m
    path.write_text("version: 1\nendpoints: []\nbudgets:\n  - {name: b, daily_usd: 9, anomaly: {for: 1m, factor: 1}}\n")
    with pytest.raises(ConfigError) as caught:
        load_config([path])
    found = " / ".join(str(p) for p in caught.value.problems)
    assert "between 5m and 24h" in found
    assert "greater than 1" in found
