"""Budget guard choices as tables: thresholds, who is stopped, several budgets, days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from hfwarden.core.alerts import AlertKind
from hfwarden.core.budget import BreachAction, Budget, EndpointCost, Scope, budget_review, one_budget_review

NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


def cost(
    name: str,
    spent: float,
    future: float,
    *,
    hourly: float = 1.0,
    priority: int = 0,
    protected: bool = False,
    latched: bool = False,
    replicas: int = 1,
) -> EndpointCost:
    return EndpointCost(f"acme/{name}", spent, future, hourly, replicas, priority, protected, latched)


def budget(daily: float = 100.0, **extra: object) -> Budget:
    return Budget(name="prod", daily_usd=daily, zone=NEW_YORK, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("costs", "stopped"),
    [
        ([cost("a", 10, 20), cost("b", 10, 20)], []),
        ([cost("a", 10, 60, priority=5), cost("b", 10, 60, priority=1)], ["acme/b"]),
        ([cost("a", 10, 60, hourly=2), cost("b", 10, 60, hourly=5)], ["acme/b"]),
        ([cost("a", 10, 60, hourly=5), cost("b", 10, 60, hourly=5)], ["acme/a"]),
        ([cost("a", 10, 100, priority=0, protected=True), cost("b", 10, 10)], ["acme/b"]),
        ([cost("a", 10, 50), cost("b", 10, 50), cost("c", 10, 50)], ["acme/a", "acme/b"]),
        ([cost("a", 60, 10), cost("b", 45, 10, protected=True), cost("c", 0, 5)], ["acme/a", "acme/c"]),
        ([cost("a", 10, 60, latched=True), cost("b", 10, 60)], ["acme/b"]),
        ([cost("a", 10, 0), cost("b", 10, 90)], ["acme/b"]),
    ],
    ids=[
        "under-budget",
        "lowest-priority-first",
        "then-highest-burn",
        "tie-broken-by-name",
        "protected-never",
        "just-enough",
        "spent-reached-stops-every-unprotected",
        "already-latched-not-chosen-again",
        "nothing-left-to-bill-is-no-candidate",
    ],
)
def test_who_is_stopped(costs: list[EndpointCost], stopped: list[str]) -> None:
    outcome = one_budget_review(budget(), costs, now=NOW)
    assert [s.endpoint for s in outcome.stops] == stopped
    assert all(s.action == BreachAction.PAUSE for s in outcome.stops)


def test_stops_are_latched_until_the_next_budget_day() -> None:
    outcome = one_budget_review(budget(), [cost("a", 10, 200)], now=NOW)
    (stop,) = outcome.stops
    assert stop.until == datetime(2026, 1, 6, 0, 0, tzinfo=NEW_YORK)
    assert stop.saved_usd == 200
    guard = [a for a in outcome.alerts if a.kind == AlertKind.GUARD_ACTION]
    assert len(guard) == 1
    assert guard[0].actions == (stop,)


@pytest.mark.parametrize(
    ("spent", "future", "kinds"),
    [
        (10, 10, []),
        (50, 0, [("spent_threshold", 0.5), ("projected_threshold", 0.5)]),
        (10, 75, [("projected_threshold", 0.8)]),
        (100, 0, [("spent_threshold", 1.0), ("projected_threshold", 1.0)]),
    ],
    ids=["quiet", "half-spent", "projected-past-80", "all-reached"],
)
def test_threshold_alerts(spent: float, future: float, kinds: list[tuple[str, float]]) -> None:
    outcome = one_budget_review(budget(on_breach=BreachAction.ALERT_ONLY), [cost("a", spent, future)], now=NOW)
    assert [(a.kind.value, a.threshold) for a in outcome.alerts] == kinds
    assert outcome.stops == []


def test_three_thresholds_crossed_at_once_send_the_highest_naming_the_others() -> None:
    outcome = one_budget_review(budget(on_breach=BreachAction.ALERT_ONLY), [cost("a", 100, 0)], now=NOW)
    spent = [a for a in outcome.alerts if a.kind.value == "spent_threshold"]
    assert len(spent) == 1
    assert spent[0].threshold == 1.0
    assert "also past 50%, 80%" in spent[0].message


def test_alerts_are_keyed_per_budget_day() -> None:
    late = one_budget_review(budget(), [cost("a", 60, 0)], now=datetime(2026, 1, 6, 4, 59, tzinfo=UTC)).alerts
    next_day = one_budget_review(budget(), [cost("a", 60, 0)], now=datetime(2026, 1, 6, 5, 0, tzinfo=UTC)).alerts
    assert late[0].day == date(2026, 1, 5)  # 23:59 in New York
    assert next_day[0].day == date(2026, 1, 6)  # midnight in New York: the alerts re-arm
    assert late[0].dedupe_key != next_day[0].dedupe_key


def test_burn_rate_and_replica_cap() -> None:
    outcome = one_budget_review(
        budget(max_hourly_usd=5.0, max_replicas=3, on_breach=BreachAction.ALERT_ONLY),
        [cost("a", 1, 1, hourly=4, replicas=2), cost("b", 1, 1, hourly=2, replicas=2)],
        now=NOW,
    )
    assert {a.kind for a in outcome.alerts} == {AlertKind.BURN_RATE, AlertKind.REPLICA_CAP}


def test_scope_limits_the_budget() -> None:
    scoped = budget(scope=Scope(endpoints=frozenset({"acme/a"})))
    outcome = one_budget_review(scoped, [cost("a", 10, 200), cost("b", 10, 500)], now=NOW)
    assert [s.endpoint for s in outcome.stops] == ["acme/a"]
    assert outcome.statuses[0].projected_usd == 210


def test_several_budgets_the_strictest_wins() -> None:
    loose = Budget("loose", 1000.0, ZoneInfo("UTC"), on_breach=BreachAction.SCALE_TO_ZERO)
    tight = Budget("tight", 50.0, ZoneInfo("UTC"), on_breach=BreachAction.PAUSE)
    zero = Budget("zero", 20.0, ZoneInfo("UTC"), on_breach=BreachAction.SCALE_TO_ZERO)
    costs = [cost("a", 10, 100)]
    outcome = budget_review([loose, tight, zero], {"loose": costs, "tight": costs, "zero": costs}, now=NOW)
    (stop,) = outcome.stops
    assert (stop.endpoint, stop.action, stop.budget) == ("acme/a", BreachAction.PAUSE, "tight")
    assert [s.budget.name for s in outcome.statuses] == ["loose", "tight", "zero"]


def test_alert_only_never_stops() -> None:
    outcome = one_budget_review(budget(on_breach=BreachAction.ALERT_ONLY), [cost("a", 200, 200)], now=NOW)
    assert outcome.stops == []
    assert any(a.kind == AlertKind.SPENT_THRESHOLD and a.threshold == 1.0 for a in outcome.alerts)


@pytest.mark.parametrize(
    ("now", "hours"),
    [
        (datetime(2026, 3, 8, 12, 0, tzinfo=UTC), 23),
        (datetime(2026, 11, 1, 12, 0, tzinfo=UTC), 25),
        (datetime(2026, 1, 5, 12, 0, tzinfo=UTC), 24),
    ],
    ids=["spring-forward-23h", "fall-back-25h", "ordinary"],
)
def test_budget_day_length(now: datetime, hours: int) -> None:
    start, end = budget().day_bounds(now)
    assert (end - start).total_seconds() == hours * 3600
