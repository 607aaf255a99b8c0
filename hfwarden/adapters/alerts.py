"""Alert sinks and the outbox delivery loop: Slack incoming webhooks and signed generic webhooks.

Alerts are written to the outbox (in the decision's transaction) before anything is sent; this
loop, on its own thread, posts what is due and deletes a row only when its sink accepted it. A
slow or dead sink therefore never delays a reconcile pass, and a restart loses nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from hfwarden.adapters.backoff import backoff_seconds, retry_after_seconds
from hfwarden.adapters.store import OutboxItem, Store
from hfwarden.clock import Clock, to_z
from hfwarden.config.loader import AlertTargets
from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.records import PendingAlert
from hfwarden.logs import get_logger

SCHEMA = "hfwarden.alert/v1"
log = get_logger("hfwarden.alerts")

TITLES = {
    AlertKind.SPENT_THRESHOLD: "Spend threshold reached",
    AlertKind.PROJECTED_THRESHOLD: "Projected spend threshold reached",
    AlertKind.GUARD_ACTION: "Budget guard stopped endpoints",
    AlertKind.LATCH_LIFTED: "Budget latch lifted",
    AlertKind.BURN_RATE: "Hourly burn over the limit",
    AlertKind.REPLICA_CAP: "Replica cap exceeded",
    AlertKind.ENDPOINT_FAILED: "Endpoint failing",
    AlertKind.UNKNOWN_PRICE: "Endpoint with no known price",
    AlertKind.LATCH_OVERRIDDEN: "Latched endpoint resumed by hand",
}


def alert_document(alert: Alert, *, created_at: datetime, alert_id: str | None = None) -> dict[str, Any]:
    """The versioned JSON document (schemas/alert-v1.schema.json) every sink is built from."""
    return {
        "schema": SCHEMA,
        "id": alert_id or str(uuid.uuid4()),
        "kind": alert.kind.value,
        "title": TITLES[alert.kind],
        "created_at": to_z(created_at),
        "day": alert.day.isoformat(),
        "message": alert.message,
        "budget": alert.budget,
        "endpoint": alert.endpoint,
        "threshold": alert.threshold,
        "daily_usd": _money(alert.daily_usd),
        "spent_usd": _money(alert.spent_usd),
        "projected_usd": _money(alert.projected_usd),
        "actions": [
            {
                "endpoint": stop.endpoint,
                "action": stop.action.value,
                "budget": stop.budget,
                "reason": stop.reason,
                "saved_usd": _money(stop.saved_usd),
                "latched_until": to_z(stop.until),
            }
            for stop in alert.actions
        ],
    }


def _money(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def pending(alert: Alert, *, created_at: datetime) -> PendingAlert:
    document = alert_document(alert, created_at=created_at)
    return PendingAlert(document["id"], alert.dedupe_key, json.dumps(document, sort_keys=True))


def slack_message(document: dict[str, Any]) -> dict[str, Any]:
    """A Block Kit message: what happened, the budget's figures, and what was done and why."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"hfwarden: {document['title']}"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": document["message"]}},
    ]
    fields = []
    if document.get("budget"):
        fields.append({"type": "mrkdwn", "text": f"*Budget*\n{document['budget']}"})
    if document.get("endpoint"):
        fields.append({"type": "mrkdwn", "text": f"*Endpoint*\n{document['endpoint']}"})
    daily = document.get("daily_usd")
    for label, key in (
        ("Daily budget", "daily_usd"),
        ("Spent today", "spent_usd"),
        ("Projected today", "projected_usd"),
    ):
        value = document.get(key)
        if value is not None:
            share = f" ({value / daily:.0%})" if daily and key != "daily_usd" else ""
            fields.append({"type": "mrkdwn", "text": f"*{label}*\n${value:,.2f}{share}"})
    if fields:
        blocks.append({"type": "section", "fields": fields[:10]})
    if document.get("actions"):
        lines = [
            f"• `{a['endpoint']}`: {a['action']}, saves ${a['saved_usd']:,.2f} by end of day, "
            f"latched until {a['latched_until']}"
            for a in document["actions"]
        ]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Acted on*\n" + "\n".join(lines)}})
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{document['kind']} · {document['created_at']}"}]}
    )
    return {"text": f"hfwarden: {document['message']}", "blocks": blocks}


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>`: what `X-Hfwarden-Signature` carries."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


@dataclass(frozen=True)
class DeliveryPolicy:
    base_seconds: float = 5.0
    max_seconds: float = 600.0
    timeout_seconds: float = 10.0

    def delay(self, attempts: int, retry_after: float | None, rng: random.Random) -> float:
        """Wait after a failure of a row that had failed `attempts` times before."""
        return backoff_seconds(
            attempts + 1, base_seconds=self.base_seconds, max_seconds=self.max_seconds, retry_after=retry_after, rng=rng
        )


class Deliverer:
    """Posts due outbox rows to their sinks."""

    def __init__(
        self,
        store: Store,
        targets: AlertTargets,
        clock: Clock,
        *,
        policy: DeliveryPolicy | None = None,
        client: httpx.Client | None = None,
        rng: random.Random | None = None,
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.targets = targets
        self.clock = clock
        self.policy = policy or DeliveryPolicy()
        self._client = client or httpx.Client(timeout=self.policy.timeout_seconds)
        self._rng = rng or random.Random()
        self.failures = 0
        self._on_failure = on_failure

    def __repr__(self) -> str:
        return f"Deliverer(sinks={list(self.targets.sinks)})"

    def close(self) -> None:
        self._client.close()

    def deliver_due(self) -> int:
        """One sweep over what is due; returns how many were delivered."""
        delivered = 0
        for item in self.store.due_alerts(self.clock.now()):
            if self._deliver(item):
                delivered += 1
        return delivered

    def _deliver(self, item: OutboxItem) -> bool:
        now = self.clock.now()
        request = self._request(item, now)
        if request is None:
            self.store.give_up(item, "sink no longer configured", now)
            log.error("alert_dropped", alert_id=item.alert_id, sink=item.sink, reason="sink no longer configured")
            return False
        url, body, headers = request
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return self._later(item, f"{type(exc).__name__}", None, now)
        if response.is_success:
            self.store.delivered(item.id)
            log.info("alert_delivered", alert_id=item.alert_id, sink=item.sink, attempts=item.attempts + 1)
            return True
        if response.status_code == 429 or response.status_code >= 500:
            return self._later(
                item, f"HTTP {response.status_code}", retry_after_seconds(response.headers.get("Retry-After")), now
            )
        self._failed(item.sink)
        self.store.give_up(item, f"HTTP {response.status_code}: {response.text[:200]}", now)
        log.error("alert_rejected", alert_id=item.alert_id, sink=item.sink, status=response.status_code)
        return False

    def _later(self, item: OutboxItem, error: str, retry_after: float | None, now: datetime) -> bool:
        self._failed(item.sink)
        wait = self.policy.delay(item.attempts, retry_after, self._rng)
        self.store.retry_later(item.id, now + timedelta(seconds=wait), error)
        log.warning("alert_retry", alert_id=item.alert_id, sink=item.sink, error=error, wait_s=round(wait, 1))
        return False

    def _failed(self, sink: str) -> None:
        self.failures += 1
        if self._on_failure is not None:
            self._on_failure(sink)

    def _request(self, item: OutboxItem, now: datetime) -> tuple[str, bytes, dict[str, str]] | None:
        document = json.loads(item.payload)
        if item.sink == "slack":
            if self.targets.slack_webhook_url is None:
                return None
            body = json.dumps(slack_message(document)).encode()
            return self.targets.slack_webhook_url.get_secret_value(), body, {"Content-Type": "application/json"}
        name = item.sink.removeprefix("webhook:")
        webhook = next((w for w in self.targets.webhooks if w.name == name), None)
        if webhook is None:
            return None
        body = item.payload.encode()
        timestamp = int(now.timestamp())
        headers = {
            "Content-Type": "application/json",
            "X-Hfwarden-Timestamp": str(timestamp),
            "X-Hfwarden-Signature": signature(webhook.secret.get_secret_value(), timestamp, body),
            "X-Hfwarden-Delivery": item.alert_id,
        }
        return webhook.url.get_secret_value(), body, headers

    def run(self, stop: threading.Event, interval_seconds: float = 1.0) -> None:
        """Deliver until `stop` is set; any error in a sweep is logged and the loop goes on."""
        while not stop.is_set():
            try:
                self.deliver_due()
            except Exception:  # the loop must outlive a broken sweep (store hiccup, bad row)
                log.exception("alert_sweep_failed")
            stop.wait(interval_seconds)
