"""Outbox delivery (issue 9): only the lease holder sends, a claim keeps two processes off one row,
each sink has its own worker and back-off. respx stands in for Slack and the webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import respx

from hfwarden.adapters.alerts import Deliverer
from hfwarden.adapters.store import Store
from hfwarden.clock import ManualClock
from hfwarden.config.loader import AlertTargets
from hfwarden.core.alerts import Alert, AlertKind
from tests.support.alerts import HOOK, NOW, SLACK, TARGETS, deliverer, enqueue
from tests.support.postgres import fresh_database

# Bounded waits on the delivery threads: a safety net for a broken build, never a measure of time.
SAFETY_S = 10.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)  # when the alerts are due


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with closing(Store(f"sqlite:///{tmp_path / 'delivery.db'}")) as opened:
        yield opened


@contextmanager
def running(sender: Deliverer) -> Iterator[None]:
    """The deliverer as the daemon runs it: a supervisor thread and a worker thread per sink."""
    stop = threading.Event()
    supervisor = threading.Thread(target=sender.run, args=(stop, 0.01))
    supervisor.start()
    try:
        yield
    finally:
        stop.set()
        supervisor.join(SAFETY_S)
    assert not supervisor.is_alive()


def with_default_policy(store: Store, clock: ManualClock) -> Deliverer:
    return Deliverer(store, TARGETS, clock, is_leader=lambda: True, client=httpx.Client())


def failing(n: int) -> Alert:
    return Alert(AlertKind.ENDPOINT_FAILED, f"acme/e{n}", date(2026, 1, 5), f"e{n} failed", endpoint=f"acme/e{n}")


def enqueue_many(store: Store, count: int) -> None:
    for n in range(count):
        enqueue(store, failing(n))


def ids(route: respx.Route) -> list[str]:
    """The alert ids a receiver got (Slack's message carries none: its count is what shows repeats)."""
    return [json.loads(c.request.content)["id"] for c in route.calls]


def eventually(condition: Callable[[], bool]) -> bool:
    """True once `condition` holds, False if it still does not after the safety bound."""
    done = threading.Event()
    for _ in range(int(SAFETY_S / 0.01)):
        if condition():
            return True
        done.wait(0.01)
    return False


def receiver(status: Callable[[], int]) -> Callable[[httpx.Request], httpx.Response]:
    return lambda _request: httpx.Response(status())


@respx.mock
def test_the_standby_delivers_alerts_too(store: Store, clock: ManualClock) -> None:
    """Fixed: a process without the lease sends nothing; it delivers once it leads."""
    slack = respx.post(SLACK).mock(return_value=httpx.Response(200))
    hook = respx.post(HOOK).mock(return_value=httpx.Response(200))
    enqueue(store)
    leads = threading.Event()
    sender = deliverer(store, clock, is_leader=leads.is_set)
    assert sender.deliver_due() == 0
    clock.advance(3600)
    assert sender.deliver_due() == 0
    assert (slack.call_count, hook.call_count, store.outbox_depth()) == (0, 0, 2)
    leads.set()
    assert sender.deliver_due() == 2
    assert (slack.call_count, hook.call_count, store.outbox_depth()) == (1, 1, 0)


@respx.mock
def test_two_processes_never_send_the_same_alert(tmp_path: Path, clock: ManualClock) -> None:
    """Fixed: while one process is sending a row (lease handed over mid-send), the other skips it."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = Store(url), Store(url)
    enqueue(first)
    other = deliverer(second, clock)
    swept: list[int] = []

    def slack_answer(_request: httpx.Request) -> httpx.Response:
        swept.append(other.deliver_due())  # the other process sweeps while this post is in flight
        return httpx.Response(200)

    slack = respx.post(SLACK).mock(side_effect=slack_answer)
    hook = respx.post(HOOK).mock(return_value=httpx.Response(200))
    deliverer(first, clock).deliver_due()
    assert swept == [1]  # the other sent the webhook row, not the Slack row being sent
    assert (slack.call_count, hook.call_count) == (1, 1)
    assert first.outbox_depth() == 0
    first.close()
    second.close()


def test_a_claim_is_exclusive_until_it_expires(store: Store) -> None:
    enqueue(store)
    row = store.due_alerts(NOW)[0]
    ttl = timedelta(seconds=120)
    assert store.claim_alert(row.id, "a", now=NOW, ttl=ttl)
    assert not store.claim_alert(row.id, "b", now=NOW + timedelta(seconds=119), ttl=ttl)
    assert row.id not in [r.id for r in store.due_alerts(NOW + timedelta(seconds=119))]
    # "a" died mid-send: its claim lapses and the row is due again, for "b" alone.
    assert store.claim_alert(row.id, "b", now=NOW + timedelta(seconds=120), ttl=ttl)
    store.retry_later(row.id, NOW + timedelta(seconds=200), "late answer", holder="a")  # not a's any more
    assert not store.claim_alert(row.id, "a", now=NOW + timedelta(seconds=121), ttl=ttl)
    store.delivered(row.id)
    assert not store.claim_alert(row.id, "a", now=NOW + timedelta(days=1), ttl=ttl)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_racing_claims_have_one_winner_per_row(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Processes (one engine each) claiming the same rows at once: each row goes to exactly one."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.db'}"
    else:
        url = fresh_database(request.getfixturevalue("postgres_url"))
    stores = [Store(url) for _ in range(4)]
    enqueue_many(stores[0], 5)
    rows = [r.id for r in stores[0].due_alerts(NOW)]
    start = threading.Barrier(len(stores))
    won: dict[int, list[str]] = {row: [] for row in rows}

    def claim_all(store: Store, holder: str) -> None:
        start.wait(SAFETY_S)
        for row in rows:
            if store.claim_alert(row, holder, now=NOW, ttl=timedelta(seconds=120)):
                won[row].append(holder)

    racers = [threading.Thread(target=claim_all, args=(s, f"p{n}")) for n, s in enumerate(stores)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(SAFETY_S)
    assert all(len(holders) == 1 for holders in won.values())
    for store in stores:
        store.close()


@respx.mock
def test_a_crash_mid_send_is_sent_again_once_its_claim_expires(tmp_path: Path, clock: ManualClock) -> None:
    """At least once: the alert a crashed process was posting goes out again, with the same id."""

    class Crash(BaseException):
        """The process dies (kill -9) after the receiver got the post, before the row is deleted."""

    url = f"sqlite:///{tmp_path / 'crash.db'}"
    first = Store(url)
    enqueue_many(first, 3)
    respx.post(SLACK).mock(return_value=httpx.Response(200))
    posts = iter([httpx.Response(200), Crash()])
    received: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        received.append(json.loads(request.content)["id"])
        outcome = next(posts, httpx.Response(200))
        if isinstance(outcome, Crash):
            raise outcome
        return outcome

    respx.post(HOOK).mock(side_effect=answer)
    with pytest.raises(Crash):
        deliverer(first, clock).deliver_due()
    first.engine.dispose()  # nothing but the database file survives

    second = Store(url)
    restarted = deliverer(second, clock)
    restarted.deliver_due()
    assert second.outbox_depth() == 1  # the claimed row: its sender may still be at it
    clock.advance(120)
    restarted.deliver_due()
    assert second.outbox_depth() == 0
    assert len(received) == 4
    assert len(set(received)) == 3  # one repeat, which the receiver drops by X-Hfwarden-Delivery
    second.close()


@respx.mock
def test_one_hung_sink_starves_the_others(store: Store, clock: ManualClock) -> None:
    """Fixed: with Slack hanging on its first post, the webhook still gets every alert."""
    release = threading.Event()
    hook_has_all = threading.Event()
    accepted: list[str] = []
    slack_hangs = threading.Event()

    def hang(_request: httpx.Request) -> httpx.Response:
        slack_hangs.set()
        release.wait(SAFETY_S)
        return httpx.Response(200)

    def accept(request: httpx.Request) -> httpx.Response:
        accepted.append(json.loads(request.content)["id"])
        if len(accepted) == 5:
            hook_has_all.set()
        return httpx.Response(200)

    respx.post(SLACK).mock(side_effect=hang)
    respx.post(HOOK).mock(side_effect=accept)
    enqueue_many(store, 5)
    with running(deliverer(store, clock)):
        try:
            assert slack_hangs.wait(SAFETY_S)
            assert hook_has_all.wait(SAFETY_S)  # while Slack still hangs on its first post
            assert len(set(accepted)) == 5
        finally:
            release.set()


@respx.mock
def test_backoff_is_capped_at_a_few_minutes(store: Store, clock: ManualClock) -> None:
    """A sink down for an hour is tried again within five minutes of answering."""
    respx.post(SLACK).mock(return_value=httpx.Response(200))
    hook = respx.post(HOOK).mock(return_value=httpx.Response(503))
    enqueue(store)
    sender = with_default_policy(store, clock)
    for _ in range(12):
        sender.deliver_due()
        clock.advance(300)
    assert hook.call_count == 12


@respx.mock
def test_a_recovered_sink_drains_its_backlog(store: Store, clock: ManualClock) -> None:
    """A down sink is probed with one post at a time; once it answers, the whole backlog goes in one sweep."""
    up = threading.Event()
    respx.post(SLACK).mock(return_value=httpx.Response(200))
    hook = respx.post(HOOK).mock(side_effect=receiver(lambda: 200 if up.is_set() else 503))
    enqueue_many(store, 5)
    sender = with_default_policy(store, clock)
    for _ in range(10):
        sender.deliver_due()
        clock.advance(300)
    assert hook.call_count == 10  # one probe per back-off, not five
    up.set()
    assert sender.deliver_due() == 5
    assert store.outbox_depth() == 0
    assert len(set(ids(hook)[10:])) == 5


@respx.mock
def test_a_reload_starts_and_stops_sink_workers(store: Store, clock: ManualClock) -> None:
    hook_got_it, slack_got_it = threading.Event(), threading.Event()
    respx.post(SLACK).mock(side_effect=receiver(lambda: slack_got_it.set() or 200))
    respx.post(HOOK).mock(side_effect=receiver(lambda: hook_got_it.set() or 200))
    sender = deliverer(store, clock)
    sender.targets = AlertTargets(slack_webhook_url=TARGETS.slack_webhook_url)
    with running(sender):
        sender.targets = TARGETS  # a reload adds the webhook: its worker starts
        enqueue(store)
        # Both sinks have the first alert before the next reload (the Slack one could still be on its way,
        # and then dropped too: a third dead letter under load).
        assert hook_got_it.wait(SAFETY_S)
        assert slack_got_it.wait(SAFETY_S)
        assert eventually(lambda: store.outbox_depth() == 0)
        sender.targets = AlertTargets()  # and removes both: rows for them can no longer be sent
        enqueue(store, failing(1))
        assert eventually(lambda: len(store.dead_letters()) == 2)
    assert {d[2] for d in store.dead_letters()} == {"sink no longer configured"}
