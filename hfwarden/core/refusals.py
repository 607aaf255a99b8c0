"""Calls the platform refuses for money: credits exhausted, or an org / resource-group spend limit
reached. Pure.

HF publishes neither error. Assumed (and what the emulator sends): `402` for exhausted prepaid
credits, and `403` (an authorization error, as the resource-group docs say) whose message names the
spend limit. Any 402, and any 401/403 whose message speaks of credits, billing or a spend limit,
counts. Such an endpoint gets one `billing_blocked` alert per day and is retried at most every
`RETRY_AFTER`, and at once after a config reload (someone may have added credits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from hfwarden.core.alerts import Alert, AlertKind

RETRY_AFTER = timedelta(minutes=15)
_MONEY_WORDS = re.compile(r"credit|billing|payment|spend(ing)? limit|balance", re.IGNORECASE)
_STATUS = re.compile(r"HTTP (\d{3})")


def is_billing_refusal(error: str) -> bool:
    """Whether a failed call's error (as the Hub adapter words it: `... HTTP 402: message`) is a refusal for money."""
    found = _STATUS.search(error)
    status = int(found.group(1)) if found else None
    return status == 402 or (status in (401, 403) and _MONEY_WORDS.search(error) is not None)


@dataclass(frozen=True, slots=True)
class Blocked:
    """An endpoint the platform refuses for money: since when, and when it was last tried."""

    since: datetime
    tried_at: datetime

    def may_retry(self, now: datetime) -> bool:
        return now - self.tried_at >= RETRY_AFTER


def blocked_alert(endpoint: str, error: str, since: datetime, now: datetime) -> Alert:
    """`billing_blocked`: once per endpoint and day (the alert's dedupe key)."""
    message = f"{endpoint}: refused for money since {since.isoformat()}: {error}"
    return Alert(AlertKind.BILLING_BLOCKED, endpoint, now.date(), message, endpoint=endpoint)
