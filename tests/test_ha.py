"""Two `hfwarden run` processes on one real PostgreSQL: the leader is killed with SIGKILL mid-pass and
the standby takes over. No action is sent twice, no alert reaches the webhook twice, and the ledger
they kept between them matches the emulator's bill."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.ledger import Ledger
from hfwarden.core.platform.billing import exact_usd
from hfwarden.emulator.server import Emulator, SeedEndpoint
from hfwarden.emulator.world import Timings
from tests.conftest import WebhookReceiver
from tests.support.postgres import fresh_database
from tests.support.process import TOKEN, Running, env_for

ENDPOINTS = [f"ep-{i:02d}" for i in range(8)]
PAUSED_BY_SCHEDULE = ENDPOINTS[:4]  # the rest keep running (and billing) through the takeover


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    seeds = [SeedEndpoint("acme", name, "aws/us-east-1/nvidia-t4/x1", "running") for name in ENDPOINTS]
    with Emulator(
        timings=Timings(pending_seconds=0.2, init_seconds=0.5, update_seconds=0.3),
        tokens={TOKEN: frozenset({"acme"})},
        seeds=seeds,
    ) as emu:
        yield emu


def schedule(hook: str, *, pausing: bool) -> str:
    endpoints = "\n".join(
        f"  - {{namespace: acme, name: {n}, schedule: [{{cron: '0 0 1 1 *', action: pause}}]}}"
        if pausing and n in PAUSED_BY_SCHEDULE
        else f"  - {{namespace: acme, name: {n}}}"
        for n in ENDPOINTS
    )
    return (
        f"version: 1\nendpoints:\n{endpoints}\n"
        "budgets:\n  - {name: tiny, daily_usd: 0.01, on_breach: alert_only, alert_at: [0.5, 1.0]}\n"
        f"alerts:\n  webhooks:\n    - {{name: ops, url: '{hook}', secret: a-long-enough-test-secret}}\n"
    )


def wait_until(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def more_passes(running: Running, count: int) -> None:
    """Wait for `count` more passes of a running daemon than it has logged so far (not a fixed time)."""
    done = sum(1 for e in running.events() if e.get("event") == "pass_done")
    running.wait_for("pass_done", count=done + count, timeout=30)


def billing(emulator: Emulator) -> tuple[datetime, dict[str, float]]:
    """The emulator's exact bill per endpoint, and the instant it runs to."""
    answer = httpx.get(f"{emulator.base_url}/_emulator/billing").json()
    bill = {f"{r['namespace']}/{r['name']}": float(r["exact_usd"]) for r in answer["endpoints"]}
    return datetime.fromisoformat(answer["as_of"].replace("Z", "+00:00")), bill


def test_two_daemons_on_postgresql_survive_a_kill_9_of_the_leader(
    emulator: Emulator, webhook_receiver: str, postgres_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(schedule(webhook_receiver, pausing=False))
    url = fresh_database(postgres_url)
    env = env_for(
        emulator,
        tmp_path,
        HFWARDEN_STATE_URL=url,
        HFWARDEN_TICK_SECONDS="1",
        HFWARDEN_LEASE_SECONDS="5",
        HFWARDEN_RELOAD_POLL_SECONDS="0.5",
    )
    # Slow pauses: the leader is killed with some sent and some not.
    httpx.post(f"{emulator.base_url}/_emulator/faults", json={"latency_ms": 300, "match": "/pause"})
    leader = Running(["--config", str(path)], env | {"HFWARDEN_MAX_CONCURRENCY": "1", "HFWARDEN_LOG_LEVEL": "debug"})
    standby: Running | None = None
    try:
        leader.wait_for("lease_acquired", timeout=60)  # a process start on a loaded machine
        standby = Running(["--config", str(path)], env | {"HFWARDEN_LOG_LEVEL": "debug"})  # logs `pass_done`
        standby.wait_for("lease_standby", timeout=60)
        first_seen, before = billing(emulator)
        leader.wait_for("pass_done", count=3)  # the ledger is in the store before anything happens
        path.write_text(schedule(webhook_receiver, pausing=True))  # both reload; the leader pauses four
        leader.wait_for("action_applied", count=2)
        leader.process.kill()
        leader.process.wait(10)
        standby.wait_for("lease_acquired", timeout=30)
        wait_until(lambda: len(paused(emulator)) == len(PAUSED_BY_SCHEDULE))
        more_passes(standby, 2)  # a few more passes of billing after the takeover
        # Stop the bill: pause the rest by hand and let the new leader see it, so both totals are final.
        for name in set(ENDPOINTS) - set(PAUSED_BY_SCHEDULE):
            api_call(emulator, f"/v2/endpoint/acme/{name}/pause")
        wait_until(lambda: len(paused(emulator)) == len(ENDPOINTS))
        store = Store(url)
        try:
            # The new leader saw every pause and recorded it: the ledger's totals are final.
            wait_until(lambda: recorded_paused(store) == {f"acme/{name}" for name in ENDPOINTS})
            wait_until(lambda: store.outbox_depth() == 0)  # the new leader delivered what both raised
            standby.process.terminate()
            standby.process.wait(15)
            raised = raised_alerts(store)
            end, after = billing(emulator)
            ledger = Ledger(store, now=end, gap_after=timedelta(minutes=5))
            spent = {e: exact_usd(ledger.stretches(e), first_seen, end) for e in after}
        finally:
            store.close()
    finally:
        leader.stop()
        if standby is not None:
            standby.stop()
    pauses = [c["path"] for c in requests(emulator) if c["path"].endswith("/pause") and c["status"] == 200]
    assert sorted(pauses) == sorted(set(pauses)), "an endpoint was paused twice"
    assert raised, "the tiny budget raised no alert"
    assert sorted(WebhookReceiver.received) == sorted(set(WebhookReceiver.received)), (
        "an alert reached the webhook twice"
    )
    assert len(set(WebhookReceiver.received)) == raised
    truth = sum(after.values()) - sum(before.values())
    by_endpoint = {e: (round(spent[e], 6), round(after[e] - before.get(e, 0.0), 6)) for e in sorted(after)[4:]}
    assert sum(spent.values()) == pytest.approx(truth, rel=0.01), by_endpoint


def requests(emulator: Emulator) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = httpx.get(f"{emulator.base_url}/_emulator/requests").json()["requests"]
    return rows


def api_call(emulator: Emulator, path: str) -> None:
    httpx.post(f"{emulator.base_url}{path}", headers={"Authorization": f"Bearer {TOKEN}"}).raise_for_status()


def paused(emulator: Emulator) -> set[str]:
    rows = httpx.get(f"{emulator.base_url}/v2/endpoint/acme", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    return {r["name"] for r in rows["items"] if r["status"]["state"] == "paused"}


def recorded_paused(store: Store) -> set[str]:
    """The endpoints whose current stretch in the stored ledger is paused."""
    return {key for key, stretch in store.open_segments().items() if stretch.state == "paused"}


def raised_alerts(store: Store) -> int:
    from sqlalchemy import func, select

    from hfwarden.adapters.store.tables import alert_marks

    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(alert_marks)).scalar_one())
