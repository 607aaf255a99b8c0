"""A pass's listing: every namespace listed once, in parallel; or the one taken just before a fire time
(`Listings.prefetch`), so that the transitions due go out at that time rather than a listing later."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hfwarden.adapters.hub import HubError
from hfwarden.app.reconcile.execute import Executor
from hfwarden.app.reconcile.logbook import log
from hfwarden.clock import Clock
from hfwarden.core.alerts import Alert
from hfwarden.core.endpoints import Observation

# A prefetched listing stands for the next pass if it is at most this old by the pass's clock.
PREFETCH_MAX_AGE = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class Sight:
    """What the listings saw; the namespaces not listed (with why; as failures `ns/*`); unknown prices."""

    observations: dict[str, Observation] = field(default_factory=dict)
    unobservable: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    unpriced: tuple[Alert, ...] = ()


Listed = tuple[Sight, dict[str, datetime]]  # and when each namespace's listing came back


class Listings:
    """Lists namespaces through the executor's pool; keeps at most one prefetched listing."""

    def __init__(self, executor: Executor, clock: Clock) -> None:
        self.executor, self.clock = executor, clock
        self._lock = threading.Lock()
        self._prefetched: tuple[tuple[str, ...], Listed] | None = None
        self._begun = 0  # listings begun by passes: a prefetch begun before one of them is older than it

    def prefetch(self, namespaces: tuple[str, ...], wait_s: float) -> None:
        """List every namespace now, for the next pass to take instead of listing (the daemon calls this just
        before a fire time). Waits `wait_s` at most (until the fire time): a listing not in by then is left
        to the pass, which takes up the call under way rather than sending it again. Taken once, by the next
        pass, if no pass listed in between, every namespace was listed, and it is at most PREFETCH_MAX_AGE
        old. Acting on it is acting on what the API said a moment before the pass, as every call of a long
        pass acts on the listing made at its start; each call's answer then replaces the listed state."""
        with self._lock:
            begun = self._begun
        sight, seen_at = self._listed(namespaces, wait_s)
        with self._lock:
            if self._begun == begun and not sight.unobservable:
                self._prefetched = (namespaces, (sight, seen_at))

    def take(self, namespaces: tuple[str, ...]) -> Listed:
        """The prefetched listing when it stands, otherwise a new one."""
        with self._lock:
            prefetched, self._prefetched = self._prefetched, None
            self._begun += 1
        now = self.clock.now()
        if prefetched is not None and prefetched[0] == namespaces:
            sight, seen_at = prefetched[1]
            ages = [now - at for at in seen_at.values()]
            if all(timedelta(0) <= age <= PREFETCH_MAX_AGE for age in ages):
                log.debug("listing_prefetched", age_s=max((a.total_seconds() for a in ages), default=0.0))
                return sight, seen_at
        return self.now(namespaces)

    def now(self, namespaces: tuple[str, ...]) -> Listed:
        """Every namespace listed once, in parallel, and when each listing came back (a change it shows
        happened before then, not before the pass). A namespace not listed is logged as unobservable."""
        sight, seen_at = self._listed(namespaces, None)
        for namespace, why in sight.unobservable.items():
            log.error("namespace_unobservable", namespace=namespace, error=why)
        return sight, seen_at

    def _listed(self, namespaces: tuple[str, ...], wait_s: float | None) -> Listed:
        sight = Sight()
        seen_at: dict[str, datetime] = {}
        for namespace, listing in self.executor.submit_list(namespaces, wait_s).items():
            try:
                sight.observations.update((o.key, o) for o in listing.result())
                seen_at[namespace] = self.clock.now()
            except HubError as exc:
                sight.unobservable[namespace] = str(exc)
                # Reported as a failure in every view: an unreadable namespace is not an empty one.
                sight.failed[f"{namespace}/*"] = f"namespace not observable: {exc}"
        return sight, seen_at
