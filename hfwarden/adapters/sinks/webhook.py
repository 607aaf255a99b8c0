"""Generic webhooks: the alert document as is, signed with the receiver's shared secret."""

from __future__ import annotations

import hashlib
import hmac

from hfwarden.adapters.sinks.document import Post
from hfwarden.config.loader import Webhook


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>`: what `X-Hfwarden-Signature` carries."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def webhook_post(webhook: Webhook, alert_id: str, payload: str, timestamp: int) -> Post:
    """Delivery is at least once: `X-Hfwarden-Delivery` (the document's `id`) lets a receiver drop repeats."""
    body = payload.encode()
    headers = {
        "Content-Type": "application/json",
        "X-Hfwarden-Timestamp": str(timestamp),
        "X-Hfwarden-Signature": signature(webhook.secret.get_secret_value(), timestamp, body),
        "X-Hfwarden-Delivery": alert_id,
    }
    return Post(webhook.url.get_secret_value(), body, headers)
