"""`hfwarden backtest`: the platform model's arithmetic on tiny traces where every figure is known by hand."""

from __future__ import annotations

import gzip
import json
import re
import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from hfwarden.adapters.trace import Trace, TraceError, read_trace
from hfwarden.app.predict.backtest import Policy, Setup, run_backtest
from hfwarden.app.predict.report import render_report
from hfwarden.cli import main
from hfwarden.config import load_config
from hfwarden.core.platform.autoscaling import ReplicaModel
from hfwarden.core.rules import EndpointSchedule
from tests.support.purity import CORE, assert_imports_no_io, assert_never_reads_the_clock

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday, 00:00 UTC
PARIS_WINTER = timezone(timedelta(hours=1))
# 10 requests/minute per replica, 2-minute cold start, $6 an hour: a replica-minute is 10 cents.
SETUP = Setup("acme/chat", ReplicaModel(capacity_rpm=10, cold_start_minutes=2), price_per_hour=6.0, max_replicas=3)

PAUSE_AT_2_RESUME_AT_5 = """
  - {cron: "2 0 * * *", action: pause}
  - {cron: "5 0 * * *", action: resume, min_replicas: 2, max_replicas: 2}
"""
# In force at the start: the resume of 23:50 the day before (running, one replica ready).
ZERO_AT_1_WITH_2_MINUTE_TIMEOUT = """
  - {cron: "50 23 * * *", action: resume, min_replicas: 1, max_replicas: 2}
  - {cron: "1 0 * * *", action: scale_to_zero, scale_to_zero_timeout: 2}
"""


def schedule_of(tmp_path: Path, rules: str) -> EndpointSchedule:
    path = tmp_path / "s.yaml"
    body = textwrap.indent(textwrap.dedent(rules).strip(), "      ")
    path.write_text(f"version: 1\nendpoints:\n  - namespace: acme\n    name: chat\n    schedule:\n{body}\n")
    found = load_config([path]).endpoint("acme/chat")
    assert found is not None
    return found


# policy, rules, demand per minute -> replica-minutes, cold starts, delayed, rejected, late (HF's
# autoscaler: a replica added per minute past 80 % utilisation or 1.5 pending requests per replica,
# scale-down every 2 minutes to the most wanted over 5; 503 while waking from zero; requests queue
# FIFO, arrivals and service spread evenly over each minute, so a wait is known to the second)
CASES = [
    # Max replicas all the time (30 a minute). Minute 2's 40 requests: the n-th waits 0.5 n s (served
    # every 2 s, arriving every 1.5 s), the last 10 wait 15-20 s into minute 3: 40 delayed, none late.
    (Policy.ALWAYS_ON, None, [5, 25, 40, 0], 12, 0, 40, 0, 0),
    # Exactly what each minute needs, queue included, ready at once: 1 + 3 + 3 + 1. Minute 3 serves the
    # 10 left with one replica, one every 6 s: waits 15 s + 4.5 s each, 7 of them past 30 s.
    (Policy.ORACLE, None, [5, 25, 40, 0], 8, 0, 40, 0, 7),
    # One replica; minute 1 is at 100 % (> 80 %): one more, ready at 3; minute 2 has 30 pending for 2
    # replicas (> 1.5 each): a third, ready at 4. The scale-down check of minute 8 is the first whose
    # last 5 minutes all want 1: billed 1 + 2 + 3 + 5×3 + 4×1.
    (Policy.AUTOSCALE, None, [5, 25, 25, 25, 0, 0, 0, 0, 0, 0, 0, 0], 25, 0, 75, 0, 67),
    # Scaled to zero until minute 2 wakes it: its 20 requests get 503s (no X-Scale-Up-Timeout);
    # then HF's 1-hour idle timeout keeps it billed to the end of the trace: minutes 2..19.
    (Policy.SCALE_TO_ZERO, None, [0, 0, 20] + [0] * 17, 18, 1, 0, 20, 0),
    # Two replicas ready; paused 2-4 (30 rejected); the resume at 5 cold-starts both, ready at 7: the
    # 10 + 10 meanwhile get 503s.
    (Policy.SCHEDULE, PAUSE_AT_2_RESUME_AT_5, [10] * 10, 2 + 2 + 5 * 2, 1, 0, 50, 0),
    # One replica, scaled to zero at minute 1; a request at 3 wakes it (503 until ready at 5); 2
    # minutes idle after it: billed 3, 4, 5.
    (Policy.SCHEDULE, ZERO_AT_1_WITH_2_MINUTE_TIMEOUT, [0, 0, 0, 5, 0, 0, 0, 0, 0, 0], 1 + 3, 1, 0, 5, 0),
]


@pytest.mark.parametrize(
    ("policy", "rules", "demand", "replica_minutes", "cold_starts", "delayed", "rejected", "late"),
    CASES,
    ids=[f"{c[0].value}-{i}" for i, c in enumerate(CASES)],
)
def test_backtest_arithmetic(
    tmp_path: Path,
    policy: Policy,
    rules: str | None,
    demand: list[int],
    replica_minutes: int,
    cold_starts: int,
    delayed: int,
    rejected: int,
    late: int,
) -> None:
    schedule = schedule_of(tmp_path, rules) if rules else None
    trace = Trace(START, tuple(demand), frozenset({timedelta(0)}))
    result = run_backtest(trace, SETUP, schedule, policies=[policy]).policy(policy)
    assert result.replica_hours == pytest.approx(replica_minutes / 60)
    assert result.cost_usd == pytest.approx(replica_minutes * 0.1)
    assert (result.cold_starts, result.requests_delayed, result.requests_rejected) == (cold_starts, delayed, rejected)
    assert result.requests_late == late
    assert result.delayed_pct == pytest.approx(100 * delayed / sum(demand))
    assert result.failed_pct == pytest.approx(100 * (late + rejected) / sum(demand))


def write_trace(path: Path, rows: list[tuple[str, int]], *, gz: bool = False) -> Path:
    text = "minute_start,requests\n" + "".join(f"{at},{n}\n" for at, n in rows)
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def test_missing_minutes_are_zero_traffic_and_offsets_are_kept(tmp_path: Path) -> None:
    rows = [("2026-03-29T01:58:00+01:00", 3), ("2026-03-29T03:01:00+02:00", 4)]  # Paris, over the DST change
    trace = read_trace(write_trace(tmp_path / "t.csv.gz", rows, gz=True))
    assert trace.start == datetime(2026, 3, 29, 0, 58, tzinfo=UTC)
    assert trace.requests == (3, 0, 0, 4)
    assert trace.single_offset is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("minute,requests\n2026-03-02T00:00:00+00:00,1\n", "header"),
        ("minute_start,requests\n2026-03-02T00:00:00,1\n", "no UTC offset"),
        ("minute_start,requests\n2026-03-02T00:00:00+00:00,lots\n", "whole number"),
        ("minute_start,requests\n2026-03-02T00:01:00+00:00,1\n2026-03-02T00:00:00+00:00,1\n", "not after"),
        ("minute_start,requests\n", "no minutes"),
    ],
)
def test_a_bad_trace_is_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(TraceError, match=message):
        read_trace(path)


CONFIG = """
version: 1
pricing: {aws/us-east-1/nvidia-l4/x1: 6.0}
endpoints:
  - namespace: acme
    name: chat
    instance: aws/us-east-1/nvidia-l4/x1
    schedule:
      - {cron: "50 23 * * *", action: resume, min_replicas: 1, max_replicas: 3}
"""


def cli_files(tmp_path: Path) -> tuple[Path, Path]:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    rows = [((START + timedelta(minutes=m)).isoformat(), n) for m, n in enumerate([5, 25, 25, 25, 0, 0, 0, 0])]
    return config, write_trace(tmp_path / "trace.csv", rows)


def test_cli_json_lists_every_policy_in_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, trace = cli_files(tmp_path)
    base = ["backtest", "--trace", str(trace), "--config", str(config), "--endpoint", "acme/chat"]
    assert main([*base, "--capacity-rpm", "10", "--cold-start", "2m", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"endpoint", "from", "to", "minutes", "requests", "policies"}
    assert (document["minutes"], document["requests"], document["from"]) == (8, 80, "2026-03-02T00:00:00+00:00")
    assert [p["name"] for p in document["policies"]] == [p.value for p in Policy]
    keys = {"name", "cost_usd", "replica_hours", "cold_starts", "requests_delayed", "requests_rejected", "delayed_pct"}
    keys |= {"requests_late", "wait_p50_s", "wait_p99_s", "rejected_pct", "failed_pct"}
    assert all(set(p) == keys for p in document["policies"])
    schedule = document["policies"][3]  # like autoscale here: 1 + 2 + 3 + 5×3 replica-minutes at 10 cents
    figures = (schedule["cost_usd"], schedule["requests_delayed"], schedule["requests_late"])
    assert figures == (pytest.approx(2.1), 75, 67)
    assert schedule["failed_pct"] == pytest.approx(100 * 67 / 80)


def test_cli_table_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, trace = cli_files(tmp_path)
    report = tmp_path / "r.html"
    args = ["backtest", "--trace", str(trace), "--config", str(config), "--endpoint", "acme/chat"]
    assert main([*args, "--capacity-rpm", "10", "--report", str(report)]) == 0
    assert "scale_to_zero" in capsys.readouterr().out
    page = report.read_text()
    assert page.count("<svg") == len(Policy) + 1  # a chart per policy, and cost against failed
    assert "http" not in page  # self-contained: nothing to fetch


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--endpoint", "acme/other"], "not declared"),
        (["--endpoint", "acme/chat", "--instance", "aws/mars-1/nvidia-l4/x1"], "no price"),
        (["--endpoint", "acme/chat", "--trace", "missing.csv"], "cannot read"),
    ],
)
def test_cli_input_problems_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    config, trace = cli_files(tmp_path)
    assert main(["backtest", "--trace", str(trace), "--config", str(config), "--capacity-rpm", "10", *extra]) == 2
    assert message in capsys.readouterr().err


def test_report_charts_a_typical_week() -> None:
    demand = tuple(([0] * 600 + [20] * 840) * 7 * 3)  # three weeks of days from 10:00 to 24:00
    trace = Trace(START, demand, frozenset({timedelta(0)}))
    result = run_backtest(trace, SETUP, None, policies=[Policy.AUTOSCALE, Policy.ORACLE], keep_series=True)
    page = render_report(result)
    assert page.count("<svg") == 3  # two policies, and cost against failed
    assert "Mon 09 Mar" in page  # the middle week of three


def test_cli_from_to_cut_the_trace_in_its_own_offset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    paris = [((START + timedelta(minutes=m)).astimezone(PARIS_WINTER).isoformat(), 1) for m in range(3 * 1440)]
    trace = write_trace(tmp_path / "three-days.csv", paris)
    args = ["backtest", "--trace", str(trace), "--config", str(config), "--endpoint", "acme/chat"]
    assert main([*args, "--capacity-rpm", "10", "--json", "--from", "2026-03-03", "--to", "2026-03-03"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["from"], document["to"]) == ("2026-03-03T00:00:00+01:00", "2026-03-04T00:00:00+01:00")
    assert document["minutes"] == document["requests"] == 1440


@pytest.mark.parametrize("path", sorted((CORE / "platform").glob("*.py")), ids=lambda p: p.name)
def test_the_platform_model_is_pure_core(path: Path) -> None:
    assert_imports_no_io(path)
    assert_never_reads_the_clock(path)


def test_every_summary_line_of_the_report_shows_rejected_requests() -> None:
    """The per-policy headline said only "% delayed": requests sent to a paused endpoint went unseen."""
    demand = tuple(([0] * 600 + [20] * 840) * 7 * 3)
    trace = Trace(START, demand, frozenset({timedelta(0)}))
    result = run_backtest(trace, SETUP, None, policies=[Policy.AUTOSCALE, Policy.ORACLE], keep_series=True)
    policies = re.findall(r"<h2>(autoscale|oracle)</h2><p>([^<]*)</p>", render_report(result))
    assert [name for name, _ in policies] == ["autoscale", "oracle"]
    assert all(re.search(r"\b\d[\d,]* rejected\b", line) for _, line in policies)
