"""One sink's delivery worker: its rows in order, with that sink's own back-off.

Each configured sink has its own worker (and thread, under the daemon), so a sink that hangs until
its timeout, or is down for an hour, delays nothing but itself.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

import httpx

from hfwarden.adapters.backoff import backoff_seconds, retry_after_seconds
from hfwarden.adapters.deadline import request_deadline
from hfwarden.adapters.sinks.apprise_sink import AppriseUnusable, apprise_send
from hfwarden.adapters.sinks.document import Post
from hfwarden.adapters.sinks.slack import slack_post
from hfwarden.adapters.sinks.webhook import webhook_post
from hfwarden.adapters.store import OutboxItem, Store
from hfwarden.clock import Clock
from hfwarden.config.loader import AlertTargets
from hfwarden.config.values import APPRISE_SINK
from hfwarden.logs import get_logger

log = get_logger("hfwarden.alerts")


@dataclass(frozen=True)
class DeliveryPolicy:
    base_seconds: float = 5.0
    # Capped at a few minutes so that a sink answering again is noticed soon, however long it was down.
    max_seconds: float = 300.0
    timeout_seconds: float = 10.0
    # A whole delivery, however slowly the receiver reads or answers (a slowloris kept a worker for ever).
    deadline_seconds: float = 30.0
    # How long a claimed row is this process's to send; well above the timeout, so a live send keeps it.
    claim_seconds: float = 120.0
    # A receiver's Retry-After is honoured, up to this (a bogus date must not park a sink for days).
    retry_after_cap_seconds: float = 3600.0
    batch: int = 50

    def delay(self, failures: int, retry_after: float | None, rng: random.Random) -> float:
        """Wait after a sink's `failures`-th failure in a row (1, 2, ...)."""
        if retry_after is not None:
            retry_after = min(retry_after, self.retry_after_cap_seconds)
        return backoff_seconds(
            failures, base_seconds=self.base_seconds, max_seconds=self.max_seconds, retry_after=retry_after, rng=rng
        )


@dataclass
class Courier:
    """What a process's sink workers share: the store, the clock, the HTTP client and who may send."""

    store: Store
    clock: Clock
    client: httpx.Client
    holder: str  # who claims rows: this process
    is_leader: Callable[[], bool]  # only the lease holder delivers
    targets: Callable[[], AlertTargets]  # read at each send, so a reload applies at once
    policy: DeliveryPolicy
    rng: random.Random
    on_failure: Callable[[str], None]


def post_for(targets: AlertTargets, item: OutboxItem, now: datetime) -> Post | None:
    """The request that delivers `item`, or None when its sink is no longer configured."""
    if item.sink == "slack":
        url = targets.slack_webhook_url
        return None if url is None else slack_post(url.get_secret_value(), item.payload, page_url=targets.page_url)
    name = item.sink.removeprefix("webhook:")
    webhook = next((w for w in targets.webhooks if w.name == name), None)
    return None if webhook is None else webhook_post(webhook, item.alert_id, item.payload, int(now.timestamp()))


class DeliveryResult(Enum):
    """What became of one attempt to deliver an outbox row."""

    SENT = "sent"  # accepted: deleted from the outbox
    REFUSED = "refused"  # refused for good (4xx): a dead letter; the sink itself answers
    FAILED = "failed"  # 429, 5xx or no answer: the sink backs off
    TAKEN = "taken"  # another process claimed it first
    GONE = "gone"  # the sink was removed by a reload


class SinkWorker:
    """Delivers one sink's due rows, oldest first, one at a time; backs off the whole sink on failure."""

    def __init__(self, sink: str, courier: Courier) -> None:
        self.sink = sink
        self._courier = courier
        self._failures = 0  # in a row; 0 once the sink accepts one
        self._not_before: datetime | None = None
        self.halt = threading.Event()  # set when the daemon stops or the sink is removed

    def __repr__(self) -> str:
        return f"SinkWorker({self.sink!r}, failures={self._failures})"

    def run(self, interval_seconds: float) -> None:
        """Deliver until halted; an error in a sweep is logged and the worker goes on."""
        while not self.halt.is_set():
            try:
                self.sweep()
            except Exception:  # a worker must outlive a broken sweep (store hiccup, bad row)
                log.exception("alert_sweep_failed", sink=self.sink)
            self.halt.wait(interval_seconds)

    def sweep(self) -> int:
        """Send what is due until none is left, the sink fails, or this process stops leading."""
        delivered = 0
        while self._may_send():
            now = self._courier.clock.now()
            batch = self._courier.store.due_alerts(now, self._courier.policy.batch, sink=self.sink)
            progressed = False
            for item in batch:
                if not self._may_send():
                    return delivered
                outcome = self._deliver(item)
                if outcome in (DeliveryResult.FAILED, DeliveryResult.GONE):
                    return delivered
                if outcome is DeliveryResult.SENT:
                    delivered += 1
                progressed |= outcome in (DeliveryResult.SENT, DeliveryResult.REFUSED)
            if not progressed:  # nothing due, or all of it another's
                break
        return delivered

    def _may_send(self) -> bool:
        if self.halt.is_set() or not self._courier.is_leader():
            return False
        return self._not_before is None or self._courier.clock.now() >= self._not_before

    def _deliver(self, item: OutboxItem) -> DeliveryResult:
        courier = self._courier
        now = courier.clock.now()
        ttl = timedelta(seconds=courier.policy.claim_seconds)
        if not courier.store.claim_alert(item.id, courier.holder, now=now, ttl=ttl):
            return DeliveryResult.TAKEN
        if item.sink.startswith(APPRISE_SINK):
            return self._deliver_apprise(item, now)
        post = post_for(courier.targets(), item, now)
        if post is None:  # removed by a reload since the row was read: the deliverer drops such rows
            return self._gone(item)
        try:
            with request_deadline(courier.policy.deadline_seconds):
                response = courier.client.post(post.url, content=post.body, headers=post.headers)
        except httpx.HTTPError as exc:
            # The exception's text may quote the URL (a secret): only its type is kept.
            return self._later(item, type(exc).__name__, None, now)
        if response.is_success:
            return self._sent(item)
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = retry_after_seconds(response.headers.get("Retry-After"), now=now)
            return self._later(item, f"HTTP {response.status_code}", retry_after, now)
        # The sink answered and refused this alert for good; the sink itself is fine.
        return self._refused(
            item, f"HTTP {response.status_code}: {response.text[:200]}", now, f"HTTP {response.status_code}"
        )

    def _deliver_apprise(self, item: OutboxItem, now: datetime) -> DeliveryResult:
        """Through the apprise library (its own HTTP client, its own timeouts), on this worker's thread."""
        url = self._courier.targets().apprise_url(item.sink)
        if url is None:
            return self._gone(item)
        try:
            accepted = apprise_send(url.get_secret_value(), item.payload)
        except AppriseUnusable as exc:
            return self._refused(item, str(exc), now, str(exc))
        except Exception as exc:  # a plugin's own failure: retried; its text may quote the URL
            return self._later(item, f"apprise: {type(exc).__name__}", None, now)
        if accepted:
            return self._sent(item)
        return self._later(item, "apprise: not accepted", None, now)

    def _sent(self, item: OutboxItem) -> DeliveryResult:
        self._courier.store.delivered(item.id)
        self._failures, self._not_before = 0, None
        log.info("alert_delivered", alert_id=item.alert_id, sink=self.sink, attempts=item.attempts + 1)
        return DeliveryResult.SENT

    def _gone(self, item: OutboxItem) -> DeliveryResult:
        self._courier.store.release_claim(item.id, self._courier.holder)
        return DeliveryResult.GONE

    def _refused(self, item: OutboxItem, why: str, now: datetime, summary: str) -> DeliveryResult:
        """A dead letter: `why` is stored with it, `summary` (never a receiver's text) is logged."""
        courier = self._courier
        courier.on_failure(self.sink)
        courier.store.give_up(item, why, now)
        log.error("alert_rejected", alert_id=item.alert_id, sink=self.sink, error=summary)
        return DeliveryResult.REFUSED

    def _later(self, item: OutboxItem, error: str, retry_after: float | None, now: datetime) -> DeliveryResult:
        courier = self._courier
        courier.on_failure(self.sink)
        self._failures += 1
        wait = courier.policy.delay(self._failures, retry_after, courier.rng)
        self._not_before = now + timedelta(seconds=wait)
        courier.store.retry_later(item.id, self._not_before, error, holder=courier.holder)
        log.warning("alert_retry", alert_id=item.alert_id, sink=self.sink, error=error, wait_s=round(wait, 1))
        return DeliveryResult.FAILED
