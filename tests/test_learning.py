"""`learn:` without a Prometheus: the block's validation, the pure rules of adoption, forecast error,
censored `--from-history`, gaps in trace files, and the Prometheus adapter's auth on the wire."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx
from huggingface_hub import HfApi, constants
from prometheus_client import CollectorRegistry

from hfwarden.adapters import prometheus as prometheus_adapter
from hfwarden.adapters.prometheus import PrometheusAuth, PrometheusError, PrometheusSource, chunks, query_for
from hfwarden.adapters.store import Store
from hfwarden.adapters.store.proposals import Notes
from hfwarden.adapters.trace import Trace, read_trace
from hfwarden.app.learn.bridge import Demand, Learning, propose, setup_for
from hfwarden.app.learn.drift import ForecastCollector, track_forecast
from hfwarden.app.learn.entries import entry_text, fingerprint
from hfwarden.app.learn.job import LearningJob
from hfwarden.app.predict.backtest import Policy
from hfwarden.app.predict.recommend import RecommendOptions, recommend_schedule, split
from hfwarden.cli import main
from hfwarden.clock import ManualClock
from hfwarden.config import Config, load_config
from hfwarden.core.cost import Segment
from hfwarden.core.cron import parse_cron
from hfwarden.core.learning import (
    Figures,
    Keep,
    KeptWindow,
    LearnMode,
    LearnPlan,
    Proposal,
    ProposalStatus,
    adoption_refusal,
    broken_keep,
    forecast_error,
    is_drifting,
    over_since,
    parse_span,
)
from hfwarden.core.rules import Action, ActionKind, EndpointSchedule, Rule
from hfwarden.daemon import Daemon
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator
from hfwarden.settings import Settings
from tests.conftest import TIMINGS
from tests.support import traces
from tests.support.helpers import advance, create

MONDAY = datetime(2026, 11, 16, tzinfo=UTC)

LEARN_FILE = """version: 1
endpoints:
  - namespace: acme
    name: chat
    schedule:
      - cron: "0 9 * * 1-5"
        action: resume
    learn:
      source: {prometheus: "http://prom:9090", query: 'sum(rate(x{name="{name}"}[2m])) * 60'}
      every: 7d
      capacity_rpm: 60
      mode: advise
"""


def test_validate_accepts_a_learn_block(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(LEARN_FILE)
    assert main(["validate", str(path)]) == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("mode: advise", "mode: sometimes"), ":12:"),
        (("      capacity_rpm: 60\n", ""), "needs capacity_rpm"),
        (("every: 7d", "every: soon"), "not a duration like 6w"),
        (("mode: advise", "mode: advise\n      keep: {windows: yes please}"), ":13:"),
    ],
    ids=["bad-mode", "no-capacity", "bad-every", "bad-keep"],
)
def test_validate_reports_a_bad_learn_block_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str], expected: str
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(LEARN_FILE.replace(*change))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:" in err
    assert expected in err
    assert "Traceback" not in err


def test_plan_shows_the_next_learning_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(LEARN_FILE)
    assert main(["plan", "--config", str(path)]) == 0
    assert "acme/chat: next learning " in capsys.readouterr().out


def test_spans() -> None:
    assert parse_span("6w") == timedelta(weeks=6)
    assert parse_span("1d12h") == timedelta(hours=36)
    assert parse_span("1m") == timedelta(minutes=1)
    with pytest.raises(ValueError, match="not a duration"):
        parse_span("soon")


def _schedule(*rules: tuple[str, Action]) -> EndpointSchedule:
    zone = ZoneInfo("UTC")
    built = tuple(Rule(f"r{i}", i, parse_cron(cron), zone, action) for i, (cron, action) in enumerate(rules, 1))
    return EndpointSchedule("acme", "chat", built, zone)


def test_a_proposal_that_pauses_in_a_declared_window_breaks_keep() -> None:
    window = KeptWindow("mon-fri 09:00-18:00", ZoneInfo("UTC"), 2)
    plan = LearnPlan("acme/chat", timedelta(days=7), 60.0, windows=(window,))
    early_stop = _schedule(("0 9 * * 1-5", Action(ActionKind.RESUME, 2, 4)), ("0 17 * * 1-5", Action(ActionKind.PAUSE)))
    assert "drops the declared window 'mon-fri 09:00-18:00'" in (broken_keep(early_stop, plan, start=MONDAY) or "")
    whole = _schedule(("0 9 * * 1-5", Action(ActionKind.RESUME, 2, 4)), ("0 18 * * 1-5", Action(ActionKind.PAUSE)))
    assert broken_keep(whole, plan, start=MONDAY) is None
    floor = LearnPlan("acme/chat", timedelta(days=7), 60.0, keep=Keep(windows=False, min_replicas=3))
    assert "keep.min_replicas 3" in (broken_keep(whole, floor, start=MONDAY) or "")


def test_adoption_needs_cheaper_and_no_more_failures() -> None:
    current = Figures(100.0, 0.1)
    assert adoption_refusal(current, Figures(80.0, 0.1), None, 0.0) is None
    assert "not cheaper" in (adoption_refusal(current, Figures(120.0, 0.0), None, 0.5) or "")
    assert "fails more" in (adoption_refusal(current, Figures(80.0, 0.9), None, 0.5) or "")
    assert adoption_refusal(current, Figures(80.0, 0.4), None, 0.5) is None  # within max_failed_pct
    assert adoption_refusal(current, Figures(80.0, 0.0), "drops a window", 0.5) == "drops a window"


def test_a_proposals_failed_pct_is_recommends_late_plus_rejected() -> None:
    # Issue 21: a proposal's figures are `recommend`'s. Office traffic queues a few seconds at each
    # rise (delayed) without any request waiting past the SLO (late): served, not failed.
    start = datetime(2026, 10, 5, tzinfo=UTC)
    rows = traces.generate(
        traces.business_hours(rate=100.0), weeks=3, zone="UTC", seed=0, start=start.replace(tzinfo=None)
    )
    trace = Trace(start, tuple(n for _, n in rows), frozenset({timedelta(0)}))
    how = Learning("acme/chat", 60.0, 5, 0.8, None, "UTC", 1, 0.5)
    proposed = propose(Demand(trace, "a test"), how, None)
    training, _holdout = split(trace, 1)
    printed = recommend_schedule(
        trace, setup_for(training, how), RecommendOptions(1, "UTC", 0.5), instance=None, source="a test"
    ).tested.policy(Policy.SCHEDULE)
    assert printed.requests_delayed > printed.requests_late
    assert proposed.proposal == Figures(round(printed.cost_usd, 6), round(printed.failed_pct, 6))


def test_forecast_error_and_drift_over_two_days() -> None:
    expected = [0.0] * 168
    expected[9] = 100.0
    assert forecast_error(expected, [(9, 100.0), (10, 0.0)]) == 0.0
    assert forecast_error(expected, [(9, 50.0)]) == pytest.approx(1.0)
    start = over_since(None, 0.9, 0.5, now=MONDAY)
    assert start == MONDAY
    assert not is_drifting(start, now=MONDAY + timedelta(days=1))
    assert is_drifting(over_since(start, 0.9, 0.5, now=MONDAY + timedelta(days=2)), now=MONDAY + timedelta(days=2))
    assert over_since(start, 0.2, 0.5, now=MONDAY + timedelta(days=2)) is None


def test_an_empty_cell_is_a_minute_of_unknown_demand(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("minute_start,requests\n2026-01-05T00:00:00+00:00,3\n2026-01-05T00:01:00+00:00,\n"
                    "2026-01-05T00:02:00+00:00,0\n")  # fmt: skip
    trace = read_trace(path)
    assert trace.requests == (3, 0, 0)
    assert trace.missing == frozenset({1})
    assert trace.window(trace.start + timedelta(minutes=1), None).missing == frozenset({0})


def record_history(url: str, days: int) -> None:
    """Ledger segments of an endpoint that ran 3 replicas 09:00-18:00 UTC on weekdays, at zero otherwise."""
    store = Store(url)
    segments = []
    first = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
    for day in range(days):
        start = first + timedelta(days=day)
        on, off = start + timedelta(hours=9), start + timedelta(hours=18)
        if start.weekday() >= 5:
            segments.append(Segment("acme/chat", start, start + timedelta(days=1), 0, 0.8))
            continue
        segments += [
            Segment("acme/chat", start, on, 0, 0.8),
            Segment("acme/chat", on, off, 3, 0.8),
            Segment("acme/chat", off, start + timedelta(days=1), 0, 0.8),
        ]
    store.save_ledger(segments, [])
    store.close()


def test_from_history_leaves_paused_and_zero_minutes_out_and_says_how_many(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fresh_state: Callable[[Path], str],
) -> None:
    url = fresh_state(tmp_path / "state.db")
    monkeypatch.setenv("HFWARDEN_STATE_URL", url)
    monkeypatch.setenv("HFWARDEN_CONFIG", str(tmp_path / "none"))
    record_history(url, 14)
    args = ["recommend", "--from-history", "--endpoint", "acme/chat", "--instance", "aws/us-east-1/nvidia-l4/x1"]
    assert main([*args, "--timezone", "UTC"]) == 0
    captured = capsys.readouterr()
    # 14 days, of which 10 weekdays run 9 hours: the rest were at zero and say nothing of demand.
    unknown = 14 * 1440 - 10 * 9 * 60
    assert f"{unknown} minutes of unknown demand left out of learning" in captured.err
    assert f"{unknown} of {14 * 1440} minutes paused or scaled to zero left out" in captured.out


def test_placeholders_fill_only_namespace_and_name() -> None:
    template = 'sum(rate(x{route="/g",ns="{namespace}",n="{name}"}[2m])) * 60'
    assert query_for(template, "acme/chat") == 'sum(rate(x{route="/g",ns="acme",n="chat"}[2m])) * 60'


def test_chunks_stay_under_the_points_limit() -> None:
    parts = chunks(MONDAY, MONDAY + timedelta(weeks=6))
    assert len(parts) == 7
    assert all((last - first).total_seconds() / 60 + 1 <= 10_000 for first, last in parts)
    assert parts[-1][1] == MONDAY + timedelta(weeks=6) - timedelta(minutes=1)


@respx.mock
def test_bearer_token_from_a_file_is_sent_and_never_shown(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("tok-123-secret\n")
    auth = PrometheusAuth.from_environ({"HFWARDEN_PROMETHEUS_TOKEN_FILE": str(secret)})
    route = respx.post("https://prom.example/api/v1/query_range").mock(
        return_value=httpx.Response(
            200,
            json={
                "status": "success",
                "data": {"resultType": "matrix", "result": [{"metric": {}, "values": [[MONDAY.timestamp(), "12.4"]]}]},
            },
        )
    )
    source = PrometheusSource("https://prom.example", auth=auth)
    trace = source.demand("up", MONDAY, MONDAY + timedelta(minutes=2))
    assert route.calls.last.request.headers["Authorization"] == "Bearer tok-123-secret"
    assert trace.requests == (12, 0)
    assert trace.missing == frozenset({1})
    assert "tok-123" not in repr(auth) + repr(source)


@respx.mock
def test_basic_auth_and_a_refusal(capsys: pytest.CaptureFixture[str]) -> None:
    auth = PrometheusAuth.from_environ({"HFWARDEN_PROMETHEUS_USER": "u", "HFWARDEN_PROMETHEUS_PASSWORD": "pw-9"})
    route = respx.post("https://prom.example/api/v1/query_range").mock(return_value=httpx.Response(401, text="no"))
    source = PrometheusSource("https://prom.example", auth=auth)
    with pytest.raises(PrometheusError, match="answered 401") as caught:
        source.demand("up", MONDAY, MONDAY + timedelta(minutes=2))
    assert route.calls.last.request.headers["Authorization"].startswith("Basic ")
    assert "pw-9" not in str(caught.value)


def _proposal(figures: dict[str, object], *, status: ProposalStatus, fingerprint: str, yaml_text: str) -> Proposal:
    return Proposal(0, "acme/chat", 0, MONDAY, status, LearnMode.ADOPT, yaml_text, fingerprint, figures)


LEARNT = """version: 1
timezone: UTC
endpoints:
  - namespace: acme
    name: chat
    schedule:
      - cron: "0 8 * * 1-5"
        action: resume
        min_replicas: 2
        max_replicas: 4
"""


def test_an_adopted_schedule_stands_until_the_file_entry_changes(
    tmp_path: Path, fresh_state: Callable[[Path], str]
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(LEARN_FILE)
    config = load_config([path])
    store = Store(fresh_state(tmp_path / "state.db"))
    entry = fingerprint(entry_text(config.sources, "acme/chat"))
    store.add_proposal(_proposal({}, status=ProposalStatus.ADOPTED, fingerprint=entry, yaml_text=LEARNT), Notes())
    applied: list[Config] = []
    job = LearningJob(store, ManualClock(MONDAY), config, fetch=_no_demand, apply=applied.append, observed=list)
    in_force = job.applied().endpoint("acme/chat")
    assert in_force is not None
    assert [r.action.min_replicas for r in in_force.rules] == [2]
    # A comment changes nothing; a changed rule in the file supersedes the adoption.
    path.write_text(LEARN_FILE.replace("version: 1\n", "version: 1\n# reviewed\n"))
    assert job.applied(load_config([path])).endpoint("acme/chat").rules == in_force.rules  # type: ignore[union-attr]
    path.write_text(LEARN_FILE.replace('cron: "0 9 * * 1-5"', 'cron: "30 9 * * 1-5"'))
    file_config = load_config([path])
    assert job.applied(file_config).endpoint("acme/chat") == file_config.endpoint("acme/chat")
    assert [p.status for p in store.proposals("acme/chat")] == [ProposalStatus.SUPERSEDED]
    assert [e.action for e in store.audit_entries("acme/chat")] == ["proposal_superseded"]
    store.close()


def _no_demand(plan: LearnPlan, endpoint: str, start: datetime, end: datetime) -> Demand:
    raise PrometheusError("no Prometheus in this test")


def _steady_demand(requests: int) -> Callable[[LearnPlan, str, datetime, datetime], Demand]:
    def fetch(plan: LearnPlan, endpoint: str, start: datetime, end: datetime) -> Demand:
        minutes = int((end - start).total_seconds() // 60)
        return Demand(Trace(start, (requests,) * minutes, frozenset({timedelta(0)})), "steady")

    return fetch


def test_forecast_error_is_a_metric_and_drift_alerts_after_two_days(
    tmp_path: Path, fresh_state: Callable[[Path], str]
) -> None:
    store = Store(fresh_state(tmp_path / "state.db"))
    profile = [600.0] * 168  # learnt for 10 requests a minute, every hour
    store.add_proposal(_proposal({"profile": profile}, status=ProposalStatus.ADOPTED, fingerprint="x",
                                 yaml_text=LEARNT), Notes())  # fmt: skip
    plan = LearnPlan("acme/chat", timedelta(days=7), 60.0, drift_error=0.5)
    state = track_forecast(store, plan, "acme/chat", None, _steady_demand(10), now=MONDAY, sinks=("slack",))
    assert state.forecast_error == 0.0
    registry = CollectorRegistry()
    registry.register(ForecastCollector(store))
    assert registry.get_sample_value("hfwarden_forecast_error_ratio", {"endpoint": "acme/chat"}) == 0.0
    # Demand now runs at 30 a minute: the forecast is 2/3 under what came (MAPE over actuals), hour after hour.
    at = MONDAY
    for _ in range(49):
        at += timedelta(hours=1)
        state = track_forecast(store, plan, "acme/chat", state, _steady_demand(30), now=at, sinks=("slack",))
    assert registry.get_sample_value("hfwarden_forecast_error_ratio", {"endpoint": "acme/chat"}) == pytest.approx(2 / 3)
    kinds = [key.split("|")[0] for _, key in store.raised_alerts()]
    assert kinds == ["forecast_drift"]
    store.close()


class HungPrometheus:
    """A loopback 'Prometheus' that takes a query and answers nothing until released: a learning
    cycle that is still running."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.released = threading.Event()
        hung = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                hung.asked.set()
                hung.released.wait(JOIN_TIMEOUT_S)
                self.send_error(503)

            do_GET = do_POST

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


JOIN_TIMEOUT_S = 600  # a safety net only: released as soon as the test has seen what it waits for


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + JOIN_TIMEOUT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_due_transition_is_not_delayed_while_learning_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The daemon's scheduler runs in real time from the clock's now: a clock a little behind it, so
    # that the test's advances never put the first pass in the future.
    clock = ManualClock(datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30))
    with Emulator(clock=clock, timings=TIMINGS, tokens={DEFAULT_TOKEN: frozenset({"*"})}) as emulator:
        monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", emulator.api_url)
        api = HfApi(endpoint=emulator.base_url, token=DEFAULT_TOKEN)
        with httpx.Client(base_url=emulator.base_url, timeout=10) as control:
            pause_while_learning(api, control, clock, emulator, tmp_path, monkeypatch)


def pause_while_learning(
    api: HfApi, control: httpx.Client, clock: ManualClock, emulator: Emulator, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    create(api, "chat")
    advance(control, 120)
    assert api.get_inference_endpoint("chat", namespace="acme").status == "running"
    hung = HungPrometheus()
    monkeypatch.setattr(prometheus_adapter, "TIMEOUT_SECONDS", JOIN_TIMEOUT_S)  # the cycle runs till released
    path = tmp_path / "schedules.yaml"
    due, running_since = clock.now() + timedelta(minutes=5), clock.now() - timedelta(minutes=5)
    path.write_text(
        f"""version: 1
timezone: UTC
endpoints:
  - namespace: acme
    name: chat
    schedule:
      - cron: "{running_since.minute} {running_since.hour} * * *"
        action: resume
      - cron: "{due.minute} {due.hour} * * *"
        action: pause
    learn:
      source: {{prometheus: "{hung.url}", query: 'sum(rate(x[2m])) * 60'}}
      every: 1m
      capacity_rpm: 60
"""
    )
    settings = Settings(
        hf_token=DEFAULT_TOKEN, state_dir=tmp_path, tick_seconds=1, endpoints_api_url=emulator.api_url,
        hub_url=emulator.base_url, http_port=0,
    )  # fmt: skip
    daemon = Daemon(settings, [path], load_config([path]), clock=clock)
    daemon.start()
    try:
        wait_until(hung.asked.is_set, "the learning cycle to ask for demand")
        wait_until(lambda: daemon.passes > 0, "a first pass")
        assert api.get_inference_endpoint("chat", namespace="acme").status == "running"  # nothing due yet
        clock.advance(6 * 60)  # the pause is due; learning still waits for its demand
        wait_until(lambda: api.get_inference_endpoint("chat", namespace="acme").status == "paused", "the pause")
        assert daemon.learning.cycles == 0  # carried out while the learning cycle was still running
        assert not hung.released.is_set()
    finally:
        hung.close()
        daemon.stop()


WINDOW_FILE = LEARN_FILE.replace(
    """      - cron: "0 9 * * 1-5"
        action: resume
""",
    """      - window: "mon-fri 09:00-18:00"
        during: {action: resume, min_replicas: 1}
        outside: {action: scale_to_zero}
""",
)


@pytest.fixture
def state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_state: Callable[[Path], str]
) -> Iterator[tuple[Store, Path]]:
    """A state store and a schedule file where `hfwarden adopt` finds them."""
    monkeypatch.setenv("HFWARDEN_STATE_DIR", str(tmp_path))
    path = tmp_path / "schedules.yaml"
    path.write_text(LEARN_FILE)
    monkeypatch.setenv("HFWARDEN_CONFIG", str(path))
    store = Store(fresh_state(tmp_path / "hfwarden.db"))
    yield store, path
    store.close()


def _learnt(path: Path, *, data_to: datetime = MONDAY, status: ProposalStatus = ProposalStatus.OPEN) -> Proposal:
    entry = fingerprint(entry_text([path], "acme/chat"))
    figures = {"data_to": data_to.isoformat(), "cost_before_usd": 10.0, "cost_after_usd": 5.0}
    return Proposal(0, "acme/chat", 0, data_to, status, LearnMode.ADVISE, LEARNT, entry, figures)


def test_adopt_refuses_a_proposal_learnt_against_an_entry_since_changed_unless_forced(
    state: tuple[Store, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    store, path = state
    proposal = store.add_proposal(_learnt(path), Notes())
    path.write_text(LEARN_FILE.replace('cron: "0 9 * * 1-5"', 'cron: "30 8 * * 1-5"'))  # the team edits the file
    assert main(["adopt", "acme/chat"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hfwarden: not adopted: the schedule file's entry for acme/chat changed since proposal")
    assert "--force" in err
    assert len(err.splitlines()) == 1
    assert [p.status for p in store.proposals("acme/chat")] == [ProposalStatus.OPEN]
    assert store.audit_entries("acme/chat") == []
    # Forced: adopted against the file as it is now, so the daemon keeps it in force.
    assert main(["adopt", "acme/chat", "--force"]) == 0
    adopted = store.proposals("acme/chat")[0]
    assert adopted.status == ProposalStatus.ADOPTED
    assert adopted.reason == "hfwarden adopt --force"
    config = load_config([path])
    job = LearningJob(store, ManualClock(MONDAY), config, fetch=_no_demand, apply=lambda _c: None, observed=list)
    in_force = job.applied().endpoint("acme/chat")
    assert in_force is not None
    assert [r.action.min_replicas for r in in_force.rules] == [2]
    assert proposal.id == adopted.id


def test_adopt_refuses_a_proposal_older_than_one_learnt_from_later_demand(
    state: tuple[Store, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    store, path = state
    older = store.add_proposal(_learnt(path), Notes())
    store.add_proposal(_learnt(path, data_to=MONDAY + timedelta(days=7)), Notes())  # replaces the older one
    assert main(["adopt", "acme/chat", "--proposal", str(older.id)]) == 2
    assert "was learnt from later demand (to 2026-11-23 00:00 UTC)" in capsys.readouterr().err
    assert main(["adopt", "acme/chat"]) == 0  # the latest one
    assert [p.status for p in store.proposals("acme/chat")] == [ProposalStatus.REPLACED, ProposalStatus.ADOPTED]


def test_adopt_refuses_a_proposal_that_drops_a_declared_window(
    state: tuple[Store, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    store, path = state
    path.write_text(WINDOW_FILE)
    store.add_proposal(_learnt(path), Notes())  # resumes at 08:00 and never stops: keeps the window
    pausing = LEARNT.replace("resume\n        min_replicas: 2\n        max_replicas: 4", "pause")
    store.add_proposal(replace(_learnt(path, data_to=MONDAY + timedelta(days=1)), schedule_yaml=pausing), Notes())
    assert main(["adopt", "acme/chat"]) == 2
    assert "drops the declared window 'mon-fri 09:00-18:00'" in capsys.readouterr().err
    assert main(["adopt", "acme/chat", "--force"]) == 0
