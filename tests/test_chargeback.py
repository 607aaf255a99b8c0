"""Chargeback (`report`): core arithmetic, an emulated stretch of a month against the ledger and the
emulator's bill, and the command line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from huggingface_hub import HfApi
from prometheus_client import generate_latest

from hfwarden.adapters.store import Store
from hfwarden.app.views.chargeback import month_report, stored_segments
from hfwarden.app.views.overview import build_overview
from hfwarden.app.views.status import status_document
from hfwarden.cli import main
from hfwarden.clock import ManualClock
from hfwarden.core.chargeback import CENT, EndpointCharge, Owner, allot, chargeback
from hfwarden.core.cost import spend_between
from hfwarden.metrics import Metrics, PassCollector
from hfwarden.web.page import render_overview
from tests.conftest import Factory
from tests.support.helpers import create
from tests.support.passes import live

NOVEMBER = datetime(2026, 11, 1, tzinfo=UTC)


def ground_truth(control: httpx.Client) -> dict[str, float]:
    """The emulator's bill per endpoint."""
    rows = control.get("/_emulator/billing").json()["endpoints"]
    return {f"{r['namespace']}/{r['name']}": r["usd"] for r in rows}


UTC_ZONE = ZoneInfo("UTC")


@pytest.mark.parametrize(
    "values",
    [
        ["0.333", "0.333", "0.334"],
        ["1.005", "2.005", "3.005"],
        ["10.999", "0.004", "0.004", "0.004"],
        [],
    ],
    ids=["thirds", "half-cents", "small-remainders", "empty"],
)
def test_rows_are_rounded_to_the_cent_and_add_up_to_the_rounded_total(values: list[str]) -> None:
    decimals = [Decimal(v) for v in values]
    rounded = allot(decimals)
    assert sum(rounded, Decimal(0)) == sum(decimals, Decimal(0)).quantize(CENT)
    assert all(abs(r - d) < CENT for r, d in zip(rounded, decimals, strict=True))


def charged(endpoint: str, cost: str, team: str | None = None, **labels: str) -> EndpointCharge:
    return EndpointCharge(
        endpoint, Owner(team, labels), Decimal(1), Decimal(cost), Decimal(cost) * 2, estimated=False, gaps=False
    )


def test_grouping_by_team_label_and_namespace() -> None:
    charges = [
        charged("acme/a", "1.111", "search", env="prod"),
        charged("acme/b", "2.222", "search"),
        charged("beta/c", "3.333", None, env="dev"),
    ]
    by_team = chargeback(charges, by="team", month=date(2026, 11, 1))
    # Equal costs (3.333 each) sort by name; 6.666 is 6.67 to the cent, the spare cent to the first row.
    assert [(r.group, r.cost_usd) for r in by_team.rows] == [
        ("(no team)", Decimal("3.34")),
        ("search", Decimal("3.33")),
    ]
    assert by_team.total.cost_usd == Decimal("6.67")
    assert sum((r.cost_usd for r in by_team.rows), Decimal(0)) == by_team.total.cost_usd
    by_env = chargeback(charges, by="label:env", month=date(2026, 11, 1))
    assert [r.group for r in by_env.rows] == ["dev", "(no env)", "prod"]
    by_namespace = chargeback(charges, by="namespace", month=date(2026, 11, 1))
    assert {r.group: r.endpoints for r in by_namespace.rows} == {"acme": ("acme/a", "acme/b"), "beta": ("beta/c",)}
    assert by_namespace.total.saved_usd == by_namespace.total.always_on_usd - by_namespace.total.cost_usd


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOVEMBER)


TEAMS = """
version: 1
timezone: UTC
endpoints:
  - namespace: acme
    name: chat
    team: search
    labels: {env: prod, cost-center: "4711"}
    schedule:
      - {window: "mon-fri 08:00-18:00", during: {action: resume}, outside: {action: pause}}
  - namespace: acme
    name: embed
    team: search
    labels: {env: prod}
    schedule:
      - {cron: "0 */6 * * *", action: scale, min_replicas: 2, max_replicas: 2}
      - {cron: "0 3-23/6 * * *", action: scale, min_replicas: 1, max_replicas: 2}
  - match: {namespace: acme, name: "dev-*"}
    team: research
    labels: {env: dev}
    schedule:
      - {cron: "0 20 * * *", action: pause}
      - {cron: "0 9 * * *", action: resume}
"""


def test_report_totals_equal_the_ledger_and_the_emulators_bill(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory, state_url: str, tmp_path: Path
) -> None:
    create(api, "chat", min_replica=1, max_replica=1, instance_type="nvidia-l4")
    create(api, "embed", min_replica=1, max_replica=2, instance_type="nvidia-t4")
    create(api, "dev-notebook", min_replica=1, max_replica=1, instance_type="nvidia-a10g")
    create(api, "stray", min_replica=1, max_replica=1, instance_type="nvidia-t4")  # nobody's: no team
    clock.set(NOVEMBER + timedelta(hours=3))  # hfwarden's first look: three hours already billed, estimated
    reconciler = warden(TEAMS)
    last = live(reconciler, clock, NOVEMBER + timedelta(days=10), tick=1800)
    page_text = render_overview(build_overview(last, reconciler.config, reconciler.store, now=clock.now()))
    metrics = Metrics()
    metrics.registry.register(PassCollector(lambda: last, lambda: None, lambda: 0, lambda: last.started_at))
    metrics_text = generate_latest(metrics.registry).decode()

    store = Store(state_url)
    try:
        report = month_report(store, reconciler.config, month=date(2026, 11, 1), zone=UTC_ZONE, by="team")
        segments = stored_segments(store, date(2026, 11, 1), UTC_ZONE)
    finally:
        store.close()
    ledger = sum(spend_between(own, NOVEMBER, NOVEMBER + timedelta(days=30)) for own in segments.values())
    assert report.total.cost_usd == Decimal(repr(ledger)).quantize(CENT)
    assert sum((r.cost_usd for r in report.rows), Decimal(0)) == report.total.cost_usd
    bill = sum(ground_truth(control).values())
    assert float(report.total.cost_usd) == pytest.approx(bill, rel=0.005)
    rows = {r.group: r for r in report.rows}
    assert set(rows) == {"search", "research", "(no team)"}
    assert rows["search"].endpoints == ("acme/chat", "acme/embed")
    assert rows["(no team)"].endpoints == ("acme/stray",)
    assert rows["(no team)"].saved_usd == Decimal("0.00") or abs(rows["(no team)"].saved_usd) < Decimal("0.05")
    assert rows["research"].saved_usd > 0  # paused 13 hours a day
    assert all(r.estimated for r in report.rows)  # each billed before hfwarden's first look
    assert rows["search"].replica_hours > rows["research"].replica_hours
    # The pass's month to date per team is the report's, on the page, in status and in metrics.
    teams = {t["team"]: t["month_spent_usd"] for t in status_document(last)["teams"]}
    assert teams == {
        "research": pytest.approx(float(rows["research"].cost_usd), abs=0.01),
        "search": pytest.approx(float(rows["search"].cost_usd), abs=0.01),
    }
    assert '<tr data-team="search">' in page_text
    assert 'hfwarden_team_month_spend_usd{team="research"}' in metrics_text
    assert 'hfwarden_endpoint_team_info{endpoint="acme/dev-notebook",team="research"} 1.0' in metrics_text


def test_report_on_the_command_line_as_csv_and_json(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fresh_state: Callable[[Path], str],
) -> None:
    from hfwarden.core.cost import OpenSegment, Segment

    url = fresh_state(tmp_path / "state.db")
    store = Store(url)
    start = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)
    store.save_ledger(
        [Segment("acme/chat", start, start + timedelta(hours=1), 2, 0.8)],
        [OpenSegment("acme/chat", start + timedelta(hours=1), start + timedelta(hours=3), "running", 1, 0.8)],
    )
    store.close()
    config = tmp_path / "s.yaml"
    config.write_text("version: 1\nendpoints:\n  - {namespace: acme, name: chat, labels: {env: prod}}\n")
    monkeypatch.setenv("HFWARDEN_STATE_URL", url)
    assert main(["report", "--month", "2026-11", "--by", "label:env", "--csv", "--config", str(config)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    # November ends at midnight UTC: 1 h at 2 replicas and 1 h at 1, at $0.80 (December's hour is not in it).
    assert [(r["group"], r["replica_hours"], r["cost_usd"]) for r in rows] == [
        ("prod", "3.00", "2.40"),
        ("total", "3.00", "2.40"),
    ]
    assert main(["report", "--month", "2026-12", "--json", "--by", "endpoint", "--config", str(config)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["total"]["cost_usd"] == 0.8
    assert document["rows"][0]["always_on_usd"] == 0.8


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "--month", "2026-13"], "is not a month such as 2026-11"),
        (["report", "--month", "2026-11", "--by", "colour"], "--by takes team, endpoint, namespace or label:KEY"),
        (["report", "--month", "2026-11", "--csv", "--json"], "not allowed with argument"),
        (["report", "--month", "2026-11", "--timezone", "Mars/Base"], "unknown time zone"),
    ],
    ids=["bad-month", "bad-by", "two-formats", "bad-zone"],
)
def test_report_usage_errors_are_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
