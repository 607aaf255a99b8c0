"""Issue 12 against the emulator over real HTTP on one manual clock: drift alerts, holds, calendars."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi
from sqlalchemy import select

from hfwarden.adapters.hub import Hub, RetryPolicy
from hfwarden.adapters.store import Store
from hfwarden.adapters.store.tables import alert_marks
from hfwarden.app.reconcile import Reconciler
from hfwarden.clock import ManualClock
from hfwarden.config import load_config
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator
from tests.helpers import advance, create

pytestmark = pytest.mark.usefixtures("client_at_emulator")

# conftest's clock starts on Monday 2026-01-05 08:00 UTC.
PAUSE_AT_NINE = """
version: 1
timezone: UTC
drift_after: 15m
endpoints:
  - namespace: acme
    name: chat
    schedule:
      - {cron: "0 9 * * *", action: pause}
      - {cron: "0 20 * * *", action: resume, min_replicas: 1, max_replicas: 2}
"""


@pytest.fixture
def state_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state.db'}"


Factory = Callable[[str], Reconciler]


@pytest.fixture
def warden(tmp_path: Path, emulator: Emulator, clock: ManualClock, state_url: str) -> Iterator[Factory]:
    """A new reconciler (and store) per call: each call is one life of the daemon."""
    made: list[tuple[Reconciler, Store]] = []

    def factory(text: str) -> Reconciler:
        path = tmp_path / "s.yaml"
        path.write_text(textwrap.dedent(text))
        store = Store(state_url)
        hub = Hub(DEFAULT_TOKEN, retry=RetryPolicy(max_attempts=3, base_seconds=0.01), hub_url=emulator.base_url)
        reconciler = Reconciler(config=load_config([path]), hub=hub, store=store, clock=clock)
        made.append((reconciler, store))
        return reconciler

    yield factory
    for reconciler, store in made:
        reconciler.close()
        store.close()


def state_of(api: HfApi, name: str) -> str:
    return str(api.get_inference_endpoint(name, namespace="acme").status)


def raised(store: Store, kind: str) -> list[str]:
    """Alerts written to the outbox (once per dedupe key), of one kind."""
    with store.engine.connect() as conn:
        keys = conn.execute(select(alert_marks.c.dedupe_key)).scalars().all()
    return [k for k in keys if k.startswith(f"{kind}|")]


def test_a_human_resume_is_alerted_as_drift_once(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory
) -> None:
    create(api, "chat", min_replica=1, max_replica=2)
    advance(control, 3600)  # 09:00: the pause fires
    reconciler = warden(PAUSE_AT_NINE)
    assert reconciler.run_pass().acted == ["acme/chat"]
    advance(control, 60)
    api.resume_inference_endpoint("chat", namespace="acme")  # a human, at 09:01
    for _ in range(3):  # 09:06: still under drift_after
        advance(control, 100)
        report = reconciler.run_pass()
    assert state_of(api, "chat") == "running"
    assert raised(reconciler.store, "drift") == []
    for _ in range(10):  # until 09:56: past drift_after, passes every five minutes
        advance(control, 300)
        report = reconciler.run_pass()
        assert report.acted == []
    assert state_of(api, "chat") == "running"  # enforce is off: left as the human set it
    assert raised(reconciler.store, "drift") == ["drift|acme/chat||2026-01-05"]
    (alert,) = [a for a in report.alerts if a.kind == "drift"]
    assert "wants pause" in alert.message
    assert "is running since 2026-01-05 09:0" in alert.message
