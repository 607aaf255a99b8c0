"""Spend anomalies against the emulator on one manual clock: two weeks of learning, the weekly peak
passing quietly, and a doubled rate under budget raising one `spend_anomaly`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from huggingface_hub import HfApi
from prometheus_client import generate_latest

from hfwarden.adapters.store import Store
from hfwarden.app.views.overview import build_overview
from hfwarden.app.views.status import status_document
from hfwarden.clock import ManualClock
from hfwarden.metrics import Metrics, PassCollector
from hfwarden.web.page import render_overview
from tests.conftest import Factory
from tests.support.helpers import create
from tests.support.passes import live

pytestmark = pytest.mark.usefixtures("client_at_emulator")

MONDAY = datetime(2026, 11, 2, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY)


# Two L4s ($0.80/h each): $1.60/h, except Mondays 09:00-12:00 when steady runs three ($3.20/h, a
# weekly peak twice the usual rate). The daily budget is far away.
WEEKLY = """
version: 1
timezone: UTC
endpoints:
  - namespace: acme
    name: steady
    schedule:
      - {cron: "0 9 * * 1", action: scale, min_replicas: 3, max_replicas: 3}
      - {cron: "0 12 * * 1", action: scale, min_replicas: 1, max_replicas: 1}
budgets:
  - name: team
    daily_usd: 1000
    timezone: UTC
    scope: {namespace: acme}
    anomaly: {factor: 2, for: 30m}
"""


def anomalies(state_url: str) -> list[str]:
    store = Store(state_url)
    try:
        return [key for _, key in store.raised_alerts(500) if key.startswith("spend_anomaly|")]
    finally:
        store.close()


def test_a_doubled_rate_under_budget_fires_once_and_the_weekly_peak_does_not(
    api: HfApi, clock: ManualClock, warden: Factory, state_url: str
) -> None:
    create(api, "steady", min_replica=1, max_replica=3, instance_type="nvidia-l4")
    create(api, "quiet", min_replica=1, max_replica=3, instance_type="nvidia-l4")
    reconciler = warden(WEEKLY)
    report = live(reconciler, clock, MONDAY + timedelta(days=10), tick=3600)
    (budget,) = status_document(report)["budgets"]
    assert budget["anomaly"]["state"] == "learning"
    assert budget["anomaly"]["starts_at"] == (MONDAY + timedelta(days=14)).isoformat()

    # The third Monday's peak: as usual for Monday morning, so no anomaly.
    report = live(reconciler, clock, MONDAY + timedelta(weeks=2, hours=11, minutes=30), tick=3600)
    (budget,) = status_document(report)["budgets"]
    assert budget["anomaly"]["state"] == "watching"
    assert budget["anomaly"]["rate_usd_per_hour"] == pytest.approx(3.2)
    assert anomalies(state_url) == []

    # Tuesday 14:00: someone runs quiet at three replicas. $3.20/h where $1.60/h is usual.
    live(reconciler, clock, MONDAY + timedelta(weeks=2, days=1, hours=14), tick=3600)
    api.update_inference_endpoint("quiet", namespace="acme", min_replica=3, max_replica=3)
    report = live(reconciler, clock, MONDAY + timedelta(weeks=2, days=1, hours=14, minutes=20), tick=300)
    assert anomalies(state_url) == []  # not for 30 minutes yet
    report = live(reconciler, clock, MONDAY + timedelta(weeks=2, days=1, hours=17), tick=300)
    (budget,) = status_document(report)["budgets"]
    assert budget["anomaly"]["state"] == "anomalous"
    assert [e["endpoint"] for e in budget["anomaly"]["endpoints"]] == ["acme/quiet"]
    assert budget["spent_usd"] < 1000
    (raised,) = anomalies(state_url)  # one episode, one alert, however many passes saw it
    assert raised.startswith("spend_anomaly|team:2026-11-17T14:")
    (alert,) = [a for a in report.alerts if a.kind.value == "spend_anomaly"]
    assert "driven by acme/quiet" in alert.message
    page = render_overview(build_overview(report, reconciler.config, reconciler.store, now=clock.now()))
    assert 'data-anomaly="anomalous"' in page
    metrics = Metrics()
    metrics.registry.register(PassCollector(lambda: report, lambda: None, lambda: 0, lambda: report.started_at))
    text = generate_latest(metrics.registry).decode()
    assert 'hfwarden_budget_spend_anomaly{budget="team"} 1.0' in text
    assert 'hfwarden_budget_spend_baseline_usd_per_hour{budget="team"} 1.6' in text
