"""The state store on SQLite and on a real PostgreSQL: the same behaviour on both."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from hfwarden.adapters.alerts import pending
from hfwarden.adapters.store import Store
from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.cost import OpenSegment, Segment
from hfwarden.core.records import AuditEntry, Latch
from tests.postgres import fresh_database

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'state.db'}"
    else:
        url = fresh_database(request.getfixturevalue("postgres_url"))
    s = Store(url)
    yield s
    s.close()


def entry(endpoint: str, result: str = "ok") -> AuditEntry:
    return AuditEntry(NOW, endpoint, "pause", "a reason", result, "", False)


def test_transitions_and_audit(store: Store) -> None:
    store.record_applied("acme/a", "rule@1", NOW, NOW, entry("acme/a"))
    store.record_applied("acme/a", "rule@2", NOW + timedelta(hours=1), NOW, entry("acme/a"))
    store.record_applied("acme/b", "rule@1", NOW, NOW)
    assert store.last_applied() == {"acme/a": "rule@2", "acme/b": "rule@1"}
    entries = store.audit_entries()
    assert [(e.endpoint, e.result) for e in entries] == [("acme/a", "ok"), ("acme/a", "ok")]
    assert entries[0].at == NOW  # aware UTC back out
    assert store.ping()


def test_latches_and_alerts_commit_together_once(store: Store) -> None:
    alert = Alert(AlertKind.GUARD_ACTION, "prod:acme/a", date(2026, 1, 5), "stopped acme/a", budget="prod")
    latch = Latch("acme/a", "prod", "pause", NOW, NOW + timedelta(hours=12), "over budget")
    fresh = store.commit(
        audit=[entry("acme/a", "latched")],
        add_latches=[latch],
        alerts=[pending(alert, created_at=NOW)],
        sinks=("slack", "webhook:ops"),
        now=NOW,
    )
    assert len(fresh) == 1
    again = store.commit(alerts=[pending(alert, created_at=NOW)], sinks=("slack",), now=NOW)
    assert again == []
    assert store.latches()["acme/a"].until == NOW + timedelta(hours=12)
    assert store.outbox_depth() == 2
    due = store.due_alerts(NOW)
    store.delivered(due[0].id)
    store.retry_later(due[1].id, NOW + timedelta(minutes=5), "HTTP 503")
    assert store.due_alerts(NOW) == []
    (later,) = store.due_alerts(NOW + timedelta(minutes=5))
    assert later.attempts == 1
    store.give_up(later, "HTTP 404", NOW)
    assert store.outbox_depth() == 0
    assert store.dead_letters()[0][2] == "HTTP 404"
    store.commit(remove_latches=["acme/a"], now=NOW)
    assert store.latches() == {}


def test_ledger_round_trip(store: Store) -> None:
    closed = Segment("acme/a", NOW - timedelta(hours=2), NOW - timedelta(hours=1), 2, 0.8, gap=True)
    opened = OpenSegment("acme/a", NOW - timedelta(hours=1), NOW, "running", 1, 0.8)
    store.save_ledger([closed], [opened])
    store.save_ledger(
        [], [OpenSegment("acme/a", NOW - timedelta(hours=1), NOW + timedelta(minutes=1), "running", 1, 0.8)]
    )
    assert store.segments_since(NOW - timedelta(days=1)) == [closed]
    assert store.segments_since(NOW) == []
    assert store.open_segments()["acme/a"].observed_at == NOW + timedelta(minutes=1)


def test_price_cache(store: Store) -> None:
    store.save_prices({"aws/us-east-1/nvidia-l4/x1": 0.8}, NOW)
    store.save_prices({"aws/us-east-1/nvidia-l4/x1": 0.85, "gcp/us-east4/nvidia-l4/x1": 0.7}, NOW)
    assert store.cached_prices() == {"aws/us-east-1/nvidia-l4/x1": 0.85, "gcp/us-east4/nvidia-l4/x1": 0.7}


LEASE = timedelta(seconds=90)


def test_one_holder_at_a_time(store: Store) -> None:
    assert store.take_lease("host-a:1:x", now=NOW, ttl=LEASE)
    assert not store.take_lease("host-b:2:y", now=NOW + timedelta(seconds=30), ttl=LEASE)
    assert store.take_lease("host-a:1:x", now=NOW + timedelta(seconds=30), ttl=LEASE)  # renewal
    assert not store.take_lease("host-b:2:y", now=NOW + timedelta(seconds=119), ttl=LEASE)
    assert store.take_lease("host-b:2:y", now=NOW + timedelta(seconds=121), ttl=LEASE)  # expired: taken over
    assert store.lease_holder() == "host-b:2:y"
    assert not store.take_lease("host-a:1:x", now=NOW + timedelta(seconds=122), ttl=LEASE)
    store.release_lease("host-b:2:y")
    assert store.lease_holder() is None
    assert store.take_lease("host-a:1:x", now=NOW + timedelta(seconds=123), ttl=LEASE)


def test_a_dead_process_on_this_host_is_not_waited_out(store: Store) -> None:
    import socket
    import subprocess
    import sys

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(finished.stdout)
    assert store.take_lease(f"{socket.gethostname()}:{dead_pid}:x", now=NOW, ttl=LEASE)
    assert store.take_lease(f"{socket.gethostname()}:{os.getpid()}:z", now=NOW + timedelta(seconds=1), ttl=LEASE)
