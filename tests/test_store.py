"""The state store on SQLite and on a real PostgreSQL: the same behaviour on both."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from hfwarden.adapters.alerts import pending
from hfwarden.adapters.store import Store
from hfwarden.adapters.store._base import ROWS_PER_STATEMENT
from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.cost import OpenSegment, Segment
from hfwarden.core.records import AppliedTransition, AuditEntry, Latch, Records
from tests.support.postgres import fresh_database

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
    store.give_up_lease("host-b:2:y")
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


def test_duplicate_ledger_segment_cannot_be_stored(store: Store) -> None:
    """A standby that took over wrote the old leader's segments again (+25 % to +32 % spend): now a no-op."""
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from hfwarden.adapters.store.tables import ledger_segments

    closed = Segment("acme/a", NOW - timedelta(hours=2), NOW - timedelta(hours=1), 2, 0.8)
    store.save_ledger([closed], [])
    store.save_ledger([closed, closed], [])  # the pass goes on: no error
    assert store.segments_since(NOW - timedelta(days=1)) == [closed]
    row = {"endpoint": "acme/a", "start": closed.start, "end": NOW, "replicas": 1, "price_per_hour": 1.0}
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(insert(ledger_segments).values(**row, usd=1.0, gap=False))


def test_lease_generation_counts_changes_of_holder(store: Store) -> None:
    assert store.lease_generation() is None
    assert store.acquire_lease("host-a:1:x", now=NOW, ttl=LEASE) == 1
    assert store.acquire_lease("host-a:1:x", now=NOW + timedelta(seconds=30), ttl=LEASE) == 1  # renewal
    assert store.acquire_lease("host-b:2:y", now=NOW + timedelta(seconds=200), ttl=LEASE) == 2
    store.give_up_lease("host-b:2:y")
    assert store.lease_holder() is None
    assert store.acquire_lease("host-a:1:x", now=NOW + timedelta(seconds=201), ttl=LEASE) == 3
    assert store.lease_generation() == 3


def test_a_stalled_leader_is_fenced_after_a_takeover(store: Store) -> None:
    """A leader that stalls past its lease must not act once a standby has taken over."""
    from hfwarden.adapters.store import LeaseLost

    old = store.acquire_lease("host-a:1:x", now=NOW, ttl=LEASE)
    assert old is not None
    with store.fence("host-a:1:x", old):
        pass  # still the holder: the action may go ahead
    new = store.acquire_lease("host-b:2:y", now=NOW + LEASE + timedelta(seconds=1), ttl=LEASE)
    assert new == old + 1
    assert not store.check_lease("host-a:1:x", old)
    assert store.check_lease("host-b:2:y", new)
    acted = []
    with pytest.raises(LeaseLost), store.fence("host-a:1:x", old):
        acted.append("pause")
    assert acted == []
    with store.fence("host-b:2:y", new):
        pass


@pytest.mark.parametrize("tick_s", [5, 30])
def test_takeover_from_a_holder_on_another_host_takes_at_most_ttl_plus_one_tick(postgres_url: str, tick_s: int) -> None:
    """The holder on another host cannot be checked for life: the standby waits its lease out, no longer."""
    pg = Store(fresh_database(postgres_url))
    ttl = timedelta(seconds=60)
    last_renewal = NOW + timedelta(seconds=7)
    assert pg.take_lease("other-host.example:4242:abcd", now=NOW, ttl=ttl)
    assert pg.take_lease("other-host.example:4242:abcd", now=last_renewal, ttl=ttl)  # then it is killed
    standby = f"{socket.gethostname()}:{os.getpid()}:s"
    tick = NOW + timedelta(seconds=3)
    while not pg.take_lease(standby, now=tick, ttl=ttl):
        tick += timedelta(seconds=tick_s)
    assert tick - last_renewal <= ttl + timedelta(seconds=tick_s)
    assert tick - last_renewal > ttl
    pg.close()


def test_a_takeover_waits_for_the_holders_fenced_transaction(postgres_url: str) -> None:
    url = fresh_database(postgres_url)
    holder, standby = Store(url), Store(url)
    generation = holder.acquire_lease("host-a:1:x", now=NOW, ttl=LEASE)
    assert generation is not None
    later = NOW + LEASE + timedelta(seconds=1)
    with holder.fence("host-a:1:x", generation):
        assert standby.acquire_lease("host-b:2:y", now=later, ttl=LEASE) is None  # waits, then stands by
    assert standby.acquire_lease("host-b:2:y", now=later, ttl=LEASE) == generation + 1
    assert standby.health() == (True, "ok")
    holder.close()
    standby.close()


def test_a_pass_of_more_rows_than_one_statement_takes_is_written_whole(tmp_path: Path) -> None:
    """A pass's rows go in statements of ROWS_PER_STATEMENT (issue 19: 5,000 rows bound at once were
    megabytes alive at the end of a 5,000-transition pass); every row still lands, in one transaction."""

    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    count = 2 * ROWS_PER_STATEMENT + 1
    keys = [f"acme/ep-{n}" for n in range(count)]
    records = Records(
        applied=tuple(AppliedTransition(key, f"{key}:rule", at) for key in keys),
        audit=tuple(AuditEntry(at, key, "pause", "rule", "ok", "", False) for key in keys),
    )
    store.write_pass(records, alerts=(), sinks=(), now=at)
    assert store.last_applied() == {key: f"{key}:rule" for key in keys}
    assert len(store.audit_entries(limit=10 * count)) == count
    store.close()
