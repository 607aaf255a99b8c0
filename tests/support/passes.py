"""Passes run as the daemon runs them, against the emulator on a manual clock; the guarded fleet."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from huggingface_hub import HfApi

from hfwarden.adapters.hub import Hub, RetryPolicy
from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.reconciler import Reconciler
from hfwarden.app.reconcile.report import PassReport
from hfwarden.clock import ManualClock
from hfwarden.config import Config
from hfwarden.core.endpoints import EndpointState
from hfwarden.core.rules import next_transition
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator
from hfwarden.settings import Settings

MOVING = {EndpointState.PENDING, EndpointState.INITIALIZING, EndpointState.UPDATING}


def hub_at(emulator: Emulator, *, attempts: int = 3, token: str = DEFAULT_TOKEN) -> Hub:
    """hfwarden's Hub adapter at the emulator, retrying quickly."""
    return Hub(token, retry=RetryPolicy(max_attempts=attempts, base_seconds=0.01), hub_url=emulator.base_url)


@contextmanager
def daemon_life(
    settings: Settings, config: Config, emulator: Emulator, clock: ManualClock, *, attempts: int = 3
) -> Iterator[Reconciler]:
    """One life of the daemon on `settings`' state: its store, a Hub at the emulator and the pass,
    closed at the end (the next life finds what this one stored)."""
    store = Store(settings.database_url)
    reconciler = Reconciler(config=config, hub=hub_at(emulator, attempts=attempts), store=store, clock=clock)
    try:
        yield reconciler
    finally:
        reconciler.close()
        store.close()


def live(
    reconciler: Reconciler, clock: ManualClock, until: datetime, tick: float = 30, follow_up: float = 5
) -> PassReport:
    """Run passes as the daemon would: every tick, and every few seconds while something is moving."""
    report = reconciler.run_pass()
    while clock.now() < until:
        now = clock.now()
        moving = any(o.state in MOVING for o in report.observations.values())
        step = timedelta(seconds=follow_up if moving else tick)
        fires = [t.at for e in reconciler.config.endpoints if (t := next_transition(e, now)) is not None]
        clock.set(min([now + step, until, *fires]))
        report = reconciler.run_pass()
    return report


# Paused at 09:00, resumed at 20:00, under a $150 budget: the day the hold tests place their holds in.
HELD_DAY = """
version: 1
timezone: UTC
endpoints:
  - namespace: acme
    name: chat
    schedule:
      - {cron: "0 9 * * *", action: pause}
      - {cron: "0 20 * * *", action: resume, min_replicas: 1, max_replicas: 2}
budgets:
  - {name: acme-prod, daily_usd: 150, scope: {namespace: acme}}
"""
GUARDED = """
version: 1
timezone: UTC
endpoints:
  - {namespace: acme, name: cheap-important, priority: 10}
  - {namespace: acme, name: big-burner, priority: 0}
  - {namespace: acme, name: untouchable, protected: true}
budgets:
  - name: prod
    daily_usd: 40
    timezone: America/New_York
    scope: {namespace: acme}
"""


def states(api: HfApi) -> dict[str, str]:
    return {e.name: e.status for e in api.list_inference_endpoints(namespace="acme")}
