"""Predictions you can trust (issue 17): each defect found on traffic no one had seen, pinned on a
seeded synthetic trace generated here (business hours over the October DST change, a nightly job,
Poisson bursts, Monday 5× Friday, a holiday)."""

from __future__ import annotations

import json
import math
import random
import re
import shlex
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hfwarden.adapters.trace import Trace, read_trace
from hfwarden.app.predict.backtest import Policy, Setup, replay_policy, run_backtest
from hfwarden.app.predict.recommend import split
from hfwarden.cli import main
from hfwarden.config import load_config
from hfwarden.core.choose import Score, pick
from hfwarden.core.platform.autoscaling import ReplicaModel
from hfwarden.core.platform.queueing import Queue
from hfwarden.core.predict import Candidate, Kind, drained
from hfwarden.core.queued import late_share, queue_level
from hfwarden.core.rules import EndpointSchedule
from tests.support import traces
from tests.support.recommending import INSTANCE, recommended

PARIS = ZoneInfo("Europe/Paris")
PRICE = 0.8


def recommend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: list[tuple[str, int]], *extra: str
) -> tuple[str, EndpointSchedule, str]:
    got = recommended(tmp_path, capsys, rows, *extra)
    return got.text, got.schedule, got.err


def top_of(schedule: EndpointSchedule) -> int:
    return max(r.action.max_replicas or 0 for r in schedule.rules)


def held_out(tmp_path: Path, schedule: EndpointSchedule, weeks: int = 1) -> tuple[Trace, Setup]:
    trace = read_trace(tmp_path / "trace.csv")
    _training, holdout = split(trace, weeks)
    assert holdout is not None
    return holdout, Setup("acme/chat", ReplicaModel(100, 5), PRICE, top_of(schedule))


def rejected_where_training_saw_traffic(trace: Trace, schedule: EndpointSchedule, setup: Setup, zone: ZoneInfo) -> int:
    """Held-out requests rejected by the schedule in minutes whose local (weekday, 15-minute slot)
    saw traffic in training; here every held-out minute with requests counts, a stricter test."""
    outcome = replay_policy(Policy.SCHEDULE, trace.requests, setup, schedule, trace.start, keep_series=True)
    return outcome.requests_rejected


# -- the platform follows HF's documentation ------------------------------------------------------


def test_the_platform_model_defaults_are_hfs_documented_numbers() -> None:
    # https://huggingface.co/docs/inference-endpoints/autoscaling and .../guides/autoscaling
    from hfwarden.core.platform.autoscaling import Autoscaler

    scaler = Autoscaler()
    assert scaler.target_utilisation == 0.8  # "average ... utilization ... reaches 80%"
    assert scaler.pending_per_replica == 1.5  # pending requests per replica
    assert scaler.scale_up_every_s == 60  # "scaling up process takes place every minute"
    assert scaler.scale_down_every_s == 120  # "scaling down takes place every 2 minutes"
    assert scaler.stabilisation_s == 300  # "a stabilization of 300 seconds"
    assert scaler.idle_timeout_minutes == 60  # "1 hour by default"
    assert scaler.scale_up_timeout_s == 0  # no X-Scale-Up-Timeout: 503 while waking


def test_autoscaling_adds_one_replica_a_minute_and_waking_from_zero_answers_503() -> None:
    trace = Trace(datetime(2026, 3, 2, tzinfo=UTC), (0, 300, 300, 300, 300, 300, 300, 300), frozenset({timedelta(0)}))
    setup = Setup("acme/chat", ReplicaModel(capacity_rpm=50, cold_start_minutes=2), 6.0, max_replicas=8)
    series = replay_policy(Policy.AUTOSCALE, trace.requests, setup, None, trace.start, keep_series=True)
    assert series.billed == (1, 2, 3, 4, 5, 6, 7, 8)  # one more each minute, never all at once
    woken = run_backtest(trace, setup, None, policies=[Policy.SCALE_TO_ZERO]).policy(Policy.SCALE_TO_ZERO)
    assert woken.requests_rejected == 600  # minutes 1 and 2: the replica is starting, the proxy says 503


def test_with_x_scale_up_timeout_waking_requests_wait_instead() -> None:
    from hfwarden.core.platform.autoscaling import Autoscaler

    trace = Trace(datetime(2026, 3, 2, tzinfo=UTC), (0, 30, 0, 0, 0), frozenset({timedelta(0)}))
    model = ReplicaModel(capacity_rpm=50, cold_start_minutes=2, autoscaler=Autoscaler(scale_up_timeout_s=600))
    woken = run_backtest(trace, Setup("acme/chat", model, 6.0, 2), None, policies=[Policy.SCALE_TO_ZERO])
    result = woken.policy(Policy.SCALE_TO_ZERO)
    assert (result.requests_rejected, result.requests_delayed, result.requests_late) == (0, 30, 30)
    assert 60 <= result.wait_p50_s <= 180


# -- rejected traffic is never invisible -----------------------------------------------------------


def test_a_pausing_schedule_reports_its_rejections_as_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "version: 1\nendpoints:\n  - namespace: acme\n    name: chat\n    instance: " + INSTANCE + "\n"
        '    schedule:\n      - {cron: "0 0 * * *", action: pause}\n'
    )
    start = datetime(2026, 3, 2, tzinfo=UTC)
    rows = [((start + timedelta(minutes=m)).isoformat(), 10) for m in range(120)]
    trace = traces.write(tmp_path / "t.csv", rows)
    report = tmp_path / "r.html"
    args = ["backtest", "--trace", str(trace), "--config", str(config), "--endpoint", "acme/chat"]
    assert main([*args, "--capacity-rpm", "50", "--json", "--report", str(report)]) == 0
    schedule = next(p for p in json.loads(capsys.readouterr().out)["policies"] if p["name"] == "schedule")
    assert (schedule["requests_rejected"], schedule["rejected_pct"], schedule["failed_pct"]) == (1200, 100.0, 100.0)
    assert "100.000 % failed: 1,200 rejected" in report.read_text()


def test_a_trace_crossing_dst_without_a_zone_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = traces.generate(
        traces.business_hours(), weeks=4, zone="Europe/Paris", seed=3, start=datetime(2026, 10, 5, tzinfo=PARIS)
    )
    trace = traces.write(tmp_path / "trace.csv", rows)
    args = ["recommend", "--trace", str(trace), "--endpoint", "acme/chat", "--capacity-rpm", "100"]
    assert main([*args, "--instance", INSTANCE]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "from +02:00 to +01:00 at 2026-10-25T01:00:00+00:00" in err
    assert "--timezone (e.g. Europe/" in err


def test_a_trace_crossing_dst_learnt_in_its_zone_rejects_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = traces.generate(
        traces.business_hours(), weeks=4, zone="Europe/Paris", seed=3, start=datetime(2026, 10, 5, tzinfo=PARIS)
    )
    _out, schedule, _err = recommend(tmp_path, capsys, rows, "--timezone", "Europe/Paris")
    holdout, setup = held_out(tmp_path, schedule)
    result = run_backtest(holdout, setup, schedule, policies=[Policy.SCHEDULE, Policy.FORESIGHT])
    assert result.policy(Policy.SCHEDULE).requests_rejected == 0
    assert result.policy(Policy.SCHEDULE).failed_pct <= 0.5


def test_a_nightly_job_is_served_and_its_rule_says_what_came(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = traces.generate(traces.office_with_nightly_job(), weeks=4, zone="UTC", seed=4)
    out, schedule, _err = recommend(tmp_path, capsys, rows)
    assert "no request at all in the training weeks" not in out.split("03:00", 1)[1].split("\n", 1)[0]
    holdout, setup = held_out(tmp_path, schedule)
    night = [r if 180 <= (m % 1440) < 210 else 0 for m, r in enumerate(holdout.requests)]
    assert sum(night) > 30
    only_the_job = Trace(holdout.start, tuple(night), holdout.offsets)
    job = run_backtest(only_the_job, setup, schedule, policies=[Policy.SCHEDULE]).policy(Policy.SCHEDULE)
    whole = run_backtest(holdout, setup, schedule, policies=[Policy.SCHEDULE]).policy(Policy.SCHEDULE)
    assert job.requests_rejected == whole.requests_rejected == 0


# -- start-ups as a distribution, ready-by windows ---------------------------------------------------


def test_a_start_up_range_is_drawn_with_a_seed_and_the_lead_is_stated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = traces.generate(traces.business_hours(), weeks=3, zone="Europe/Paris", seed=6)
    args = ("--timezone", "Europe/Paris", "--cold-start", "4m..12m", "--seed", "7")
    out, _schedule, err = recommend(tmp_path, capsys, rows, *args)
    assert "prewarm: auto" in out
    assert "prewarm_default: 12m" in out
    assert "assumed a 12-minute lead" in out
    again, _schedule, err_again = recommend(tmp_path, capsys, rows, *args)
    assert (again, err_again) == (out, err)  # the same seed: the same draws, the same figures


def test_different_seeds_draw_different_start_ups() -> None:
    demand = tuple([0, 400] * 300)
    trace = Trace(datetime(2026, 3, 2, tzinfo=UTC), demand, frozenset({timedelta(0)}))
    figures = set()
    for seed in range(4):
        model = ReplicaModel(100, 8, startups=tuple(range(4, 13)), seed=seed)
        result = run_backtest(trace, Setup("acme/chat", model, 6.0, 4), None, policies=[Policy.KEEPALIVE_10M])
        figures.add(result.policy(Policy.KEEPALIVE_10M).replica_hours)
    assert len(figures) > 1


# -- the objective counts everything ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--capacity-rpm", "nan"),
        ("--capacity-rpm", "-5"),
        ("--max-replicas", "0"),
        ("--holdout-weeks", "-1"),
        ("--max-failed-pct", "nan"),
        ("--cold-start", "9m..3m"),
        ("--target-utilisation", "1.5"),
        ("--slo", "soon"),
    ],
)
def test_bad_flag_values_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    trace = traces.write(tmp_path / "t.csv", [("2026-03-02T00:00:00+00:00", 1)])
    args = ["recommend", "--trace", str(trace), "--endpoint", "acme/chat", "--capacity-rpm", "100"]
    with pytest.raises(SystemExit) as exited:
        main([*args, "--instance", INSTANCE, flag, value])
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_max_replicas_defaults_to_a_quarter_above_the_training_peak(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = traces.generate(traces.business_hours(), weeks=2, zone="UTC", seed=1)
    out, _schedule, _err = recommend(tmp_path, capsys, rows)
    peak = max(n for _, n in rows[: 7 * 1440])
    need = -(-peak // 100)
    # The endpoint's max (pinned profiles set max = min in each stretch instead; the header says it).
    assert f", max {-(-need * 5 // 4)}, HF autoscaler" in out


# -- the kind of schedule is chosen on evidence -----------------------------------------------------


def flat_schedule(tmp_path: Path, floor: int, top: int) -> EndpointSchedule:
    path = tmp_path / f"flat-{floor}.yaml"
    action = (
        "{action: scale_to_zero}" if not floor else f"{{action: resume, min_replicas: {floor}, max_replicas: {top}}}"
    )
    path.write_text(
        f'version: 1\nendpoints:\n  - namespace: acme\n    name: chat\n    schedule:\n      - {{cron: "0 0 * * *", '
        f"{action[1:]}\n"
    )
    found = load_config([path]).endpoint("acme/chat")
    assert found is not None
    return found


def test_traffic_without_a_weekly_pattern_is_never_beaten_by_a_flat_floor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = traces.generate(traces.poisson_bursts(seed=12), weeks=4, zone="UTC", seed=12)
    out, schedule, err = recommend(tmp_path, capsys, rows)
    assert "chose " in err
    assert "# chose " in out  # the YAML header says which kind won and why
    holdout, setup = held_out(tmp_path, schedule)
    mine = run_backtest(holdout, setup, schedule, policies=[Policy.SCHEDULE]).policy(Policy.SCHEDULE)
    for floor in range(0, setup.max_replicas + 1):
        flat = run_backtest(
            holdout, setup, flat_schedule(tmp_path, floor, setup.max_replicas), policies=[Policy.SCHEDULE]
        )
        theirs = flat.policy(Policy.SCHEDULE)
        dominated = theirs.cost_usd < mine.cost_usd * 0.999 and theirs.failed_pct < mine.failed_pct - 1e-9
        assert not dominated, f"min_replicas {floor} beats the recommendation on cost and failed"


def per_day(values: Sequence[int], start: datetime, zone: ZoneInfo) -> dict[date, int]:
    found: dict[date, int] = {}
    for minute, value in enumerate(values):
        day = (start + timedelta(minutes=minute)).astimezone(zone).date()
        found[day] = found.get(day, 0) + value
    return found


def test_each_weekday_learns_its_own_level(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = traces.generate(traces.weekday_scaled(), weeks=4, zone="UTC", seed=8)  # Monday 5× Friday
    out, schedule, _err = recommend(tmp_path, capsys, rows)
    assert "# chose one profile per weekday" in out
    holdout, setup = held_out(tmp_path, schedule)
    utc = ZoneInfo("UTC")
    days = {}
    for policy in (Policy.SCHEDULE, Policy.ORACLE, Policy.FORESIGHT):
        replayed = replay_policy(policy, holdout.requests, setup, schedule, holdout.start, keep_series=True)
        days[policy] = per_day(replayed.billed, holdout.start, utc)
    for day, cost in days[Policy.ORACLE].items():
        # Pooled weekdays: Friday 1.7× its oracle; floors at HF's 80 % target with autoscaling above:
        # Monday to Wednesday 1.37-1.41×. Pinned at the p90 of the full-capacity need, Wednesday (2-3
        # replicas, one replica a third of its need) rounded up to 3 most of the day: 1.33×. Its queue
        # keeps every request within the SLO at 2 (`queue_level`): 0.96×.
        assert days[Policy.SCHEDULE][day] <= 1.3 * cost, f"{day:%A}"
        assert days[Policy.SCHEDULE][day] <= 1.15 * days[Policy.FORESIGHT][day], f"{day:%A}"


def _minutes(rate: float, count: int, seed: int) -> list[int]:
    """Requests per minute as `traces.generate` draws them around a steady `rate`."""
    rng = random.Random(seed)
    return [
        max(0, round(rng.gauss(mean, math.sqrt(mean))))
        for mean in (rate * rng.uniform(0.85, 1.15) for _ in range(count))
    ]


def test_a_pinned_level_lets_requests_wait_within_the_slo_but_not_a_queue_that_grows() -> None:
    # Wednesday of the weekday trace: 1.8 replicas of work a minute. The p90 of the full-capacity
    # need is 3; at 2 the platform's own queue serves every request within the SLO.
    wednesday = _minutes(180, 2000, seed=3)
    assert sorted(math.ceil(r / 100) for r in wednesday)[1799] == 3
    assert queue_level(wednesday, 100, 30.0, 0.0025) == 2
    queue = Queue(30.0)
    for minute, requests in enumerate(wednesday):
        queue.minute(requests, 200, minute)
    assert queue.late <= 0.0025 * sum(wednesday)
    # Monday: 3 replicas of work. At 3 the queue is a random walk with no pull back to zero and
    # grows: late requests pile up; it needs 4.
    monday = _minutes(300, 2000, seed=4)
    assert queue_level(monday, 100, 30.0, 0.0025) == 4
    queue = Queue(30.0)
    for minute, requests in enumerate(monday):
        queue.minute(requests, 300, minute)
    assert queue.late > 0.0025 * sum(monday)
    assert late_share(100.0, 0.0, 100, 30.0) == 1.0  # at the mean: never enough
    assert late_share(100.0, 0.0, 101, 30.0) == 0.0  # no variance: no queue
    assert queue_level([], 100, 30.0, 0.0025) == 0


def test_office_hours_cost_at_most_a_seventh_above_foresight(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Floors at the need at HF's 80 % target, with the autoscaler free to add replicas above them,
    # cost 1.22-1.30× foresight on office traffic: the pinned profiles (max = min at the full-capacity
    # need) are a candidate, and win on this trace's validation weeks.
    rows = traces.generate(traces.business_hours(), weeks=4, zone="UTC", seed=11)
    out, schedule, _err = recommend(tmp_path, capsys, rows)
    assert "pinned (max = min)" in out
    holdout, setup = held_out(tmp_path, schedule)
    result = run_backtest(holdout, setup, schedule, policies=[Policy.SCHEDULE, Policy.FORESIGHT])
    mine, floor = result.policy(Policy.SCHEDULE), result.policy(Policy.FORESIGHT)
    assert mine.cost_usd <= 1.15 * floor.cost_usd
    assert mine.failed_pct <= 0.5
    assert mine.requests_rejected == 0


def test_a_calendar_holiday_is_left_out_and_scaled_to_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    christmas = date(2026, 12, 25)  # a Friday; 26 December is a Saturday
    berlin = ZoneInfo("Europe/Berlin")
    rows = traces.generate(
        traces.business_hours(), weeks=3, zone="Europe/Berlin", seed=9, start=datetime(2026, 12, 7, tzinfo=berlin),
        quiet_days=frozenset({christmas, date(2026, 12, 24)}),
    )  # fmt: skip
    out, schedule, _err = recommend(tmp_path, capsys, rows, "--timezone", "Europe/Berlin", "--calendar", "DE")
    assert "skip: [recommend-holidays]" in out
    holdout, setup = held_out(tmp_path, schedule)
    replayed = replay_policy(Policy.SCHEDULE, holdout.requests, setup, schedule, holdout.start, keep_series=True)
    billed = per_day(replayed.billed, holdout.start, ZoneInfo("Europe/Berlin"))
    assert billed[christmas] == 0
    assert billed[date(2026, 12, 23)] > 0


def test_a_day_without_traffic_in_a_busy_week_is_not_learnt_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quiet = frozenset({date(2026, 1, 14)})  # a Wednesday of the training weeks
    rows = traces.generate(traces.business_hours(), weeks=4, zone="UTC", seed=10, quiet_days=quiet)
    out, _schedule, _err = recommend(tmp_path, capsys, rows)
    assert "left out of learning (no traffic, or holidays): 2026-01-14" in out


# -- floors and reports that tell the truth -----------------------------------------------------------


def test_foresight_pays_start_ups_and_sits_between_the_oracle_and_real_policies() -> None:
    demand = tuple(([0] * 50 + [300] * 10) * 20)
    trace = Trace(datetime(2026, 3, 2, tzinfo=UTC), demand, frozenset({timedelta(0)}))
    setup = Setup("acme/chat", ReplicaModel(100, 5), 6.0, 4)
    result = run_backtest(trace, setup, None, policies=[p for p in Policy if p != Policy.SCHEDULE])
    oracle, foresight = result.policy(Policy.ORACLE), result.policy(Policy.FORESIGHT)
    assert foresight.replica_hours == pytest.approx(oracle.replica_hours * 15 / 10)  # 5 minutes ahead of each 10
    for name in (Policy.AUTOSCALE, Policy.SCALE_TO_ZERO, Policy.KEEPALIVE_10M, Policy.KEEPALIVE_60M):
        real = result.policy(name)
        assert real.cost_usd >= foresight.cost_usd or real.failed_pct > 0
    assert result.policy(Policy.KEEPALIVE_10M).cost_usd < result.policy(Policy.KEEPALIVE_60M).cost_usd


def test_the_report_shares_one_scale_and_plots_cost_against_failed() -> None:
    from hfwarden.app.predict.report import render_report

    demand = tuple(([0] * 600 + [200] * 840) * 7)
    trace = Trace(datetime(2026, 3, 2, tzinfo=UTC), demand, frozenset({timedelta(0)}))
    policies = [p for p in Policy if p != Policy.SCHEDULE]
    result = run_backtest(
        trace, Setup("acme/chat", ReplicaModel(100, 5), 6.0, 3), None, policies=policies, keep_series=True
    )
    page = render_report(result)
    scales = set(re.findall(r'<text x="4" y="10">([\d.]+) req/min</text>', page))
    assert len(scales) == 1  # every policy's chart on the same y-scale
    assert 'aria-label="cost against failed"' in page
    assert page.count("rejected (") == len(policies)  # every headline says rejected and late


def test_recommend_prints_the_held_out_instant_and_a_command_that_reproduces_its_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = traces.generate(traces.business_hours(), weeks=3, zone="UTC", seed=5)
    _out, _schedule, err = recommend(tmp_path, capsys, rows)
    assert "from 2026-01-19T00:00:00+00:00" in err
    command = next(line for line in err.splitlines() if line.startswith("reproduce it")).split(": ", 1)[1]
    argv = shlex.split(command.replace("RECOMMENDED.yaml", str(tmp_path / "recommended.yaml")))[1:]
    assert main([*argv]) == 0
    table = capsys.readouterr().out
    printed = next(line for line in err.splitlines() if line.startswith("schedule "))
    assert printed in table.splitlines()


def test_start_ups_the_daemon_measured_are_the_distribution(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hfwarden.adapters.store import Store
    from hfwarden.core.startups import StartupSample

    url = f"sqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("HFWARDEN_STATE_URL", url)
    store = Store(url)
    began = datetime(2026, 1, 2, 8, tzinfo=UTC)
    samples = [
        StartupSample("acme/chat", INSTANCE, began + timedelta(days=d), began + timedelta(days=d, minutes=m))
        for d, m in enumerate((7, 9, 11))
    ]
    store.save_startups([], samples, [])
    store.close()
    rows = traces.generate(traces.business_hours(), weeks=2, zone="UTC", seed=2)
    out, _schedule, err = recommend(tmp_path, capsys, rows, "--startups-from-state")
    assert "start-up 7m, 9m, 11m (seed 0)" in out
    assert "assumed a 11-minute lead" in out
    assert "--startups-from-state" in err


# -- the choice: every validation week, and headroom when it costs little ----------------------------


def _score(kind: Kind, replica_minutes: int, failed: int, *, pinned: bool = False, worst: float = 0.0) -> Score:
    return Score(Candidate(kind, quantile=0.75, pinned=pinned), replica_minutes, 100_000, failed, 0, worst)


def test_a_candidate_failing_one_validation_week_does_not_meet_the_aim() -> None:
    # 0.224 % over two weeks, 0.448 % in one: the sum met half the 0.5 % aim, the held-out week
    # then failed 0.57 % (business hours at 70 rpm, 10-minute start-ups, 3 weeks held out).
    uneven = _score(Kind.PER_WEEKDAY, 26_195, 224, pinned=True, worst=0.448)
    even = _score(Kind.WEEKDAY_WEEKEND, 26_200, 0, pinned=True, worst=0.0)
    assert uneven.failed_pct <= 0.25
    assert not uneven.meets(0.25)
    assert pick([uneven, even], 0.25) is even


def test_headroom_within_a_tenth_of_the_cheapest_wins_and_beyond_it_does_not() -> None:
    pinned = _score(Kind.WEEKDAY_WEEKEND, 38_640, 24, pinned=True, worst=0.045)
    headroom = _score(Kind.WEEKDAY_WEEKEND, 41_871, 21, worst=0.037)  # +8.4 %
    assert pick([pinned, headroom], 0.25) is headroom
    dear = _score(Kind.WEEKDAY_WEEKEND, 48_300, 0, worst=0.0)  # +25 %: floors at 80 % on office traffic
    assert pick([pinned, dear], 0.25) is pinned
    # Among the ones worth the same, the fewest failures, then the cheapest.
    autoscale = _score(Kind.FLAT, 57_033, 133, worst=0.185)
    profile = _score(Kind.PER_WEEKDAY, 59_321, 5, worst=0.014)
    assert pick([autoscale, profile], 0.25) is profile
    assert pick([_score(Kind.FLAT, 1, 900, worst=0.9)], 0.25) is None


def test_a_fall_to_zero_comes_a_minute_after_the_last_busy_slot() -> None:
    # HF's scale-to-zero call stops the replicas at once: what is still queued at 18:00 is served first.
    assert drained([0, 0, 5, 5, 0, 0, 3, 0]) == [0, 0, 5, 5, 5, 0, 3, 3]
