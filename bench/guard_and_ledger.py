"""Ledger accuracy against the emulator's ground truth, and the guard's reaction. Prints figures; asserts nothing.

1. An emulated day (manual clock): one endpoint resumed and paused every 5 minutes, one rescaled
   every 7-8 minutes, one nobody declared running all day; passes every 30 s, every 5 s while an
   endpoint is moving, and at every fire time, as the daemon runs them. Prints the ledger's error.
2. Guard reaction: a human scales an endpoint up so that today's projection passes the budget; prints
   how many passes and how long until the pause call reaches the API (20 ms of API latency).

    .venv/bin/python bench/guard_and_ledger.py
"""

from __future__ import annotations

import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from huggingface_hub import HfApi, constants

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hfwarden import logs
from hfwarden.adapters.hub import Hub, configure_client
from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.reconciler import Reconciler
from hfwarden.clock import ManualClock
from hfwarden.config import load_config
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator
from hfwarden.emulator.world import Timings
from tests.support.helpers import create
from tests.test_budgets_emulator import BUSY_DAY, live

MIDNIGHT = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
GUARDED = """
version: 1
timezone: UTC
endpoints:
  - {namespace: acme, name: chat, priority: 10}
  - {namespace: acme, name: batch, priority: 0}
budgets:
  - {name: prod, daily_usd: 60, timezone: UTC, scope: {namespace: acme}}
"""


def reconciler_for(text: str, tmp: Path, emulator: Emulator, clock: ManualClock, name: str) -> Reconciler:
    path = tmp / f"{name}.yaml"
    path.write_text(textwrap.dedent(text))
    store = Store(f"sqlite:///{tmp / f'{name}.db'}")
    return Reconciler(
        config=load_config([path]), hub=Hub(DEFAULT_TOKEN, hub_url=emulator.base_url), store=store, clock=clock
    )


def ledger_error(tmp: Path, follow_up: float, init_seconds: float = 60) -> None:
    clock = ManualClock(MIDNIGHT)
    timings = Timings(pending_seconds=10, init_seconds=init_seconds, update_seconds=30)
    with Emulator(clock=clock, timings=timings) as emulator:
        configure_client(endpoints_api_url=emulator.api_url, hub_url=emulator.base_url, timeout_seconds=10)
        api = HfApi(endpoint=emulator.base_url, token=DEFAULT_TOKEN)
        create(api, "flappy", min_replica=1, max_replica=1)
        create(api, "scaler", min_replica=1, max_replica=2, instance_type="nvidia-t4")
        create(api, "steady", min_replica=1, max_replica=1, instance_type="nvidia-a10g")
        reconciler = reconciler_for(BUSY_DAY, tmp, emulator, clock, f"ledger-{follow_up:g}-{init_seconds:g}")
        end = MIDNIGHT + timedelta(days=1)
        started = time.perf_counter()
        live(reconciler, clock, end, tick=30, follow_up=follow_up)
        elapsed = time.perf_counter() - started
        truth = {
            f"{r['namespace']}/{r['name']}": r["usd"]
            for r in httpx.get(f"{emulator.base_url}/_emulator/billing").json()["endpoints"]
        }
        print(
            f"emulated day, initializing {init_seconds:g} s, passes every 30 s and every {follow_up:g} s while "
            f"moving: {elapsed:.1f} s of wall time"
        )
        for endpoint, usd in sorted(truth.items()):
            ledger = reconciler.ledger.spent(endpoint, MIDNIGHT, end)
            error = 100 * (ledger - usd) / usd
            print(f"  {endpoint:<14} ground truth ${usd:8.4f}  ledger ${ledger:8.4f}  error {error:+.3f} %")
        total_truth = sum(truth.values())
        total_ledger = sum(reconciler.ledger.spent(e, MIDNIGHT, end) for e in truth)
        print(
            f"  {'total':<14} ground truth ${total_truth:8.4f}  ledger ${total_ledger:8.4f}  "
            f"error {100 * (total_ledger - total_truth) / total_truth:+.3f} %  (target within 0.5 %)"
        )
        reconciler.close()


def guard_reaction(tmp: Path) -> None:
    clock = ManualClock(MIDNIGHT + timedelta(hours=8))
    with Emulator(clock=clock, timings=Timings(pending_seconds=10, init_seconds=60, update_seconds=30)) as emulator:
        configure_client(endpoints_api_url=emulator.api_url, hub_url=emulator.base_url, timeout_seconds=10)
        api = HfApi(endpoint=emulator.base_url, token=DEFAULT_TOKEN)
        create(api, "chat", min_replica=1, max_replica=4)
        create(api, "batch", min_replica=1, max_replica=4, instance_type="nvidia-a10g")
        clock.advance(70)
        httpx.post(f"{emulator.base_url}/_emulator/faults", json={"latency_ms": 20})
        reconciler = reconciler_for(GUARDED, tmp, emulator, clock, "guard")
        report = reconciler.run_pass()
        print(f"before: projected ${report.budgets[0].projected_usd:.2f} of $60")
        api.update_inference_endpoint("batch", namespace="acme", min_replica=3, max_replica=4)  # someone scales up
        clock.advance(30)
        httpx.delete(f"{emulator.base_url}/_emulator/requests")
        passes = 0
        started = time.perf_counter()
        while True:
            passes += 1
            report = reconciler.run_pass()
            if report.stopped or passes > 10:
                break
            clock.advance(30)
        elapsed = time.perf_counter() - started
        calls = httpx.get(f"{emulator.base_url}/_emulator/requests").json()["requests"]
        pause = next((c for c in calls if c["path"].endswith("/pause")), None)
        print(
            f"guard reaction: projection ${report.budgets[0].projected_usd:.2f} over $60 → "
            f"{', '.join(report.stopped) or 'nothing'} paused in pass {passes} after the crossing was observable, "
            f"{elapsed * 1000:.0f} ms from pass start to pause answered ({'sent' if pause else 'not sent'})"
        )
        reconciler.close()


def main() -> None:
    logs.configure("console", level="error")
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        constants.HF_HOME = str(tmp)
        ledger_error(tmp, follow_up=5)  # the daemon's default HFWARDEN_FOLLOW_UP_SECONDS
        ledger_error(tmp, follow_up=30)  # no follow-up passes: only the tick and fire times
        ledger_error(tmp, follow_up=30, init_seconds=15)  # starts too short to be seen: the ledger errs high
        guard_reaction(tmp)


if __name__ == "__main__":
    main()
