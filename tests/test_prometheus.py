"""Prometheus as a demand source, against a real Prometheus backfilled with six weeks of a
business-hours trace (`tests/prometheus.py`): range queries in chunks, gaps, errors, `trace export`,
`recommend --prometheus`, and one learning cycle whose proposal has `recommend`'s figures."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from huggingface_hub import HfApi

from hfwarden.adapters.prometheus import PrometheusError, PrometheusSource, query_for
from hfwarden.adapters.store import Store
from hfwarden.adapters.trace import read_trace
from hfwarden.app.learn.cycle import Cycle, run_cycle
from hfwarden.app.learn.source import daemon_source
from hfwarden.cli import main
from hfwarden.clock import ManualClock
from hfwarden.config import load_config
from hfwarden.core.learning import ProposalStatus
from hfwarden.daemon import Daemon
from hfwarden.emulator.server import Emulator, load_seed
from hfwarden.emulator.traffic import read_minutes, replay_on
from hfwarden.settings import Settings
from tests.support import prometheus as prom
from tests.support.helpers import create
from tests.support.traces import business_hours, generate

START = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday
END = START + timedelta(weeks=6)
GAP = (START + timedelta(days=9, hours=3), START + timedelta(days=9, hours=5))  # two hours without samples
QUERY = 'sum(rate(hf_endpoint_requests_total{namespace="{namespace}",name="{name}"}[2m])) * 60'
INSTANCE = "aws/us-east-1/nvidia-l4/x1"


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server, promtool = prom.require_binaries()
    work = tmp_path_factory.mktemp("prometheus")
    rows = [
        (datetime.fromisoformat(at), n)
        for at, n in generate(business_hours(), weeks=6, zone="UTC", seed=21, start=START.replace(tzinfo=None))
    ]
    kept = [(at, n) for at, n in rows if not GAP[0] <= at < GAP[1]]
    labels = {"namespace": "acme", "name": "chat"}
    prom.backfill(promtool, work / "data", prom.openmetrics_counter("hf_endpoint_requests", labels, kept), work)
    with prom.running_prometheus(server, work / "data", work) as url:
        yield url


def test_demand_comes_in_chunks_with_gaps_as_missing_minutes(prometheus_url: str) -> None:
    # Six weeks at a 60 s step is 60,480 points: Prometheus refuses more than 11,000 in one query.
    query = QUERY.replace("{namespace}", "acme").replace("{name}", "chat")
    source = PrometheusSource(prometheus_url)
    trace = source.demand(query, START, END)
    source.close()
    assert len(trace.requests) == 6 * 7 * 1440
    gap = range(int((GAP[0] - START).total_seconds() // 60) + 2, int((GAP[1] - START).total_seconds() // 60))
    assert set(gap) <= trace.missing  # no sample: unknown, not zero
    monday_noon = 7 * 1440 + 14 * 60
    assert trace.requests[monday_noon] > 100
    assert monday_noon not in trace.missing


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sum(rate(hf_endpoint_requests_total[2m]", "Prometheus refused the query (bad_data)"),
        ('hf_endpoint_requests_total{name="nothing-here"}', "no samples"),
        (
            'hf_endpoint_requests_total or label_replace(hf_endpoint_requests_total, "copy", "1", "", "")',
            "returns 2 series",
        ),
    ],
    ids=["bad-promql", "empty-result", "two-series"],
)
def test_prometheus_errors_are_one_line_and_exit_2(
    prometheus_url: str, query: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["trace", "export", "--prometheus", prometheus_url, "--query", query, "--since", "1d",
                 "--until", END.isoformat()])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_unreachable_prometheus_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{prom.free_port()}"
    code = main(["trace", "export", "--prometheus", url, "--query", "up", "--since", "1h"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == f"hfwarden: cannot reach Prometheus at {url}: ConnectError"


def test_trace_export_round_trips_and_keeps_gaps(
    prometheus_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["trace", "export", "--prometheus", prometheus_url, "--query", QUERY, "--endpoint", "acme/chat",
            "--since", "2w", "--until", (START + timedelta(weeks=2)).isoformat()]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr()
    path = tmp_path / "trace.csv"
    path.write_text(out.out)
    trace = read_trace(path)
    assert trace.start == START
    assert len(trace.requests) == 2 * 7 * 1440
    assert trace.missing  # the gap, as empty cells
    assert "without samples" in out.err


def schedule_file(tmp_path: Path, *, mode: str = "advise", every: str = "1m") -> Path:
    path = tmp_path / "schedules.yaml"
    path.write_text(
        f"""version: 1
timezone: UTC
endpoints:
  - namespace: acme
    name: chat
    instance: {INSTANCE}
    schedule:
      - cron: "0 7 * * *"
        action: resume
        min_replicas: 9
        max_replicas: 9
    learn:
      source: {{prometheus: "PROM", query: '{QUERY}', since: 6w}}
      every: {every}
      holdout_weeks: 2
      capacity_rpm: 60
      mode: {mode}
      max_failed_pct: 0.5
"""
    )
    return path


FILE_RULE = "07:00 UTC)  resume(min=9, max=9)"  # how `plan` shows the file's rule
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")


def printed(stdout: str) -> str:
    """What a command printed, without the running daemon's log lines."""
    return "".join(line for line in stdout.splitlines(keepends=True) if not LOG_LINE.match(line))


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 900) -> None:
    # Generous: a learning cycle is seconds of CPU, many times that on a loaded machine.
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_the_daemon_proposes_what_recommend_prints_then_adopt_and_revert(
    prometheus_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = schedule_file(tmp_path)
    path.write_text(path.read_text().replace("PROM", prometheus_url))
    monkeypatch.setenv("HFWARDEN_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HFWARDEN_CONFIG", str(path))
    settings = Settings(
        hf_token="hf_NotUsedByThisTest0000000",
        state_dir=tmp_path,
        tick_seconds=5,  # the daemon's clock is weeks behind the scheduler's: few ticks to catch up
        endpoints_api_url="http://127.0.0.1:9/v2",
        hub_url="http://127.0.0.1:9",
        max_attempts=1,
        http_port=0,  # a free port: never the default 9090
    )
    clock = ManualClock(END)
    daemon = Daemon(settings, [path], load_config([path]), clock=clock)
    file_rules = daemon.config.endpoint("acme/chat").rules  # type: ignore[union-attr]
    daemon.start()
    try:
        wait_for(lambda: bool(daemon.store.proposals("acme/chat")), "a proposal")
        cycles = daemon.learning.cycles
        clock.advance(61)  # `every: 1m`: it learns again, the same schedule: no second proposal
        wait_for(lambda: daemon.learning.cycles > cycles, "a second cycle")
        proposals = daemon.store.proposals("acme/chat")
        assert [p.status for p in proposals] == [ProposalStatus.OPEN]
        proposal = proposals[0]
        figures = proposal.figures
        assert figures["data_from"] == START.isoformat()
        assert figures["missing_minutes"] >= 118  # the two hours without samples
        # `recommend` on the same window prints the same schedule and the same held-out figures.
        code = main(["recommend", "--prometheus", prometheus_url, "--query", QUERY, "--endpoint", "acme/chat",
                     "--since", "6w", "--until", END.isoformat(), "--capacity-rpm", "60", "--instance", INSTANCE,
                     "--holdout-weeks", "2", "--max-delayed-pct", "0.5", "--timezone", "UTC"])  # fmt: skip
        out = capsys.readouterr()
        assert code == 0
        assert printed(out.out) == proposal.schedule_yaml
        row = next(line for line in out.err.splitlines() if line.startswith("schedule "))
        assert float(row.split()[1]) == pytest.approx(figures["cost_after_usd"], abs=0.005)
        assert figures["cost_after_usd"] < figures["cost_before_usd"]
        assert figures["saving_per_week_usd"] > 0
        assert "+      - cron:" in figures["diff"]
        assert main(["proposals", "--json"]) == 0
        listed = json.loads(printed(capsys.readouterr().out))
        assert [(p["id"], p["status"]) for p in listed] == [(proposal.id, "open")]
        # adopt: the daemon runs it and plan shows it; revert: the file's schedule again.
        assert main(["adopt", "acme/chat"]) == 0
        wait_for(lambda: daemon.reconciler.config.endpoint("acme/chat").rules != file_rules, "the adoption")  # type: ignore[union-attr]
        capsys.readouterr()
        assert main(["plan", "--date", "2026-11-17"]) == 0
        adopted_plan = printed(capsys.readouterr().out)
        assert f"adopted proposal {proposal.id}" in adopted_plan
        # The file's own rule (07:00, min 9): a learnt profile may pin 9 replicas too, at another time.
        assert FILE_RULE not in adopted_plan
        assert main(["revert", "acme/chat"]) == 0
        wait_for(lambda: daemon.reconciler.config.endpoint("acme/chat").rules == file_rules, "the revert")  # type: ignore[union-attr]
        capsys.readouterr()
        assert main(["plan", "--date", "2026-11-17"]) == 0
        reverted_plan = printed(capsys.readouterr().out)
        assert "adopted proposal" not in reverted_plan
        assert FILE_RULE in reverted_plan
        actions = [e.action for e in daemon.store.audit_entries("acme/chat") if "proposal" in e.action
                   or e.action.startswith("schedule_")]  # fmt: skip
        assert actions == ["schedule_proposal", "schedule_adopted", "proposal_reverted"]
    finally:
        daemon.stop()


def test_adopt_mode_refuses_a_worse_proposal_and_adopts_a_better_one(prometheus_url: str, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    cheap = schedule_file(tmp_path, mode="adopt")
    # The schedule in force already pauses everything: nothing learnt is cheaper.
    cheap.write_text(cheap.read_text().replace("PROM", prometheus_url).replace(
        "action: resume\n        min_replicas: 9\n        max_replicas: 9", "action: pause"))  # fmt: skip
    config = load_config([cheap])
    plan = config.learn[0]
    refused = run_cycle(Cycle(config, config, plan, "acme/chat", END), store, daemon_source(store))
    assert refused is not None
    assert refused.status == ProposalStatus.REFUSED
    assert "not cheaper" in refused.reason
    costly = schedule_file(tmp_path, mode="adopt")
    costly.write_text(costly.read_text().replace("PROM", prometheus_url))
    config = load_config([costly])
    adopted = run_cycle(Cycle(config, config, config.learn[0], "acme/chat", END), store, daemon_source(store))
    assert adopted is not None
    assert adopted.status == ProposalStatus.ADOPTED, adopted.reason
    store.close()


def test_adopt_mode_refuses_a_proposal_that_drops_a_declared_window(prometheus_url: str, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    path = schedule_file(tmp_path, mode="adopt")
    # A Sunday window nobody uses in the trace: what is learnt pauses there.
    path.write_text(path.read_text().replace("PROM", prometheus_url).replace(
        "    schedule:\n",
        "    schedule:\n      - window: \"sun 10:00-12:00\"\n        during: {action: resume, min_replicas: 1}\n"
        "        outside: {action: scale_to_zero}\n"))  # fmt: skip
    config = load_config([path])
    refused = run_cycle(Cycle(config, config, config.learn[0], "acme/chat", END), store, daemon_source(store))
    assert refused is not None
    assert refused.status == ProposalStatus.REFUSED
    assert "drops the declared window 'sun 10:00-12:00'" in refused.reason
    store.close()


def test_source_error_names_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFWARDEN_PROMETHEUS_TOKEN", "s3cret-token-value")
    source = PrometheusSource(f"http://user:pw@127.0.0.1:{prom.free_port()}/prom")
    with pytest.raises(PrometheusError) as caught:
        source.demand("up", START, START + timedelta(hours=1))
    assert "s3cret" not in str(caught.value)
    assert "pw" not in str(caught.value)
    assert "s3cret" not in repr(source.auth)


# -- the compose try-out: emulator → Prometheus → hfwarden → proposal ------------------------------

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def _tryout() -> tuple[dict[str, Any], dict[str, str]]:
    services: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    env = dict(
        line.split("=", 1)
        for line in (DEPLOY / "tryout.env").read_text().splitlines()
        if "=" in line and line[0] != "#"
    )
    return services, env


def _option(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def test_the_tryout_prometheus_config_passes_promtool() -> None:
    _, promtool = prom.require_binaries()
    checked = subprocess.run(
        [promtool, "check", "config", str(DEPLOY / "prometheus" / "prometheus.yml")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_tryout_wires_emulator_traffic_prometheus_and_learning(tmp_path: Path) -> None:
    services, env = _tryout()
    emulator, prometheus, hfwarden = services["emulator"], services["prometheus"], services["hfwarden"]
    assert prometheus["profiles"] == ["tryout"]
    assert hfwarden["depends_on"]["prometheus"] == {"condition": "service_started", "required": False}
    # The emulator replays a trace that is mounted, on an endpoint it seeds.
    command = emulator["command"]
    traffic, endpoint = _option(command, "--traffic"), _option(command, "--traffic-endpoint")
    mounts = {inside: DEPLOY / outside for outside, inside, *_ in (v.split(":") for v in emulator["volumes"])}
    assert read_minutes(mounts[traffic])  # a trace the emulator reads
    seeded = {f"{s.namespace}/{s.name}" for s in load_seed(mounts[_option(command, "--seed")])}
    assert endpoint in seeded
    # Prometheus scrapes the emulator where it listens.
    config_mount = next(v for v in prometheus["volumes"] if v.endswith(":/etc/prometheus/prometheus.yml:ro"))
    scraped = yaml.safe_load((DEPLOY / config_mount.split(":")[0]).read_text())
    targets = {t for job in scraped["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
    assert f"emulator:{_option(command, '--port')}" in targets
    # hfwarden reads the try-out's schedules, which learn that endpoint from that Prometheus.
    schedules = Path(env["HFWARDEN_CONFIG"])
    for volume in hfwarden["volumes"]:
        outside, inside = volume.split(":")[:2]
        if Path(inside).parent == schedules:
            shutil.copy(DEPLOY / outside, tmp_path / Path(inside).name)
    config = load_config([tmp_path], need_secrets=False)
    plan = next(p for p in config.learn if p.endpoint == endpoint)
    assert plan.prometheus == "http://prometheus:9090"  # the service, on Prometheus's own port
    assert "hf_endpoint_requests_total" in (plan.query or "")
    assert {e.key for e in config.endpoints} <= seeded


def test_the_emulator_replay_is_scraped_into_demand(emulator: Emulator, api: HfApi, tmp_path: Path) -> None:
    """The try-out's pipe without docker: the emulator replays traffic into its counters, a real
    Prometheus scrapes them, and the try-out's own query reads them back as requests per minute."""
    server, _ = prom.require_binaries()
    create(api, "support-bot")
    trace = tmp_path / "trace.csv"
    trace.write_text("minute_start,requests\n" + "".join(f"2026-01-05T09:{m:02d}:00+00:00,30\n" for m in range(60)))
    replay = replay_on(emulator.world, emulator.state.counters, "acme/support-bot", trace, speed=60).start()
    plan = next(p for p in load_config([DEPLOY / "tryout-learning.yaml"]).learn if p.endpoint == "acme/support-bot")
    query = query_for(plan.query or "", "acme/support-bot")
    scrape = emulator.base_url.removeprefix("http://")
    try:
        with prom.running_prometheus(server, tmp_path / "data", tmp_path, scrape=scrape) as url:
            source = PrometheusSource(url)

            def served() -> bool:
                now = datetime.now(UTC)
                try:
                    trace = source.demand(query, now - timedelta(minutes=5), now + timedelta(minutes=1))
                except PrometheusError:
                    return False  # no sample yet
                return any(n > 0 for n in trace.requests)

            wait_for(served, "the replayed requests in Prometheus", timeout=300)
            source.close()
    finally:
        replay.stop()
