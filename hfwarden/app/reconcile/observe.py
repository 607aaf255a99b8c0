"""Gathering a pass's inputs: every namespace listed once, prices refreshed, observations folded into
the spend ledger at the time they were seen."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hfwarden.adapters.hub import HubError
from hfwarden.adapters.prices import PriceBook
from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.execute import Executor
from hfwarden.app.reconcile.ledger import Ledger
from hfwarden.app.reconcile.logbook import Logbook, log
from hfwarden.app.reconcile.mode import PassMode
from hfwarden.app.reconcile.spend import earliest_day_start
from hfwarden.app.reconcile.startup_figures import StartupFigures, startup_figures
from hfwarden.app.reconcile.startups import StartupBook
from hfwarden.clock import Clock
from hfwarden.config import Config
from hfwarden.core.alerts import Alert, unknown_price
from hfwarden.core.endpoints import Observation
from hfwarden.core.startups import StartupSample

# A listing taken just before a fire time (`Observer.prefetch`) stands for the pass at the fire time if it
# is at most this old by the pass's clock; older, or after another pass listed, the pass lists again.
PREFETCH_MAX_AGE = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class Sight:
    """What the listings saw; the namespaces not listed (with why; as failures `ns/*`); unknown prices."""

    observations: dict[str, Observation] = field(default_factory=dict)
    unobservable: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    unpriced: tuple[Alert, ...] = ()


class Observer:
    """Observes the endpoints and keeps the ledger of what they bill."""

    def __init__(
        self,
        executor: Executor,
        store: Store,
        prices: PriceBook,
        logbook: Logbook,
        *,
        clock: Clock,
        gap_after: timedelta,
    ) -> None:
        self.executor = executor
        self.store = store
        self.prices = prices
        self.logbook = logbook
        self.clock = clock
        self.gap_after = gap_after
        self.ledger = Ledger(store, now=clock.now(), gap_after=gap_after)
        self.startups = StartupBook(store, now=clock.now())
        self._ledger_is_ours = True  # False after a read-only pass: the store may have moved on since
        self._prefetch_lock = threading.Lock()
        self._prefetched: tuple[tuple[str, ...], Sight, dict[str, datetime]] | None = None
        self._listings = 0  # listings begun by passes: a prefetch begun before one of them is older than it

    def observe(self, config: Config, now: datetime, *, mode: PassMode) -> Sight:
        """Every namespace listed once, prices refreshed, observations folded into the ledger."""
        self._take_up_ledger(now, read_only=not mode.persists)
        sight, seen_at = self._list(config)
        self.prices.refresh(self.executor.hub, config.namespaces, now, persist=mode.persists)
        alerts = []
        for observed in sight.observations.values():
            price = self.prices.price(observed.instance)
            if price is None:
                alerts.append(unknown_price(observed.key, observed.instance, day=now.date()))
            at = seen_at[observed.namespace]
            # Only a first sight bills from before `at` (core.cost.billed_since).
            first = observed.key not in self.ledger.open
            day_start = earliest_day_start(config, observed.key, at) if first else None
            self.ledger.observe(observed, at=at, price_per_hour=price, day_start=day_start)
            self.startups.observe(observed, at=at, price_per_hour=price)
        return Sight(sight.observations, sight.unobservable, sight.failed, tuple(alerts))

    def fold_answer(self, answer: Observation, *, at: datetime) -> None:
        """What the API said after an action: newer than the listing, so the ledger takes it too."""
        price = self.prices.price(answer.instance)
        self.ledger.observe(answer, at=at, price_per_hour=price)
        self.startups.observe(answer, at=at, price_per_hour=price)

    def startup_figures(
        self,
        config: Config,
        observations: dict[str, Observation],
        price_of: Callable[[str, Observation | None], float | None],
        now: datetime,
    ) -> tuple[dict[str, StartupFigures], list[StartupSample], tuple[Alert, ...]]:
        """Start-up and cold-start figures, the start-ups measured since the last flush, and the
        `not_ready` and `thrash` alerts they raise."""
        figures, alerts = startup_figures(self.startups, config, observations, price_of, now)
        return figures, self.startups.new_samples(), tuple(alerts)

    def _take_up_ledger(self, now: datetime, *, read_only: bool) -> None:
        """A read-only pass (a standby, `status`) folds into a scratch ledger read from the store and
        never writes it; the first acting pass after one continues the ledger from the store, so a
        process that takes over never writes segments of its own for a stretch the leader recorded."""
        if read_only or not self._ledger_is_ours:
            self.ledger = Ledger(self.store, now=now, gap_after=self.gap_after)
            self.startups = StartupBook(self.store, now=now)  # start-ups and wakes likewise
        self._ledger_is_ours = not read_only

    def prefetch(self, config: Config) -> None:
        """List every namespace now, for the next pass to take instead of listing (the daemon calls this
        just before a fire time, so that the transitions due go out at that time, not a listing later).

        Used once, by the next pass, if no pass listed in between, every namespace was listed, and it is
        at most PREFETCH_MAX_AGE old. Acting on it is acting on what the API said a moment before the
        pass, as every call of a long pass acts on the listing made at its start; each call's answer
        then replaces the listed state."""
        with self._prefetch_lock:
            begun_after = self._listings
        sight, seen_at = self._list_now(config)
        with self._prefetch_lock:
            if self._listings == begun_after and not sight.unobservable:
                self._prefetched = (tuple(config.namespaces), sight, seen_at)

    def _list(self, config: Config) -> tuple[Sight, dict[str, datetime]]:
        """Every namespace listed once, in parallel (or the prefetched listing, when it stands); and when
        each listing came back (a change it shows happened before then, not before the pass)."""
        with self._prefetch_lock:
            prefetched, self._prefetched = self._prefetched, None
            self._listings += 1
        now = self.clock.now()
        if (
            prefetched is not None
            and prefetched[0] == tuple(config.namespaces)
            and all(timedelta(0) <= now - at <= PREFETCH_MAX_AGE for at in prefetched[2].values())
        ):
            _, sight, seen_at = prefetched
            log.debug("listing_prefetched", age_s=round(max((now - at).total_seconds() for at in seen_at.values()), 3))
        else:
            sight, seen_at = self._list_now(config)
        self.logbook.observations(sight.observations)
        return sight, seen_at

    def _list_now(self, config: Config) -> tuple[Sight, dict[str, datetime]]:
        sight = Sight()
        seen_at: dict[str, datetime] = {}
        for namespace, listing in self.executor.submit_list(config.namespaces).items():
            try:
                sight.observations.update((o.key, o) for o in listing.result())
                seen_at[namespace] = self.clock.now()
            except HubError as exc:
                sight.unobservable[namespace] = str(exc)
                # Reported as a failure in every view: an unreadable namespace is not an empty one.
                sight.failed[f"{namespace}/*"] = f"namespace not observable: {exc}"
                log.error("namespace_unobservable", namespace=namespace, error=str(exc))
        return sight, seen_at
