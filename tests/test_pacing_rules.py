"""Monthly budgets paced by day (core/allowance.py): plain function calls, time as an argument."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hfwarden.config import ConfigError, load_config
from hfwarden.core.alerts import AlertKind
from hfwarden.core.allowance import MonthSpend, allowance, pace
from hfwarden.core.budget import Budget, EndpointCost, budget_review
from hfwarden.core.ladder import Basis, LadderStep, StepAction
from hfwarden.core.months import days_left, month_bounds

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("monthly", "spent_before", "day", "expected"),
    [
        (3000.0, 0.0, date(2026, 12, 1), 3000 / 31),
        (3000.0, 1500.0, date(2026, 12, 16), 1500 / 16),
        (3000.0, 2900.0, date(2026, 12, 31), 100.0),
        (3000.0, 3100.0, date(2026, 12, 20), 0.0),  # overspent: nothing left to allow
        (290.0, 0.0, date(2028, 2, 1), 10.0),  # a leap February has 29 days
    ],
    ids=["first-day", "half-way", "last-day", "overspent", "leap-february"],
)
def test_allowance_shares_what_is_left_over_the_days_left(
    monthly: float, spent_before: float, day: date, expected: float
) -> None:
    assert allowance(monthly, spent_before, day) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("zone", "day", "start", "hours"),
    [
        (PARIS, date(2026, 10, 14), datetime(2026, 9, 30, 22, 0, tzinfo=UTC), 31 * 24 + 1),  # clocks back 25 Oct
        (NEW_YORK, date(2026, 3, 2), datetime(2026, 3, 1, 5, 0, tzinfo=UTC), 31 * 24 - 1),  # clocks forward 8 Mar
        (ZoneInfo("UTC"), date(2026, 11, 30), datetime(2026, 11, 1, tzinfo=UTC), 30 * 24),
    ],
    ids=["paris-october-25h-day", "new-york-march-23h-day", "utc-november"],
)
def test_a_month_runs_from_local_midnight_on_the_first_and_counts_dst_days_as_they_are(
    zone: ZoneInfo, day: date, start: datetime, hours: int
) -> None:
    month_start, month_end = month_bounds(day, zone)
    assert month_start == start
    assert month_end - month_start == timedelta(hours=hours)


def budget(**changes: object) -> Budget:
    base = Budget("team", daily_usd=3000.0, zone=PARIS, monthly_usd=3000.0, daily_given=False)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_month_rolls_over_at_local_midnight_on_the_first_in_a_zone_that_changed_its_clocks() -> None:
    # October in Paris ends at 2026-10-31 23:00 UTC (midnight CET, after the 25 Oct change).
    last_minute = datetime(2026, 10, 31, 22, 59, tzinfo=UTC)
    paced = pace(budget(), MonthSpend(2950.0, 2960.0, 30.0), now=last_minute)
    assert paced.month is not None
    assert (paced.month.month, paced.month.days_left) == (date(2026, 10, 1), 1)
    assert paced.daily_usd == pytest.approx(50.0)  # what October had left, all on its last day
    new_month = pace(budget(), MonthSpend(0.0, 0.0, 0.0), now=datetime(2026, 10, 31, 23, 0, tzinfo=UTC))
    assert new_month.month is not None
    assert (new_month.month.month, new_month.month.days_left) == (date(2026, 11, 1), 30)
    assert new_month.daily_usd == pytest.approx(100.0)


def test_a_daily_budget_caps_the_allowance_and_a_daily_only_budget_is_left_alone() -> None:
    both = budget(daily_usd=80.0, daily_given=True)
    assert pace(both, MonthSpend(0.0, 0.0, 0.0), now=datetime(2026, 11, 1, 12, tzinfo=UTC)).daily_usd == 80.0
    assert pace(both, MonthSpend(2500.0, 2500.0, 0.0), now=datetime(2026, 11, 21, 12, tzinfo=UTC)).daily_usd == 50.0
    daily_only = Budget("d", daily_usd=40.0, zone=PARIS)
    assert pace(daily_only, MonthSpend(9999.0, 9999.0, 0.0), now=datetime(2026, 11, 21, tzinfo=UTC)) is daily_only


def burner(spent: float, future: float) -> EndpointCost:
    return EndpointCost("acme/burner", spent_usd=spent, future_usd=future, hourly_usd=future / 24, billed_replicas=1)


def test_a_spend_heavy_first_week_shrinks_the_allowance_and_the_guard_acts_earlier() -> None:
    # A $430 month of 30 days (about $14.33 a day); the endpoint burns $24 a day (24 h at $1/h), and the
    # ladder only notifies until the projection reaches twice the day's limit.
    ladder = (LadderStep(1.0, StepAction.NOTIFY), LadderStep(2.0, StepAction.PAUSE))
    monthly = Budget("team", 430.0, ZoneInfo("UTC"), monthly_usd=430.0, daily_given=False, steps=ladder)
    allowances = []
    for day in range(1, 8):
        midnight = datetime(2026, 11, day, 0, 1, tzinfo=UTC)
        spent_before = 24.0 * (day - 1)
        paced = pace(monthly, MonthSpend(spent_before, spent_before, 24.0), now=midnight)
        allowances.append(paced.daily_usd)
        outcome = budget_review([paced], {"team": [burner(0.0, 24.0)]}, now=midnight)
        assert bool(outcome.stops) == (day == 7), day  # $24 passes twice the allowance on day 7
    assert allowances == sorted(allowances, reverse=True)
    assert allowances[0] == pytest.approx(430 / 30)
    assert allowances[-1] == pytest.approx((430 - 6 * 24) / 24)
    # The same money as a flat daily budget never stops it: $24 is 1.67 times $14.33.
    flat = Budget("team", 430 / 30, ZoneInfo("UTC"), steps=ladder)
    assert not budget_review([flat], {"team": [burner(0.0, 24.0)]}, now=datetime(2026, 11, 7, tzinfo=UTC)).stops


def test_month_thresholds_compare_the_month_with_monthly_usd_once_a_month() -> None:
    paced = pace(
        budget(month_alert_at=(0.5, 0.8)), MonthSpend(1700.0, 1750.0, 1400.0), now=datetime(2026, 11, 18, tzinfo=UTC)
    )
    alerts = budget_review([paced], {"team": [burner(50.0, 40.0)]}, now=datetime(2026, 11, 18, tzinfo=UTC)).alerts
    month = [a for a in alerts if a.subject == "team:month"]
    assert {(a.kind, a.threshold) for a in month} == {
        (AlertKind.SPENT_THRESHOLD, 0.5),
        (AlertKind.PROJECTED_THRESHOLD, 0.8),
    }
    assert {a.day for a in month} == {date(2026, 11, 1)}  # one key for the whole month


def test_a_step_on_month_stops_every_candidate_once_the_month_is_spent() -> None:
    steps = (LadderStep(1.0, StepAction.PAUSE, on=Basis.MONTH),)
    paced = pace(budget(steps=steps, daily_usd=500.0, daily_given=True), MonthSpend(2990.0, 3001.0, 5.0), now=NOON)
    outcome = budget_review([paced], {"team": [burner(11.0, 5.0)]}, now=NOON)
    assert [s.endpoint for s in outcome.stops] == ["acme/burner"]
    under = pace(budget(steps=steps, daily_usd=500.0, daily_given=True), MonthSpend(2000.0, 2011.0, 5.0), now=NOON)
    assert not budget_review([under], {"team": [burner(11.0, 5.0)]}, now=NOON).stops


NOON = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_days_left_counts_today() -> None:
    assert days_left(date(2026, 2, 1)) == 28
    assert days_left(date(2026, 12, 31)) == 1


@pytest.mark.parametrize(
    ("budget_yaml", "message"),
    [
        ("{name: b}", "a budget needs daily_usd, monthly_usd, or both"),
        ("{name: b, daily_usd: 5, alert_at: [{at: 0.8, on: month}]}", "`on: month` needs monthly_usd"),
        ("{name: b, daily_usd: 5, steps: [{at: 1, action: pause, on: month}]}", "`on: month` needs monthly_usd"),
        ("{name: b, monthly_usd: 0}", "monthly_usd: Input should be greater than 0"),
        ("{name: b, monthly_usd: 90, alert_at: [{at: 80, on: month}]}", "at: Input should be less than or equal to 10"),
    ],
    ids=["no-size", "month-threshold-without-month", "month-step-without-month", "zero-month", "percent"],
)
def test_monthly_budget_problems(tmp_path: Path, budget_yaml: str, message: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"version: 1\nendpoints: []\nbudgets: [{budget_yaml}]\n")
    with pytest.raises(ConfigError) as caught:
        load_config([path])
    found = [str(p) for p in caught.value.problems]
    assert any(message in p for p in found), found


def test_a_monthly_budget_loads_with_its_month_thresholds_apart(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "version: 1\nendpoints: []\nbudgets:\n"
        "  - {name: b, monthly_usd: 3000, alert_at: [0.8, {at: 0.9, on: month}, {at: 1.0, on: day}],"
        " steps: [{at: 1.0, action: pause, on: month}]}\n"
    )
    (loaded,) = load_config([path]).budgets
    assert (loaded.monthly_usd, loaded.daily_given, loaded.daily_usd) == (3000.0, False, 3000.0)
    assert (loaded.alert_at, loaded.month_alert_at) == ((0.8, 1.0), (0.9,))
    assert loaded.steps[0].on == Basis.MONTH


def test_plan_shows_a_monthly_budgets_even_share_and_what_the_schedules_cost_in_the_month(tmp_path: Path) -> None:
    from hfwarden.adapters.prices import PriceBook
    from hfwarden.app.views.plan import plan_day, plan_document

    path = tmp_path / "s.yaml"
    path.write_text(
        "version: 1\nendpoints:\n"
        "  - {namespace: acme, name: chat, instance: aws/us-east-1/nvidia-l4/x1,"
        " schedule: [{cron: '0 9 * * *', action: resume}, {cron: '0 17 * * *', action: pause}]}\n"
        "budgets:\n  - {name: m, monthly_usd: 300, timezone: UTC}\n  - {name: d, daily_usd: 9}\n"
    )
    config = load_config([path])
    prices = PriceBook(store=None, overrides={"aws/us-east-1/nvidia-l4/x1": 1.0})
    plan = plan_day(config, prices=prices, last_prices={}, day=date(2026, 11, 10), now=NOON)
    monthly, daily = plan_document(plan)["budgets"]
    assert monthly["monthly_usd"] == 300.0
    assert monthly["allowance_usd"] == monthly["daily_usd"] == 10.0  # 300 over November's 30 days
    assert monthly["month_forecast_usd"] == 30 * 8.0  # eight hours a day at $1/h
    assert "monthly_usd" not in daily  # a daily budget's plan is as before


def test_a_guard_stop_of_a_paced_budget_names_todays_allowance() -> None:
    paced = pace(budget(), MonthSpend(2900.0, 2900.0, 50.0), now=NOON)  # $100 left over 11 days: $9.09
    (stop,) = budget_review([paced], {"team": [burner(0.0, 24.0)]}, now=NOON).stops
    assert "projected $24.00 passes today's allowance $9.09" in stop.reason
