"""Endpoints the platform refuses for money, across passes and restarts: back-off, alert, retry after a reload."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from hfwarden.adapters.store.refusals import RefusalRecords
from hfwarden.core.records import Records
from hfwarden.core.refusals import Blocked, blocked_alert, is_billing_refusal
from hfwarden.logs import get_logger

log = get_logger("hfwarden.app.reconcile.refusals")
_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)  # "last tried" after a reload: may be tried at once


class Refusals:
    """Which endpoints are refused for money. Kept in the state store when given one, so a restart
    neither retries before the back-off nor raises the day's `billing_blocked` again."""

    def __init__(self, store: RefusalRecords | None = None) -> None:
        self._store = store
        self._blocked: dict[str, Blocked] | None = None  # read from the store at first use
        self._lock = threading.Lock()

    def may_try(self, endpoint: str, now: datetime) -> bool:
        with self._lock:
            blocked = self._known().get(endpoint)
        if blocked is None or blocked.may_retry(now):
            return True
        log.info("billing_blocked_waiting", endpoint=endpoint, since=blocked.since.isoformat())
        return False

    def note(self, endpoint: str, error: str | None, *, now: datetime) -> Records:
        """A call's outcome: a refusal for money blocks (and alerts, once a day); anything else unblocks."""
        with self._lock:
            known = self._known()
            if error is None or not is_billing_refusal(error):
                if known.pop(endpoint, None) is not None and self._store is not None:
                    self._store.put_billing_block(endpoint, None)
                return Records()
            previous = known.get(endpoint)
            since = previous.since if previous is not None else now
            known[endpoint] = Blocked(since, now)
            if self._store is not None:
                self._store.put_billing_block(endpoint, known[endpoint])
        return Records(alerts=(blocked_alert(endpoint, error, since, now),))

    def reloaded(self) -> None:
        """After a config reload every blocked endpoint may be tried again at the next pass."""
        with self._lock:
            self._blocked = {k: Blocked(b.since, _LONG_AGO) for k, b in self._known().items()}
            if self._store is not None:
                self._store.retry_billing_blocks(_LONG_AGO)

    def _known(self) -> dict[str, Blocked]:
        if self._blocked is None:
            self._blocked = self._store.billing_blocks() if self._store is not None else {}
        return self._blocked
