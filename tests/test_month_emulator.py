"""Monthly budgets against the emulator on one manual clock: a paced month and a month's rollover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from huggingface_hub import HfApi

from hfwarden.app.views.status import status_document, status_lines
from hfwarden.clock import ManualClock
from tests.conftest import Factory
from tests.support.helpers import billed_usd, create
from tests.support.passes import live

pytestmark = pytest.mark.usefixtures("client_at_emulator")

NOVEMBER = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 10, 31, 20, 0, tzinfo=UTC))


# $340 for a 30-day November is $11.33 a day; the burner runs all day on an L4 ($0.80/h): $19.20 a day.
# The ladder only notifies until the day's projection reaches twice the day's limit.
PACED = """
version: 1
timezone: UTC
endpoints:
  - {namespace: acme, name: burner}
budgets:
  - name: team
    monthly_usd: 340
    timezone: UTC
    scope: {namespace: acme}
    steps:
      - {at: 1.0, action: notify}
      - {at: 2.0, action: pause}
"""


def test_a_spend_heavy_first_week_shrinks_the_allowance_until_the_guard_pauses_a_week_in(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory
) -> None:
    clock.set(NOVEMBER)
    create(api, "burner", min_replica=1, max_replica=1, instance_type="nvidia-l4")
    reconciler = warden(PACED)
    allowances = []
    for day in range(1, 7):
        report = live(reconciler, clock, NOVEMBER + timedelta(days=day) - timedelta(minutes=1), tick=3600)
        assert report.stopped == [], day
        assert not report.latched, day
        (budget,) = status_document(report)["budgets"]
        allowances.append(budget["allowance_usd"])
    # Day 7 at midnight: the month spent $115.20 in six days, leaving $9.37 a day; $19.20 is over twice that.
    clock.set(NOVEMBER + timedelta(days=6, seconds=30))
    report = reconciler.run_pass()
    assert report.stopped == ["acme/burner"]
    (budget,) = status_document(report)["budgets"]
    assert allowances == sorted(allowances, reverse=True)
    assert allowances[0] == pytest.approx(340 / 30, rel=1e-3)
    assert budget["monthly_usd"] == 340.0
    assert budget["allowance_usd"] == pytest.approx((340 - 6 * 19.2) / 24, rel=0.005)
    assert budget["daily_usd"] == budget["allowance_usd"]  # the day's limit is the allowance
    truth = billed_usd(control, "burner")
    assert budget["month_spent_usd"] == pytest.approx(truth, rel=0.005)
    assert budget["month_forecast_usd"] == pytest.approx(truth + 24 * 19.2, rel=0.005)  # before the pause
    (line,) = [x for x in status_lines(report) if x.startswith("budget team:")]
    assert "month $115.2" in line
    assert "today's allowance $9.3" in line
    assert "(24 days left)" in line
    clock.advance(120)
    (after,) = status_document(reconciler.run_pass())["budgets"]
    assert after["month_forecast_usd"] == pytest.approx(billed_usd(control, "burner"), rel=0.005)  # paused
    assert api.get_inference_endpoint("burner", namespace="acme").status == "paused"


ROLLOVER = """
version: 1
timezone: Europe/Paris
endpoints:
  - {namespace: acme, name: burner}
budgets:
  - name: team
    monthly_usd: 300
    daily_usd: 250
    timezone: Europe/Paris
    scope: {namespace: acme}
    alert_at: [{at: 0.5, on: month}]
"""


def test_the_month_rolls_over_at_local_midnight_on_the_first_after_a_clock_change(
    api: HfApi, clock: ManualClock, warden: Factory
) -> None:
    # Paris left summer time on 25 October: its 1 November starts at 23:00 UTC, not 22:00.
    create(api, "burner", min_replica=1, max_replica=1, instance_type="nvidia-l4")
    reconciler = warden(ROLLOVER)
    live(reconciler, clock, datetime(2026, 10, 31, 22, 30, tzinfo=UTC), tick=600)
    (october,) = status_document(reconciler.run_pass())["budgets"]
    assert october["allowance_usd"] == 300.0  # all October has left, on its last day
    assert october["daily_usd"] == 250.0  # the daily budget caps the day's limit
    assert october["month_spent_usd"] == pytest.approx(2.5 * 0.8, rel=0.01)
    clock.set(datetime(2026, 10, 31, 22, 59, 30, tzinfo=UTC))
    (still_october,) = status_document(reconciler.run_pass())["budgets"]
    assert still_october["month_spent_usd"] > october["month_spent_usd"]
    clock.set(datetime(2026, 10, 31, 23, 0, 30, tzinfo=UTC))
    (november,) = status_document(reconciler.run_pass())["budgets"]
    assert november["allowance_usd"] == november["daily_usd"] == pytest.approx(300 / 30)
    assert november["month_spent_usd"] == pytest.approx(0.8 / 60, rel=0.01)  # its first minute
    # The forecast runs to 1 December 00:00 Paris: 30 days of 24 h, all running.
    assert november["month_forecast_usd"] == pytest.approx(30 * 24 * 0.8, rel=0.001)
