"""Passes run as the daemon runs them, against the emulator on a manual clock; the guarded fleet."""

from __future__ import annotations

from datetime import datetime, timedelta

from huggingface_hub import HfApi

from hfwarden.app.reconcile.reconciler import Reconciler
from hfwarden.app.reconcile.report import PassReport
from hfwarden.clock import ManualClock
from hfwarden.core.endpoints import EndpointState
from hfwarden.core.rules import next_transition

MOVING = {EndpointState.PENDING, EndpointState.INITIALIZING, EndpointState.UPDATING}


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
