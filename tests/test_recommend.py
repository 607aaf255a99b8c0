"""`hfwarden recommend`: schedules learnt from seeded traces validate, round-trip through `plan`, and hold
up on the weeks they did not learn from."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hfwarden.adapters.store import Store
from hfwarden.adapters.trace import read_trace
from hfwarden.app.predict.backtest import Policy, Setup, run_backtest
from hfwarden.app.predict.recommend import split
from hfwarden.cli import main
from hfwarden.config import load_config
from hfwarden.core.cost import Segment
from hfwarden.core.platform.autoscaling import ReplicaModel
from hfwarden.core.predict import compress_days
from hfwarden.core.rules import ActionKind, EndpointSchedule, latest_transition
from tests.support import traces
from tests.support.recommending import INSTANCE, recommended

PARIS = ZoneInfo("Europe/Paris")


def recommend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: list[tuple[str, int]], *extra: str
) -> tuple[Path, EndpointSchedule, str]:
    got = recommended(tmp_path, capsys, rows, *extra)
    return got.path, got.schedule, got.err


def held_out(tmp_path: Path, schedule: EndpointSchedule, weeks: int = 1) -> dict[Policy, tuple[float, float, int]]:
    """Cost, failed % and rejected requests of each policy on the held-out weeks, as recommend printed them."""
    trace = read_trace(tmp_path / "trace.csv")
    _training, holdout = split(trace, weeks)
    assert holdout is not None
    top = max(r.action.max_replicas or 0 for r in schedule.rules)
    setup = Setup("acme/chat", ReplicaModel(100, 5), 0.8, top)
    result = run_backtest(holdout, setup, schedule)
    return {p.name: (p.cost_usd, p.failed_pct, p.requests_rejected) for p in result.policies}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def test_business_hours_stop_at_night_and_run_before_the_surge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = traces.generate(traces.business_hours(), weeks=5, zone="Europe/Paris", seed=11)
    path, schedule, err = recommend(tmp_path, capsys, rows, "--timezone", "Europe/Paris")
    assert main(["validate", str(path)]) == 0
    assert "instance: aws/us-east-1/nvidia-l4/x1" in path.read_text()
    # The numbers behind each rule, and a ready-by window (days may differ: one profile per weekday).
    assert re.search(r"# [a-z,-]+ 09:00: [0-9,]+ requests", path.read_text())
    assert re.search(r'window: "[a-z,-]+ 09:00-', path.read_text())
    assert "prewarm: auto" in path.read_text()
    wednesday, saturday = date(2026, 2, 11), date(2026, 2, 14)
    for night in (at(wednesday, 3), at(wednesday, 22), at(saturday, 12)):
        stopped = latest_transition(schedule, night)
        assert stopped is not None
        assert stopped.action.kind in (ActionKind.PAUSE, ActionKind.SCALE_TO_ZERO)
    surge = latest_transition(schedule, at(wednesday, 9))
    assert surge is not None
    assert surge.action.kind == ActionKind.RESUME
    assert surge.action.min_replicas is not None
    assert surge.action.min_replicas >= 3  # the 09:00 surge needs 5 replicas at once
    assert surge.at <= at(wednesday, 8, 55)  # ready by 09:00 with a 5-minute cold start
    figures = held_out(tmp_path, schedule)
    cost, failed, rejected = figures[Policy.SCHEDULE]
    assert failed <= 0.5
    assert rejected == 0
    assert cost <= 1.5 * figures[Policy.ORACLE][0]
    assert "held-out weeks" in err
    table = err.split("held-out weeks", 1)[1].splitlines()[2:10]
    assert sorted(line.split()[0] for line in table) == sorted(p.value for p in Policy)


def test_recommendation_round_trips_through_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = traces.generate(traces.business_hours(), weeks=3, zone="Europe/Paris", seed=3)
    path, _schedule, _err = recommend(tmp_path, capsys, rows, "--timezone", "Europe/Paris")
    tuesday = date(2026, 3, 31)  # after the change to summer time: still 08:55 local (09:00 less the lead)
    assert main(["plan", "--config", str(path), "--date", tuesday.isoformat(), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    planned = [(t["at"][11:16], t["action"], t["min_replicas"]) for t in plan["transitions"]]
    assert planned[0][:2] == ("08:55", "resume")
    assert planned[-1][:2] == ("18:01", "scale_to_zero")  # a minute to serve what is still queued at 18:00
    assert all(t["at"].endswith("+02:00") for t in plan["transitions"])
    assert plan["endpoints"][0]["projected_usd"] > 0


def test_always_busy_traffic_never_pauses_and_beats_autoscaling(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = traces.generate(traces.diurnal(peak=400), weeks=4, zone="Europe/Paris", seed=5)
    _path, schedule, _err = recommend(tmp_path, capsys, rows, "--timezone", "Europe/Paris")
    assert all(r.action.kind == ActionKind.RESUME for r in schedule.rules)
    figures = held_out(tmp_path, schedule)
    assert figures[Policy.SCHEDULE][1] <= figures[Policy.AUTOSCALE][1]
    assert figures[Policy.SCHEDULE][0] <= 1.2 * figures[Policy.AUTOSCALE][0]


def test_nightly_batch_is_prewarmed_and_a_trickle_is_never_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = traces.generate(traces.nightly_batch(), weeks=4, zone="UTC", seed=9)
    _path, schedule, _err = recommend(tmp_path, capsys, rows)
    batch = latest_transition(schedule, datetime(2026, 1, 28, 2, 0, tzinfo=UTC))
    assert batch is not None
    assert (batch.action.kind, batch.at.hour, batch.at.minute) == (ActionKind.RESUME, 1, 55)
    office = latest_transition(schedule, datetime(2026, 1, 28, 10, 0, tzinfo=UTC))
    assert office is not None
    # A trickle still saw requests: one replica, since waking from zero would answer them 503.
    assert office.action.min_replicas == 1
    figures = held_out(tmp_path, schedule)
    # A trickle request in a 15-minute slot where no training week saw one wakes from zero into a 503.
    assert figures[Policy.SCHEDULE][2] <= 2
    assert figures[Policy.SCHEDULE][1] <= 0.5
    assert figures[Policy.SCHEDULE][0] <= 0.6 * figures[Policy.AUTOSCALE][0]


def test_default_zone_is_the_traces_own_offset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = traces.generate(traces.business_hours(), weeks=2, zone="Europe/Paris", seed=1)  # January: +01:00
    path, schedule, _err = recommend(tmp_path, capsys, rows)
    assert "timezone: Etc/GMT-1" in path.read_text()
    # The busiest training minute needs 6 replicas of 100: a quarter more, rounded up.
    assert ", max 8, HF autoscaler" in path.read_text()  # pinned profiles set max = min per stretch
    surge = latest_transition(schedule, datetime(2026, 1, 14, 9, 0, tzinfo=ZoneInfo("Etc/GMT-1")))
    assert surge is not None
    assert surge.action.kind == ActionKind.RESUME


def test_a_changing_offset_without_a_zone_is_never_learnt_in_utc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = traces.generate(
        traces.diurnal(), weeks=2, zone="Europe/Paris", seed=2, start=datetime(2026, 3, 23, tzinfo=PARIS)
    )
    trace = traces.write(tmp_path / "trace.csv", rows)
    args = ["recommend", "--trace", str(trace), "--endpoint", "acme/chat", "--capacity-rpm", "100"]
    assert main([*args, "--instance", INSTANCE]) == 2
    assert "from +01:00 to +02:00 at 2026-03-29T01:00:00+00:00" in capsys.readouterr().err


def test_too_short_a_trace_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = traces.write(tmp_path / "t.csv", traces.generate(traces.diurnal(), weeks=1, zone="UTC", seed=1))
    args = ["recommend", "--trace", str(trace), "--endpoint", "acme/chat", "--capacity-rpm", "100"]
    assert main([*args, "--instance", INSTANCE]) == 2
    assert "at least 2 weeks" in capsys.readouterr().err


@pytest.mark.parametrize(("days", "text"), [("1,2,3,4,5", "1-5"), ("0,6", "0,6"), ("0,1,2,4,5,6", "0-2,4-6")])
def test_days_are_written_as_ranges(days: str, text: str) -> None:
    assert compress_days(days) == text


def record_history(url: str, days: int) -> None:
    """Ledger segments of an endpoint that ran 3 replicas 09:00-18:00 UTC on weekdays, at zero otherwise."""
    store = Store(url)
    segments = []
    first = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
    for day in range(days):
        start = first + timedelta(days=day)
        on, off = start + timedelta(hours=9), start + timedelta(hours=18)
        running = start.weekday() < 5
        segments.append(Segment("acme/chat", start, on if running else start + timedelta(days=1), 0, 0.8))
        if running:
            segments += [
                Segment("acme/chat", on, off, 3, 0.8),
                Segment("acme/chat", off, start + timedelta(days=1), 0, 0.8),
            ]
    store.save_ledger(segments, [])
    store.close()


def test_from_history_learns_from_recorded_replicas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("HFWARDEN_STATE_URL", url)
    monkeypatch.setenv("HFWARDEN_CONFIG", str(tmp_path / "none"))
    record_history(url, 3)
    args = ["recommend", "--from-history", "--endpoint", "acme/chat", "--instance", INSTANCE]
    assert main(args) == 2
    assert "7 days" in capsys.readouterr().err
    record_history(url, 14)
    assert main([*args, "--timezone", "UTC"]) == 0
    out = capsys.readouterr().out
    path = tmp_path / "from-history.yaml"
    path.write_text(out)
    schedule = load_config([path]).endpoint("acme/chat")
    assert schedule is not None
    surge = latest_transition(schedule, datetime(2026, 1, 21, 9, 0, tzinfo=UTC))
    night = latest_transition(schedule, datetime(2026, 1, 21, 23, 0, tzinfo=UTC))
    assert surge is not None
    assert night is not None
    assert (surge.action.kind, surge.action.min_replicas, surge.at.hour, surge.at.minute) == (
        ActionKind.RESUME,
        3,
        8,
        55,
    )
    assert night.action.kind == ActionKind.SCALE_TO_ZERO
