"""Ledger, projection and guards against the emulator's ground truth, on one manual clock."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi

from hfwarden.adapters.store import Store
from hfwarden.clock import ManualClock
from hfwarden.config import load_config
from tests.conftest import Factory
from tests.support.helpers import create
from tests.support.passes import GUARDED, live, states
from tests.support.postgres import fresh_database

MIDNIGHT = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)  # a Monday


pytestmark = pytest.mark.usefixtures("client_at_emulator")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MIDNIGHT)


@pytest.fixture
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite by default; `postgresql` (indirect parameter) gives a fresh database on a real server."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return fresh_database(request.getfixturevalue("postgres_url"))


def ground_truth(control: httpx.Client) -> dict[str, float]:
    rows = control.get("/_emulator/billing").json()["endpoints"]
    return {f"{r['namespace']}/{r['name']}": r["usd"] for r in rows}


BUSY_DAY = """
version: 1
timezone: UTC
endpoints:
  - namespace: acme
    name: flappy
    schedule:
      - {cron: "0-59/10 * * * *", action: resume}
      - {cron: "5-59/10 * * * *", action: pause}
  - namespace: acme
    name: scaler
    schedule:
      - {cron: "0-59/15 * * * *", action: scale, min_replicas: 2, max_replicas: 2}
      - {cron: "7-59/15 * * * *", action: scale, min_replicas: 1, max_replicas: 2}
budgets:
  - {name: all, daily_usd: 100000, timezone: UTC}
"""


def test_ledger_matches_ground_truth_over_an_emulated_day(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory
) -> None:
    create(api, "flappy", min_replica=1, max_replica=1)
    create(api, "scaler", min_replica=1, max_replica=2, instance_type="nvidia-t4")
    create(api, "steady", min_replica=1, max_replica=1, instance_type="nvidia-a10g")  # nobody declared it
    reconciler = warden(BUSY_DAY)
    end = MIDNIGHT + timedelta(days=1)
    live(reconciler, clock, end)
    truth = ground_truth(control)
    for endpoint, usd in truth.items():
        assert reconciler.ledger.spent(endpoint, MIDNIGHT, end) == pytest.approx(usd, rel=0.005), endpoint
    total = sum(reconciler.ledger.spent(e, MIDNIGHT, end) for e in truth)
    assert total == pytest.approx(sum(truth.values()), rel=0.005)
    assert sum(truth.values()) > 30  # a real day's bill, not a rounding error


def test_a_breach_pauses_the_right_endpoints_within_one_pass_and_the_bill_stops(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory, state_url: str
) -> None:
    # Created at 07:00 in New York (what ran before hfwarden's first look is counted since creation):
    # 17 hours left at $3.8/h is $64.6 > $40. Stopping big-burner ($42.5) is enough.
    clock.set(datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
    create(api, "cheap-important", instance_type="nvidia-l4")  # $0.8/h
    create(api, "big-burner", instance_type="nvidia-a100")  # $2.5/h
    create(api, "untouchable", instance_type="nvidia-t4")  # $0.5/h
    clock.advance(70)
    reconciler = warden(GUARDED)
    report = reconciler.run_pass()
    assert report.stopped == ["acme/big-burner"]
    assert states(api) == {"cheap-important": "running", "big-burner": "paused", "untouchable": "running"}
    before = ground_truth(control)["acme/big-burner"]
    clock.advance(3600)
    reconciler.run_pass()
    assert ground_truth(control)["acme/big-burner"] == pytest.approx(before)
    (status,) = reconciler.run_pass().budgets
    assert status.projected_usd <= 40
    store = Store(state_url)
    outbox = [json.loads(item.payload) for item in store.due_alerts(clock.now())]
    store.close()
    assert outbox == []  # no sinks configured: alerts are logged and marked, nothing is queued


@pytest.mark.parametrize("state_url", ["sqlite", "postgresql"], indirect=True)
def test_latch_survives_a_restart_undoes_a_human_resume_and_lifts_at_the_next_budget_day(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory, state_url: str
) -> None:
    clock.set(datetime(2026, 1, 5, 12, 0, tzinfo=UTC))  # created then: no earlier spend to count
    create(api, "cheap-important", instance_type="nvidia-l4")
    create(api, "big-burner", instance_type="nvidia-a100")
    create(api, "untouchable", instance_type="nvidia-t4")
    clock.advance(70)
    warden(GUARDED).run_pass()
    assert states(api)["big-burner"] == "paused"

    restarted = warden(GUARDED)  # a new process: only the store carries the latch
    api.resume_inference_endpoint("big-burner", namespace="acme")  # a human wants it back
    clock.advance(120)
    report = restarted.run_pass()
    assert "acme/big-burner" in report.acted
    assert "acme/big-burner" in report.latched
    assert states(api)["big-burner"] == "paused"
    assert any(a.kind.value == "latch_overridden" for a in report.alerts)

    # Midnight in New York is 05:00 UTC: the latch lifts; the endpoint stays paused (no resume is due).
    clock.set(datetime(2026, 1, 6, 4, 59, tzinfo=UTC))
    assert "acme/big-burner" in restarted.run_pass().latched
    clock.set(datetime(2026, 1, 6, 5, 0, 30, tzinfo=UTC))
    report = restarted.run_pass()
    assert "acme/big-burner" not in report.latched
    assert any(a.kind.value == "latch_lifted" for a in report.alerts)
    store = Store(state_url)
    actions = [(e.endpoint, e.action, e.result) for e in store.audit_entries(endpoint="acme/big-burner")]
    store.close()
    assert actions[0] == ("acme/big-burner", "pause", "latched")
    assert actions[-1][1:] == ("release", "ok")


def test_spent_reaching_the_budget_stops_every_unprotected_endpoint(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory
) -> None:
    create(api, "cheap-important", instance_type="nvidia-l4")
    create(api, "big-burner", instance_type="nvidia-a100")
    create(api, "untouchable", instance_type="nvidia-t4")
    reconciler = warden(GUARDED.replace("daily_usd: 40", "daily_usd: 400"))
    clock.set(datetime(2026, 1, 5, 6, 0, tzinfo=UTC))
    live(reconciler, clock, datetime(2026, 1, 5, 7, 0, tzinfo=UTC), tick=60)
    # Now tighten the budget below what is already spent ($3.8 an hour since 05:00 New York midnight... 1 h).
    reconciler.set_config(load_config_text(GUARDED.replace("daily_usd: 40", "daily_usd: 2"), clock))
    report = reconciler.run_pass()
    assert sorted(report.stopped) == ["acme/big-burner", "acme/cheap-important"]
    assert states(api)["untouchable"] == "running"


def load_config_text(text: str, _clock: ManualClock) -> object:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.yaml"
        path.write_text(textwrap.dedent(text))
        return load_config([path])
