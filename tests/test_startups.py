"""Start-ups, `prewarm: auto`, `not_ready` and `thrash` as plain function calls (the core is pure)."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hfwarden.app.reconcile.startup_figures import thrash_wakes
from hfwarden.config import ConfigError, load_config
from hfwarden.core.alerts import AlertKind
from hfwarden.core.coldstarts import cold_starts, hour_ranges, thrash_alert
from hfwarden.core.endpoints import Observation
from hfwarden.core.readyby import ReadyByWindow, auto_window_rules, not_ready_alerts, schedule_with_leads
from hfwarden.core.rules import Action, ActionKind, EndpointSchedule, latest_transition, next_transition
from hfwarden.core.startups import StartupSample, Watch, choose_lead, lead_time, next_watch, startup_stats

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # a Monday
L4 = "aws/us-east-1/nvidia-l4/x1"
PARIS = ZoneInfo("Europe/Paris")


def seen(state: str, updated: datetime, *, replicas: int = 1) -> Observation:
    return Observation("acme", "chat", state, replicas, replicas, 0, 2, 15, L4, updated)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def walk(*steps: tuple[float, str, float]) -> list[StartupSample]:
    """Observations (seen at minute, state, updatedAt minute) through `next_watch`; the samples measured."""
    watch: Watch | None = None
    samples = []
    for when, state, updated in steps:
        tracked = next_watch(watch, seen(state, at(updated)), at=at(when), price_per_hour=0.8)
        watch = tracked.watch
        samples += [tracked.sample] if tracked.sample else []
    return samples


# -- measuring --------------------------------------------------------------------------------------


def test_a_resume_is_measured_from_the_answer_to_the_first_running() -> None:
    # paused; resumed at 08:01 (the answer says pending at 08:01); initializing; running since 08:11:30.
    samples = walk((0, "paused", -60), (1, "pending", 1), (1.5, "initializing", 1.2), (12, "running", 11.5))
    assert [s.seconds for s in samples] == [630.0]
    assert not samples[0].from_zero


def test_running_without_updated_at_in_between_ends_at_the_observation() -> None:
    samples = walk((0, "paused", -60), (1, "pending", 1), (12, "running", -5))
    assert [s.seconds for s in samples] == [660.0]


@pytest.mark.parametrize(
    "steps",
    [
        [(0, "paused", -60), (12, "running", 11.5)],  # the start was never seen
        [(0, "initializing", -1), (12, "running", 11.5)],  # first sight mid-start: when it began is unknown
        [(0, "running", -60), (1, "updating", 1), (3, "running", 2.5)],  # an update is not a start-up
        [(0, "paused", -60), (1, "pending", 1), (4, "failed", 3), (9, "running", 8)],
    ],
)
def test_what_is_not_a_measured_start_up(steps: list[tuple[float, str, float]]) -> None:
    assert walk(*steps) == []


def test_a_wake_from_zero_is_counted_and_its_initialising_priced() -> None:
    watch = next_watch(None, seen("scaledToZero", at(-30), replicas=0), at=at(0), price_per_hour=0.8).watch
    woken = next_watch(watch, seen("initializing", at(0.5)), at=at(1), price_per_hour=0.8)
    assert woken.woke_at == at(0.5)
    done = next_watch(woken.watch, seen("running", at(3.5), replicas=2), at=at(4), price_per_hour=0.8)
    assert done.sample is not None
    assert done.sample.from_zero
    assert done.sample.seconds == 180
    assert done.sample.usd == pytest.approx(2 * 0.8 * 180 / 3600)
    straight = next_watch(watch, seen("running", at(2)), at=at(3), price_per_hour=0.8)
    assert straight.woke_at == at(2)
    assert straight.sample is None


def test_a_resume_from_scaled_to_zero_is_no_wake() -> None:
    watch = next_watch(None, seen("scaledToZero", at(-30), replicas=0), at=at(0), price_per_hour=0.8).watch
    assert next_watch(watch, seen("pending", at(1)), at=at(1), price_per_hour=0.8).woke_at is None


# -- statistics and leads ---------------------------------------------------------------------------


def sample(seconds: float, n: int = 0, *, endpoint: str = "acme/chat", instance: str = L4) -> StartupSample:
    ready = at(60 * n)
    return StartupSample(endpoint, instance, ready - timedelta(seconds=seconds), ready)


def test_lead_is_p90_of_the_last_20_plus_a_minute_rounded_up() -> None:
    assert lead_time([600.0] * 20, 10, 60) == (11, "p90 of 20 start-ups + 1m")
    assert lead_time([610.0] * 3, 10, 60).minutes == 12
    assert lead_time([timedelta(minutes=10)] * 3, timedelta(minutes=10), timedelta(hours=1)).minutes == 11
    # Only the last 20 count: 30 slow ones, then 20 fast ones.
    assert lead_time([3000.0] * 30 + [120.0] * 20, 10, 60).minutes == 3
    # p90 by linear interpolation: 1..20 minutes → 18.1 minutes → 19 + 1.
    assert lead_time([60.0 * m for m in range(1, 21)], 10, 60).minutes == 20


def test_fewer_than_three_measurements_use_the_default_and_max_bounds() -> None:
    assert lead_time([600.0, 900.0], 10, 60) == (10, "prewarm_default, 2 measurements")
    assert lead_time([], timedelta(minutes=7), timedelta(hours=1)) == (7, "prewarm_default, 0 measurements")
    lead = lead_time([5400.0] * 5, 10, 60)
    assert lead.minutes == 60
    assert lead.source.startswith("prewarm_max")


def test_a_new_endpoint_borrows_the_start_ups_of_its_hardware() -> None:
    others = [sample(300, n, endpoint="acme/other") for n in range(4)]
    lead = choose_lead([sample(900)], others, hardware=L4, default=10, max=60)
    assert lead == (6, f"p90 of 4 start-ups on {L4} + 1m")
    assert choose_lead([], others[:2], hardware=L4, default=10, max=60).minutes == 10


def test_status_statistics_read_the_last_20() -> None:
    stats = startup_stats([sample(1000, n) for n in range(10)] + [sample(100 + n, 10 + n) for n in range(20)])
    assert stats.count == 20
    assert stats.p50_s == pytest.approx(109.5)
    assert stats.p90_s == pytest.approx(117.1)
    assert startup_stats([]).p50_s is None


# -- auto windows -----------------------------------------------------------------------------------

WINDOW = ReadyByWindow(
    "acme/chat",
    1,
    "mon-fri 09:00-18:00",
    PARIS,
    Action(ActionKind.RESUME),
    Action(ActionKind.PAUSE),
    auto=True,
    ready_alert=True,
)
SCHEDULE = EndpointSchedule("acme", "chat", tuple(auto_window_rules(WINDOW, 10)), PARIS)


def paris(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, second, tzinfo=PARIS)


def test_an_auto_window_opens_its_lead_early_with_rule_ids_that_ignore_the_lead() -> None:
    ten, thirteen = auto_window_rules(WINDOW, 10), auto_window_rules(WINDOW, 13)
    assert [r.rule_id for r in ten] == [r.rule_id for r in thirteen]
    assert [r.cron.expression for r in thirteen] == ["47 8 * * 1,2,3,4,5", "0 18 * * 1,2,3,4,5"]


def test_the_lead_of_an_opening_is_fixed_before_it_fires() -> None:
    """The pre-warm's own start-up, measured after the opening fired, must not move that opening."""
    learnt = [sample(600, n) for n in range(-2000, -1997)]  # three 10-minute start-ups, days ago
    before, leads = schedule_with_leads(
        SCHEDULE, [WINDOW], own=learnt, same_hardware=[], hardware=L4, now=paris(5, 8, 40)
    )
    fired = next_transition(before, paris(5, 8, 40))
    assert fired is not None
    assert fired.at == paris(5, 8, 49)
    assert leads[0].lead.source == "p90 of 3 start-ups + 1m"
    # 08:52: a fast start-up ends (it would shrink the lead to 2m and put the opening in the future).
    fast = [*learnt, StartupSample("acme/chat", L4, paris(5, 8, 51), paris(5, 8, 52))]
    after, _ = schedule_with_leads(SCHEDULE, [WINDOW], own=fast, same_hardware=[], hardware=L4, now=paris(5, 8, 53))
    in_force = latest_transition(after, paris(5, 8, 53))
    assert in_force is not None
    assert in_force.key == fired.key
    # The next day's opening learns from it.
    tomorrow, _ = schedule_with_leads(SCHEDULE, [WINDOW], own=fast, same_hardware=[], hardware=L4, now=paris(6, 8, 30))
    upcoming = next_transition(tomorrow, paris(6, 8, 30))
    assert upcoming is not None
    assert upcoming.at == paris(6, 8, 49)


def test_not_ready_once_per_window_and_day_saying_how_late() -> None:
    def alerts(state: str, when: datetime) -> list[str]:
        found = not_ready_alerts([WINDOW], {"acme/chat": seen(state, when)}, now=when)
        assert all(a.kind == AlertKind.NOT_READY for a in found)
        return [a.dedupe_key for a in found]

    assert alerts("initializing", paris(5, 8, 59)) == []  # before the start
    late = not_ready_alerts([WINDOW], {"acme/chat": seen("initializing", T0)}, now=paris(5, 9, 2, 30))
    assert "2m30s late" in late[0].message
    assert "initializing" in late[0].message
    expected = {"acme/chat": paris(5, 9, 4)}
    eta = not_ready_alerts([WINDOW], {"acme/chat": seen("initializing", T0)}, now=paris(5, 9), expected=expected)
    assert eta[0].message.endswith("0m00s late so far; running about 09:04:00, 4m00s late")
    assert alerts("initializing", paris(5, 9, 0)) == alerts("pending", paris(5, 9, 5))  # one key a day
    assert alerts("initializing", paris(6, 9, 0)) != alerts("initializing", paris(5, 9, 0))
    assert alerts("running", paris(5, 9, 0)) == []
    assert alerts("paused", paris(5, 18, 30)) == []  # the window is over
    assert alerts("paused", paris(10, 9, 30)) == []  # Saturday: no window
    assert not not_ready_alerts([replace(WINDOW, ready_alert=False)], {}, now=paris(5, 9, 0))


# -- thrash -----------------------------------------------------------------------------------------


def test_thrash_on_wakes_per_hour_says_which_hours_and_what_floor() -> None:
    wakes = [at(m) for m in (130, 150, 170, 185)]  # 10:10, 10:30, 10:50, 11:05 UTC
    figures = cold_starts("acme/chat", wakes, [], zone=ZoneInfo("UTC"), now=at(190))
    assert (figures.wakes_today, figures.wakes_last_hour, figures.hours) == (4, 3, (10, 11))
    alert = thrash_alert(figures, price_per_hour=0.8, wakes_per_hour=3)
    assert alert is not None
    assert alert.kind == AlertKind.THRASH
    assert "10:00-12:00" in alert.message
    assert "min_replicas: 1" in alert.message
    assert thrash_alert(figures, price_per_hour=0.8, wakes_per_hour=4) is None


def test_thrash_when_cold_starts_cost_more_than_a_warm_floor() -> None:
    woke = at(130)
    cold = [StartupSample("acme/chat", L4, woke, woke + timedelta(minutes=40), True, 2 * 0.8 * 40 / 60)]
    figures = cold_starts("acme/chat", [woke], cold, zone=ZoneInfo("UTC"), now=at(180))
    assert figures.cold_start_usd == pytest.approx(1.0667, abs=1e-4)
    alert = thrash_alert(figures, price_per_hour=0.8, wakes_per_hour=3)  # floor: 1 hour × $0.8
    assert alert is not None
    assert "$0.80 for one warm replica" in alert.message
    assert thrash_alert(figures, price_per_hour=2.0, wakes_per_hour=3) is None


def test_hour_ranges() -> None:
    assert hour_ranges([15, 10, 11]) == "10:00-12:00, 15:00-16:00"


# -- configuration ----------------------------------------------------------------------------------

AUTO_FILE = """
version: 1
timezone: Europe/Paris
endpoints:
  - namespace: acme
    name: chat
    prewarm_max: 45m
    thrash_wakes_per_hour: 5
    schedule:
      - window: "mon-fri 09:00-18:00"
        prewarm: auto
        prewarm_default: 15m
        ready_alert: true
        during: {action: resume}
        outside: {action: pause}
      - window: "sat 10:00-12:00"
        prewarm: 5m
        ready_alert: true
        during: {action: resume}
        outside: {action: pause}
budgets:
  - {name: b, daily_usd: 10, thrash_wakes_per_hour: 2}
"""


def test_config_keys(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(AUTO_FILE))
    config = load_config([path])
    auto, fixed = config.ready_by
    assert (auto.auto, auto.prewarm_default, auto.prewarm_max, auto.ready_alert) == (True, 15, 45, True)
    assert (fixed.auto, fixed.ready_alert) == (False, True)
    assert config.thrash_wakes == {"acme/chat": 5}
    assert config.budgets[0].thrash_wakes_per_hour == 2
    schedule = config.endpoints[0]
    assert next_transition(schedule, paris(5, 8, 0)).at == paris(5, 8, 45)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("keys", "wanted"),
    [
        ("prewarm: soon", "soon"),
        ("prewarm: 10m, prewarm_max: 30m", "go with prewarm: auto"),
        ("prewarm: auto, prewarm_max: 25h", "must be under a day"),
    ],
)
def test_config_refusals(tmp_path: Path, keys: str, wanted: str) -> None:
    path = tmp_path / "s.yaml"
    rule = f'{{window: "mon-fri 09:00-18:00", {keys}, during: {{action: resume}}, outside: {{action: pause}}}}'
    path.write_text(f"version: 1\nendpoints:\n  - namespace: acme\n    name: chat\n    schedule:\n      - {rule}\n")
    with pytest.raises(ConfigError) as raised:
        load_config([path])
    assert wanted in str(raised.value)


def test_thrash_threshold_endpoint_then_budgets_then_three(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(AUTO_FILE))
    config = load_config([path])
    assert thrash_wakes(config, "acme/chat") == 5
    assert thrash_wakes(config, "acme/other") == 2  # budget b covers every endpoint
    assert thrash_wakes(replace(config, budgets=()), "acme/other") == 3
