"""Two processes on one state store: the leader acts, a standby observes, and a standby that takes
over continues the leader's ledger instead of writing one of its own (real emulator, shared clock)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi

from hfwarden.adapters.hub import Hub, RetryPolicy
from hfwarden.adapters.store import LeaseLost, Store
from hfwarden.app.reconcile.ledger import Ledger
from hfwarden.app.reconcile.reconciler import Reconciler
from hfwarden.clock import ManualClock
from hfwarden.config import load_config
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator
from tests.support.helpers import advance, billed_usd, create

pytestmark = pytest.mark.usefixtures("client_at_emulator")
CONFIG = "version: 1\nendpoints:\n  - {namespace: acme, name: a}\n  - {namespace: acme, name: b}\n"


@pytest.fixture
def reconcilers(emulator: Emulator, clock: ManualClock, tmp_path: Path) -> Iterator[list[Reconciler]]:
    """Two reconcilers, each with its own connection to one SQLite state file, as two processes have."""
    path = tmp_path / "s.yaml"
    path.write_text(CONFIG)
    url = f"sqlite:///{tmp_path / 'state.db'}"
    made = []
    for _ in range(2):
        hub = Hub(DEFAULT_TOKEN, retry=RetryPolicy(max_attempts=2, base_seconds=0.01, max_seconds=0.05))
        made.append(Reconciler(config=load_config([path]), hub=hub, store=Store(url), clock=clock))
    yield made
    for reconciler in made:
        reconciler.close()
        reconciler.store.close()


def stored_spend(store: Store, clock: ManualClock, endpoint: str, since: datetime) -> float:
    return Ledger(store, now=clock.now(), gap_after=timedelta(minutes=5)).spent(endpoint, since, clock.now())


def test_spend_counted_twice_after_a_takeover(
    api: HfApi, control: httpx.Client, clock: ManualClock, reconcilers: list[Reconciler]
) -> None:
    leader, standby = reconcilers
    for name in ("a", "b"):
        create(api, name, min_replica=1, max_replica=1)
    start = clock.now()
    leader.run_pass()  # sees them start: the ledger places their billing exactly
    for minute in range(20):
        if minute % 5 == 4:  # someone pauses and resumes b: segments close while the standby watches
            verb = "pause" if minute % 10 == 4 else "resume"
            getattr(api, f"{verb}_inference_endpoint")("b", namespace="acme")
        advance(control, 60)
        leader.run_pass()
        standby.assess()  # a standby observes every pass while the leader holds the lease
    for _ in range(20):  # the leader died; the standby took the lease
        advance(control, 60)
        standby.run_pass()
    for name in ("a", "b"):
        stretches = sorted(
            (s.start, s.end) for s in standby.store.segments_since(start) if s.endpoint == f"acme/{name}"
        )
        overlaps = [(a, b) for a, b in pairwise(stretches) if b[0] < a[1]]
        assert overlaps == [], name  # the standby wrote stretches the leader had recorded
        truth = billed_usd(control, name)
        ledger = stored_spend(standby.store, clock, f"acme/{name}", start)
        # Errs high by at most a minute per start seen late (no follow-up passes here), never low.
        assert truth <= ledger <= truth + 2 * 0.8 / 60 + 1e-9, name


def test_a_stalled_leader_does_not_act_after_a_takeover(
    api: HfApi, control: httpx.Client, clock: ManualClock, reconcilers: list[Reconciler], tmp_path: Path
) -> None:
    stalled, standby = reconcilers
    create(api, "a")
    advance(control, 70)
    ttl = timedelta(seconds=30)
    generation = stalled.store.acquire_lease("host-a:1:x", now=clock.now(), ttl=ttl)
    assert generation is not None
    stalled.fence = ("host-a:1:x", generation)
    # The leader stalls past its lease; the standby (on another host) takes over.
    taken = standby.store.acquire_lease("host-b:2:y", now=clock.now() + 2 * ttl, ttl=ttl)
    assert taken == generation + 1
    pause_now = (
        "version: 1\nendpoints:\n  - {namespace: acme, name: a, schedule: [{cron: '* * * * *', action: pause}]}\n"
    )
    path = tmp_path / "pause.yaml"
    path.write_text(pause_now)
    stalled.set_config(load_config([path]))
    control.delete("/_emulator/requests")
    report = stalled.run_pass()  # wakes up and carries on as if it still led
    mutating = [c["path"] for c in control.get("/_emulator/requests").json()["requests"] if c["method"] != "GET"]
    assert mutating == []
    assert report.acted == []
    assert stalled.store.audit_entries() == []
    assert api.get_inference_endpoint("a", namespace="acme").status == "running"


def test_a_fencing_check_stands_for_half_a_second_of_calls_then_is_made_again(
    reconcilers: list[Reconciler], clock: ManualClock
) -> None:
    leader, standby = reconcilers
    ttl = timedelta(seconds=30)
    generation = leader.store.acquire_lease("host-a:1:x", now=clock.now(), ttl=ttl)
    assert generation is not None
    leader.fence = ("host-a:1:x", generation)
    ticks = iter([100.0, 100.2, 101.0, 101.0])
    leader.recorder.monotonic = lambda: next(ticks)
    leader.recorder.check_fence()  # checked at 100.0
    standby.store.acquire_lease("host-b:2:y", now=clock.now() + 2 * ttl, ttl=ttl)
    leader.recorder.check_fence()  # 100.2: the check of 100.0 still stands (a burst of calls)
    with pytest.raises(LeaseLost):
        leader.recorder.check_fence()  # 101.0: checked again, and the lease has moved on
