"""Gathering a pass's inputs: every namespace listed once, prices refreshed, observations folded into
the spend ledger at the time they were seen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from hfwarden.adapters.hub import HubError
from hfwarden.adapters.prices import PriceBook
from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.execute import Executor
from hfwarden.app.reconcile.ledger import Ledger
from hfwarden.app.reconcile.logbook import Logbook, log
from hfwarden.app.reconcile.report import PassReport
from hfwarden.app.reconcile.spend import earliest_day_start
from hfwarden.app.reconcile.startups import StartupBook
from hfwarden.clock import Clock
from hfwarden.config import Config
from hfwarden.core.alerts import Alert, unknown_price
from hfwarden.core.endpoints import Observation


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

    def observe(
        self, config: Config, report: PassReport, *, read_only: bool
    ) -> tuple[dict[str, str], tuple[Alert, ...]]:
        """Fill the report's observations; the namespaces that could not be listed (with why), and an
        alert for each endpoint whose price is unknown."""
        now = report.started_at
        self._take_up_ledger(now, read_only=read_only)
        unobservable, seen_at = self._list(config, report)
        self.prices.refresh(self.executor.hub, config.namespaces, now, persist=not read_only)
        alerts = []
        for observed in report.observations.values():
            price = self.prices.price(observed.instance)
            if price is None:
                alerts.append(unknown_price(observed.key, observed.instance, day=now.date()))
            at = seen_at[observed.namespace]
            # Only a first sight bills from before `at` (core.cost.billed_since).
            first = observed.key not in self.ledger.open
            day_start = earliest_day_start(config, observed.key, at) if first else None
            self.ledger.observe(observed, at=at, price_per_hour=price, day_start=day_start)
            self.startups.observe(observed, at=at, price_per_hour=price)
        return unobservable, tuple(alerts)

    def fold_answer(self, answer: Observation, *, at: datetime) -> None:
        """What the API said after an action: newer than the listing, so the ledger takes it too."""
        price = self.prices.price(answer.instance)
        self.ledger.observe(answer, at=at, price_per_hour=price)
        self.startups.observe(answer, at=at, price_per_hour=price)

    def startup_figures(
        self,
        config: Config,
        report: PassReport,
        price_of: Callable[[str, Observation | None], float | None],
        now: datetime,
    ) -> tuple[Alert, ...]:
        """Start-up and cold-start figures into the report; the `not_ready` and `thrash` alerts they raise."""
        report.startups, alerts = self.startups.figures(config, report.observations, price_of, now)
        report.startup_samples = self.startups.new_samples()
        return tuple(alerts)

    def _take_up_ledger(self, now: datetime, *, read_only: bool) -> None:
        """A read-only pass (a standby, `status`) folds into a scratch ledger read from the store and
        never writes it; the first acting pass after one continues the ledger from the store, so a
        process that takes over never writes segments of its own for a stretch the leader recorded."""
        if read_only or not self._ledger_is_ours:
            self.ledger = Ledger(self.store, now=now, gap_after=self.gap_after)
            self.startups = StartupBook(self.store, now=now)  # start-ups and wakes likewise
        self._ledger_is_ours = not read_only

    def _list(self, config: Config, report: PassReport) -> tuple[dict[str, str], dict[str, datetime]]:
        """Every namespace listed once, in parallel; the namespaces that could not be, with why, and
        when each listing came back (a change it shows happened before then, not before the pass)."""
        unobservable: dict[str, str] = {}
        seen_at: dict[str, datetime] = {}
        for namespace, listing in self.executor.submit_list(config.namespaces).items():
            try:
                report.observations.update((o.key, o) for o in listing.result())
                seen_at[namespace] = self.clock.now()
            except HubError as exc:
                unobservable[namespace] = report.unobservable[namespace] = str(exc)
                # Reported as a failure in every view: an unreadable namespace is not an empty one.
                report.failed[f"{namespace}/*"] = f"namespace not observable: {exc}"
                log.error("namespace_unobservable", namespace=namespace, error=str(exc))
        report.observed = len(report.observations)
        self.logbook.observations(report.observations)
        return unobservable, seen_at
