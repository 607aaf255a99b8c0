"""Outbox delivery: one worker per configured sink, sending only while this process holds the lease.

Alerts are written to the outbox (in the decision's transaction) before anything is sent. A worker
claims a row before posting it and deletes it only when its sink accepted it, so a slow or dead sink
never delays a reconcile pass or another sink, a standby sends nothing, two processes never send one
row, and a restart loses nothing (a send cut short by a crash is sent again once its claim expires).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx

from hfwarden.adapters.deadline import deadline_client
from hfwarden.adapters.sinks.apprise_sink import apprise_send
from hfwarden.adapters.sinks.document import pending
from hfwarden.adapters.sinks.worker import Courier, DeliveryPolicy, SinkWorker, post_for
from hfwarden.adapters.store import OutboxItem, Store, lease_holder_id
from hfwarden.clock import Clock
from hfwarden.config.loader import AlertTargets
from hfwarden.core.alerts import Alert
from hfwarden.logs import get_logger

log = get_logger("hfwarden.alerts")
# On stop, how long to wait for the workers in all: a send hanging on a dead sink is not waited out.
JOIN_SECONDS = 1.5


class Deliverer:
    """The sink workers of one process, kept in step with the configured sinks."""

    def __init__(
        self,
        store: Store,
        targets: AlertTargets,
        clock: Clock,
        *,
        is_leader: Callable[[], bool],
        holder: str | None = None,
        policy: DeliveryPolicy | None = None,
        client: httpx.Client | None = None,
        rng: random.Random | None = None,
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        self.targets = targets
        self.failures = 0
        self._failures_lock = threading.Lock()
        self._on_failure = on_failure
        policy = policy or DeliveryPolicy()
        self._courier = Courier(
            store=store,
            clock=clock,
            client=client or deadline_client(policy.timeout_seconds),
            holder=holder or lease_holder_id(),
            is_leader=is_leader,
            targets=lambda: self.targets,
            policy=policy,
            rng=rng or random.Random(),
            on_failure=self._failed,
        )
        self._workers: dict[str, SinkWorker] = {}
        self._threads: dict[str, threading.Thread] = {}

    def __repr__(self) -> str:
        return f"Deliverer(sinks={list(self.targets.sinks)})"

    def close(self) -> None:
        self._courier.client.close()

    def deliver_due(self) -> int:
        """One sweep of every sink in turn, on the caller's thread; returns how many were delivered."""
        self._drop_unconfigured()
        return sum(self._worker(sink).sweep() for sink in self.targets.sinks)

    def run(self, stop: threading.Event, interval_seconds: float = 1.0) -> None:
        """Run a thread per sink until `stop` is set, starting and halting workers as reloads change sinks."""
        try:
            while not stop.is_set():
                try:
                    self._keep_workers(interval_seconds)
                    self._drop_unconfigured()
                except Exception:  # the supervisor must outlive a store hiccup
                    log.exception("alert_supervisor_failed")
                stop.wait(interval_seconds)
        finally:
            self._halt_all()

    def _worker(self, sink: str) -> SinkWorker:
        if sink not in self._workers:
            self._workers[sink] = SinkWorker(sink, self._courier)
        return self._workers[sink]

    def _keep_workers(self, interval_seconds: float) -> None:
        wanted = set(self.targets.sinks)
        for sink in [s for s in self._threads if s not in wanted]:
            self._workers.pop(sink).halt.set()
            del self._threads[sink]
        for sink in wanted - set(self._threads):
            worker = self._worker(sink)
            thread = threading.Thread(
                target=worker.run, args=(interval_seconds,), name=f"hfwarden-alerts-{sink}", daemon=True
            )
            self._threads[sink] = thread
            thread.start()

    def _halt_all(self) -> None:
        for worker in self._workers.values():
            worker.halt.set()
        for thread in self._threads.values():
            thread.join(JOIN_SECONDS / max(1, len(self._threads)))

    def _drop_unconfigured(self) -> None:
        """Rows of a sink a reload removed can never be sent: the leader keeps them as dead letters."""
        courier = self._courier
        if not courier.is_leader():
            return
        now = courier.clock.now()
        ttl = timedelta(seconds=courier.policy.claim_seconds)
        for item in courier.store.due_alerts(now, courier.policy.batch, not_in=self.targets.sinks):
            if courier.store.claim_alert(item.id, courier.holder, now=now, ttl=ttl):
                courier.store.give_up(item, "sink no longer configured", now)
                log.error("alert_dropped", alert_id=item.alert_id, sink=item.sink, reason="sink no longer configured")

    def _failed(self, sink: str) -> None:
        with self._failures_lock:
            self.failures += 1
        if self._on_failure is not None:
            self._on_failure(sink)


def deliver_now(targets: AlertTargets, alert: Alert, *, now: datetime, client: httpx.Client) -> int:
    """Send one alert to every sink once, without the outbox: for when the store itself is gone.
    Best effort (one try, the client's timeout); how many sinks took it."""
    rendered = pending(alert, created_at=now)
    taken = 0
    for sink in targets.sinks:
        if (url := targets.apprise_url(sink)) is not None:
            taken += _apprise_now(url.get_secret_value(), rendered.payload, rendered.alert_id, sink)
            continue
        item = OutboxItem(0, rendered.alert_id, sink, rendered.payload, 0)
        post = post_for(targets, item, now)
        if post is None:
            continue
        try:
            response = client.post(post.url, content=post.body, headers=post.headers)
        except httpx.HTTPError as exc:
            log.error("alert_not_delivered", alert_id=rendered.alert_id, sink=sink, error=type(exc).__name__)
            continue
        taken += response.is_success
    return taken


def _apprise_now(url: str, payload: str, alert_id: str, sink: str) -> bool:
    try:
        return apprise_send(url, payload)
    except Exception as exc:  # best effort; the text may quote the URL
        log.error("alert_not_delivered", alert_id=alert_id, sink=sink, error=type(exc).__name__)
        return False
