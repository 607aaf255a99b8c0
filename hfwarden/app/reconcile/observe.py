"""Gathering a pass's inputs: every namespace listed once, prices refreshed, observations folded into
the spend ledger at the time they were seen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from hfwarden.adapters.prices import PriceBook
from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.execute import Executor
from hfwarden.app.reconcile.ledger import Ledger
from hfwarden.app.reconcile.listing import Listed, Listings, Sight
from hfwarden.app.reconcile.logbook import Logbook
from hfwarden.app.reconcile.mode import PassMode
from hfwarden.app.reconcile.spend import earliest_day_start
from hfwarden.app.reconcile.startup_figures import StartupFigures, startup_figures
from hfwarden.app.reconcile.startups import StartupBook
from hfwarden.clock import Clock
from hfwarden.config import Config
from hfwarden.core.alerts import Alert, unknown_price
from hfwarden.core.endpoints import Observation
from hfwarden.core.startups import StartupSample


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
        self.listings = Listings(executor, clock)

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

    def prefetch(self, config: Config, *, until: datetime) -> None:
        """The next pass's listing, taken now and waited for until `until` at most (`Listings.prefetch`)."""
        self.listings.prefetch(config.namespaces, max(0.0, (until - self.clock.now()).total_seconds()))

    def _list(self, config: Config) -> Listed:
        listed = self.listings.take(config.namespaces)
        self.logbook.observations(listed[0].observations)
        return listed
