"""Start-up learning, `prewarm: auto`, `not_ready` and `thrash` against the emulator on a manual clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from huggingface_hub import HfApi
from sqlalchemy import select

from hfwarden.adapters.store import Store
from hfwarden.adapters.store.tables import alert_marks
from hfwarden.app.views.status import status_document
from hfwarden.clock import ManualClock
from hfwarden.core.alerts import AlertKind
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator
from hfwarden.emulator.world import Timings
from tests.conftest import Factory
from tests.support.helpers import create
from tests.support.passes import live

pytestmark = pytest.mark.usefixtures("client_at_emulator")

MONDAY = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
# The emulator's `--init-seconds`: ten minutes initialising after ten seconds pending.
SLOW_START = Timings(pending_seconds=10, init_seconds=600, update_seconds=30, replica_capacity_rpm=60)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY)


@pytest.fixture
def state_url(tmp_path: object) -> str:
    return f"sqlite:///{tmp_path}/state.db"


@pytest.fixture
def emulator(clock: ManualClock) -> Iterator[Emulator]:
    with Emulator(clock=clock, timings=SLOW_START, tokens={DEFAULT_TOKEN: frozenset({"*"})}) as emu:
        yield emu


READY_BY_NINE = """
version: 1
timezone: UTC
endpoints:
  - namespace: acme
    name: chat
    schedule:
      - window: "daily 09:00-10:00"
        prewarm: auto
        ready_alert: true
        during: {action: resume}
        outside: {action: pause}
"""


def resumes(control: httpx.Client) -> list[str]:
    """When the emulator was asked to resume (`MM-DD HH:MM:SS`), a call retried on a slow machine once."""
    rows = control.get("/_emulator/requests").json()["requests"]
    return sorted({r["time"][5:19] for r in rows if r["method"] == "POST" and r["path"].endswith("/resume")})


def test_start_ups_are_learnt_and_prewarm_auto_has_the_endpoint_running_by_the_window(
    api: HfApi,
    control: httpx.Client,
    clock: ManualClock,
    warden: Factory,
) -> None:
    create(api, "chat", min_replica=1, max_replica=1)
    clock.advance(700)
    api.pause_inference_endpoint("chat", namespace="acme")
    reconciler = warden(READY_BY_NINE)
    for day in range(4):
        clock.set(MONDAY + timedelta(days=day, hours=8, minutes=30))
        report = live(reconciler, clock, MONDAY + timedelta(days=day, hours=9, minutes=30), tick=60)
        row = next(e for e in status_document(report)["endpoints"] if e["endpoint"] == "acme/chat")
        assert row["startup_p50_s"] == pytest.approx(610.0), day  # 10 s pending + 600 s initialising
        assert row["startup_p90_s"] == pytest.approx(610.0), day
    # Days 1-3: fewer than 3 start-ups, so prewarm_default (10m), 10 s short of a 610 s start-up.
    # Day 4: p90 610 s + 1m, rounded up to 12m: resumed at 08:48, running at 08:58:10.
    assert resumes(control) == ["01-05T08:50:00", "01-06T08:50:00", "01-07T08:50:00", "01-08T08:48:00"]
    assert raised(reconciler.store, AlertKind.NOT_READY) == [
        "not_ready|acme/chat:rule 1||2026-01-05",
        "not_ready|acme/chat:rule 1||2026-01-06",
        "not_ready|acme/chat:rule 1||2026-01-07",
    ]


def raised(store: Store, kind: AlertKind) -> list[str]:
    """The dedupe keys of the alerts of `kind` ever raised (written to the outbox), in order."""
    with store.engine.connect() as conn:
        keys = conn.execute(select(alert_marks.c.dedupe_key).order_by(alert_marks.c.created_at)).scalars().all()
    return [k for k in keys if k.startswith(f"{kind.value}|")]


BURSTY = """
version: 1
timezone: UTC
endpoints:
  - {namespace: acme, name: bursty}
"""


def test_wakes_from_zero_are_counted_priced_and_thrash_is_alerted(
    api: HfApi,
    control: httpx.Client,
    clock: ManualClock,
    warden: Factory,
) -> None:
    clock.set(MONDAY + timedelta(hours=9))
    create(api, "bursty", min_replica=0, max_replica=1, scale_to_zero_timeout=1)  # nvidia-l4: $0.8/h
    reconciler = warden(BURSTY)
    live(reconciler, clock, MONDAY + timedelta(hours=10), tick=60)  # up, then idle back to zero
    for wake in range(3):
        assert control.get("/dp/acme/bursty/generate").status_code == 503  # a cold start
        report = live(reconciler, clock, MONDAY + timedelta(hours=10, minutes=15 * (wake + 1)), tick=60)
    row = next(e for e in status_document(report)["endpoints"] if e["endpoint"] == "acme/bursty")
    assert row["wakes_today"] == 3
    assert row["cold_start_usd"] == pytest.approx(3 * 0.8 * 600 / 3600)  # 600 s initialising each
    assert report.startups["acme/bursty"].cold_start_seconds == pytest.approx(1800.0)
    assert row["startup_p50_s"] == pytest.approx(600.0)
    assert raised(reconciler.store, AlertKind.THRASH) == ["thrash|acme/bursty|3|2026-01-05"]
    message = next(a.message for a in reconciler.assess().alerts if a.kind == AlertKind.THRASH)
    assert "woke from zero 3 times in the last hour" in message
    assert "min_replicas: 1 during 10:00-11:00" in message


def test_a_start_up_under_way_survives_a_restart(
    api: HfApi,
    control: httpx.Client,
    clock: ManualClock,
    warden: Factory,
) -> None:
    create(api, "chat", min_replica=1, max_replica=1)
    clock.advance(700)
    api.pause_inference_endpoint("chat", namespace="acme")
    clock.set(MONDAY + timedelta(hours=8, minutes=50))
    first = warden(READY_BY_NINE)
    assert first.run_pass().observations["acme/chat"].state == "pending"  # resumed at 08:50 by this pass
    first.close()
    clock.advance(300)
    restarted = warden(READY_BY_NINE)  # a new process on the same state
    report = live(restarted, clock, MONDAY + timedelta(hours=9, minutes=5), tick=60)
    row = next(e for e in status_document(report)["endpoints"] if e["endpoint"] == "acme/chat")
    assert row["startup_p50_s"] == pytest.approx(610.0)
