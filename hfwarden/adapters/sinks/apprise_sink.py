"""apprise sinks: Teams, Discord, e-mail, PagerDuty, Opsgenie, Telegram, ... by URL, through the
`apprise` library. Each URL is its own sink (`apprise:1`, ...) behind the same outbox, worker and
back-off as Slack and webhooks.

apprise reports success or failure, not why: a failure is retried with the sink's back-off; a URL
apprise cannot use at all is refused (a dead letter). The URLs carry tokens and passwords, so
apprise's own logging (which prints request URLs at debug level) is switched off, and no error
raised here quotes a URL or an exception's text.
"""

from __future__ import annotations

import json
import logging
from typing import Any

# apprise logs through stdlib logging under "apprise"; its debug lines include request URLs.
_APPRISE_LOG = logging.getLogger("apprise")
_APPRISE_LOG.setLevel(logging.CRITICAL + 1)
_APPRISE_LOG.propagate = False


class AppriseUnusable(Exception):
    """A URL apprise does not know how to send to (unknown scheme, missing parts): the message names
    its scheme only."""


def scheme_of(url: str) -> str:
    return url.partition("://")[0].lower() if "://" in url else "?"


def notification(payload: str) -> tuple[str, str]:
    """Title and body of an alert document: the message, its figures and the delivery id (receivers
    drop repeats by it, as by `X-Hfwarden-Delivery`)."""
    document: dict[str, Any] = json.loads(payload)
    lines = [str(document.get("message") or "")]
    figures = [
        f"{label} ${document[key]:.2f}"
        for label, key in (("budget", "daily_usd"), ("spent", "spent_usd"), ("projected", "projected_usd"))
        if isinstance(document.get(key), int | float)
    ]
    if figures:
        lines.append(", ".join(figures))
    lines.append(f"id: {document.get('id', '')}")
    return f"hfwarden: {document.get('title') or document.get('kind')}", "\n".join(lines)


def apprise_send(url: str, payload: str) -> bool:
    """Send one alert document to one apprise URL; True once the service accepted it."""
    import apprise  # here, not at the top: its ~5 MB only in a daemon that has apprise sinks

    notifier = apprise.Apprise(asset=apprise.AppriseAsset(storage_mode="memory"))
    if not notifier.add(url):
        raise AppriseUnusable(f"apprise cannot send to this {scheme_of(url)}:// URL")
    title, body = notification(payload)
    return bool(notifier.notify(title=title, body=body))
