"""The pass's deadlines: on the listing of namespaces (a namespace that never answers is unobservable
this pass instead of holding back every other one) and on the pass as a whole (calls not started by
then are deferred to the next pass, which catches them up)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, wait
from contextlib import contextmanager

from hfwarden.adapters.endpoints_api import EndpointsApi
from hfwarden.adapters.hub import Deferred, HubError
from hfwarden.core.endpoints import Observation

Listing = Future[list[Observation]]
# After SIGTERM, actions already under way finish; ones not started after this long wait for the next start.
SHUTDOWN_GRACE_S = 4.0


class PassDeadlines:
    """`pass_s`: calls not started that long into a pass fail as `Deferred` (None: no deadline, for
    one-off commands). `list_s`: how long the listing of namespaces is waited for. A list call still
    under way from a past pass is not sent again (it goes on to its own deadline); a late answer that
    came in since is dropped, its observations as old as its call. After a stop, calls not started
    within SHUTDOWN_GRACE_S are deferred too."""

    def __init__(
        self, api: EndpointsApi, submit: Callable[[str], Listing], stopping: threading.Event | None = None
    ) -> None:
        self._stopping = stopping
        self._stop_seen: float | None = None
        self.pass_s: float | None = None
        self.list_s = 10.0
        self._api = api
        self._submit = submit
        self._slow: dict[str, Listing] = {}

    @contextmanager
    def within_pass(self) -> Iterator[None]:
        self._api.begin_pass(None if self.pass_s is None else time.monotonic() + self.pass_s)
        try:
            yield
        finally:
            self._api.begin_pass(None)

    def past_shutdown_grace(self) -> bool:
        if self._stopping is None or not self._stopping.is_set():
            return False
        now = time.monotonic()
        if self._stop_seen is None:
            self._stop_seen = now
        return now - self._stop_seen > SHUTDOWN_GRACE_S

    def collect(self, namespaces: Sequence[str], wait_s: float | None = None) -> dict[str, Listing]:
        """A settled future per namespace: its listing, or a `HubError` (any failure of one namespace
        is that namespace's, never the pass's), or `Deferred` past the listing deadline (or `wait_s`)."""
        waited_s = self.list_s if wait_s is None else wait_s
        pending = {ns: f for ns, f in self._slow.items() if ns in namespaces and not f.done()}
        listings = {**{ns: self._submit(ns) for ns in namespaces if ns not in pending}, **pending}
        wait(listings.values(), timeout=waited_s)
        self._slow = {ns: f for ns, f in listings.items() if not f.done()}
        return {ns: _settled(ns, f, waited_s) for ns, f in listings.items()}


def _settled(namespace: str, listing: Listing, waited_s: float) -> Listing:
    if not listing.done():
        return _failed(Deferred(f"list {namespace}: no answer within {waited_s:g} s; left for the next pass"))
    error = listing.exception()
    if error is None or isinstance(error, HubError):
        return listing
    return _failed(HubError(f"list {namespace}: {type(error).__name__}: {error}"[:300]))


def _failed(error: HubError) -> Listing:
    failed: Listing = Future()
    failed.set_exception(error)
    return failed
