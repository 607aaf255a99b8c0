"""What people see of start-ups: `plan` with its leads, and the metrics."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import generate_latest

from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.report import PassReport
from hfwarden.app.reconcile.startup_figures import StartupFigures
from hfwarden.core.startups import StartupSample
from hfwarden.metrics import Metrics, PassCollector
from hfwarden.settings import Settings
from tests.support.process import hfwarden

L4 = "aws/us-east-1/nvidia-l4/x1"
AUTO = """
version: 1
timezone: UTC
endpoints:
  - namespace: acme
    name: {name}
    schedule:
      - {{window: "daily 09:00-18:00", prewarm: auto, during: {{action: resume}}, outside: {{action: pause}}}}
"""


def learnt(endpoint: str, seconds: float, count: int, instance: str = L4) -> list[StartupSample]:
    ready = datetime(2026, 1, 1, 9, tzinfo=UTC)
    return [
        StartupSample(endpoint, instance, ready - timedelta(days=n, seconds=seconds), ready - timedelta(days=n))
        for n in range(count)
    ]


def test_plan_shows_the_resume_time_and_where_the_lead_came_from(tmp_path: Path) -> None:
    schedule = tmp_path / "s.yaml"
    newcomer = (
        AUTO.format(name="newcomer").split("endpoints:\n")[1].replace("schedule:", f"instance: {L4}\n    schedule:")
    )
    schedule.write_text(AUTO.format(name="chat") + AUTO.format(name="fresh").split("endpoints:\n")[1] + newcomer)
    state = tmp_path / "state"
    store = Store(Settings(state_dir=state).database_url)
    store.save_startups(
        [], learnt("acme/chat", 630, 25) + learnt("acme/fresh", 100, 2, "aws/us-east-1/nvidia-t4/x1"), []
    )
    store.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HFWARDEN_"))}
    env["HFWARDEN_STATE_DIR"] = str(state)
    text = hfwarden("plan", "--config", str(schedule), "--date", "2026-01-05", env=env)
    assert text.returncode == 0, text.stderr
    # 630 s: 10.5 minutes, rounded up to 11, + 1.
    assert "ready by 09:00: resume at 08:48 (lead 12m: p90 of 20 start-ups + 1m)" in text.stdout
    assert "ready by 09:00: resume at 08:50 (lead 10m: prewarm_default, 2 measurements)" in text.stdout
    # A new endpoint on known hardware borrows its start-ups.
    assert f"ready by 09:00: resume at 08:48 (lead 12m: p90 of 20 start-ups on {L4} + 1m)" in text.stdout
    result = hfwarden("plan", "--config", str(schedule), "--date", "2026-01-05", "--json", env=env)
    opening, closing = [t for t in json.loads(result.stdout)["transitions"] if t["endpoint"] == "acme/chat"]
    assert (opening["at"], opening["ready_by"], opening["lead_minutes"]) == (
        "2026-01-05T08:48:00+00:00",
        "2026-01-05T09:00:00+00:00",
        12,
    )
    assert opening["lead_source"] == "p90 of 20 start-ups + 1m"
    assert closing["lead_minutes"] is None


def test_metrics_start_up_histogram_wakes_and_cold_start_cost() -> None:
    metrics = Metrics()
    report = PassReport(
        started_at=datetime(2026, 1, 5, tzinfo=UTC),
        startup_samples=learnt("acme/chat", 95, 2),
        startups={"acme/chat": StartupFigures("acme/chat", 95.0, 95.0, 2, 4, 0.25)},
    )
    metrics.observe_startups(report)
    metrics.registry.register(PassCollector(lambda: report, lambda: None, lambda: 0, lambda: report.started_at))
    text = generate_latest(metrics.registry).decode()
    assert 'hfwarden_endpoint_startup_seconds_bucket{endpoint="acme/chat",le="120.0"} 2.0' in text
    assert 'hfwarden_endpoint_startup_seconds_count{endpoint="acme/chat"} 2.0' in text
    assert 'hfwarden_endpoint_wakes_today{endpoint="acme/chat"} 4.0' in text
    assert 'hfwarden_endpoint_cold_start_today_usd{endpoint="acme/chat"} 0.25' in text
