"""Endpoints the platform refuses for money, across passes: back-off, alert, retry after a reload."""

from __future__ import annotations

import threading
from datetime import datetime

from hfwarden.core.records import Records
from hfwarden.core.refusals import Blocked, blocked_alert, is_billing_refusal
from hfwarden.logs import get_logger

log = get_logger("hfwarden.app.reconcile.refusals")


class Refusals:
    """Which endpoints are refused for money; kept in memory (a restart retries them once, at once)."""

    def __init__(self) -> None:
        self._blocked: dict[str, Blocked] = {}
        self._lock = threading.Lock()

    def may_try(self, endpoint: str, now: datetime) -> bool:
        with self._lock:
            blocked = self._blocked.get(endpoint)
        if blocked is None or blocked.may_retry(now):
            return True
        log.info("billing_blocked_waiting", endpoint=endpoint, since=blocked.since.isoformat())
        return False

    def note(self, endpoint: str, error: str | None, *, now: datetime) -> Records:
        """A call's outcome: a refusal for money blocks (and alerts, once a day); anything else unblocks."""
        with self._lock:
            if error is None or not is_billing_refusal(error):
                self._blocked.pop(endpoint, None)
                return Records()
            previous = self._blocked.get(endpoint)
            since = previous.since if previous is not None else now
            self._blocked[endpoint] = Blocked(since, now)
        return Records(alerts=(blocked_alert(endpoint, error, since, now),))

    def reloaded(self) -> None:
        """After a config reload every blocked endpoint may be tried again at the next pass."""
        with self._lock:
            self._blocked = {
                k: Blocked(b.since, datetime.min.replace(tzinfo=b.since.tzinfo)) for k, b in self._blocked.items()
            }
