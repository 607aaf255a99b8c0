"""One pass: observe every namespace once, ask the core about every endpoint and budget, carry the
decisions out, and write the pass's records in one transaction.

The pass decides nothing (`core.decide`, `core.latches` and `core.budget` do): it gathers their
inputs, sends their steps through the executor and writes what they say to write. An action done
but not yet recorded when the process dies is found "already" done by the next pass.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from hfwarden.adapters.alerts import pending
from hfwarden.adapters.hub import Hub, HubError
from hfwarden.adapters.prices import PriceBook
from hfwarden.adapters.store import Store
from hfwarden.app.execute import Executor, Outcome
from hfwarden.app.ledger import Ledger
from hfwarden.app.logbook import Logbook, log
from hfwarden.app.report import PassReport
from hfwarden.app.spend import SpendView
from hfwarden.clock import Clock
from hfwarden.config import Config
from hfwarden.core.alerts import Alert, AlertKind, unknown_price
from hfwarden.core.budget import StopDecision, evaluate
from hfwarden.core.decide import Decision, Verdict, carried_out, decide_endpoint, dry_run_entry
from hfwarden.core.endpoints import Observation, namespace_of
from hfwarden.core.latches import latch_stops, lift_expired
from hfwarden.core.records import Latch, Records

REPORTED = {Verdict.SATISFIED: "satisfied", Verdict.WAIT: "waiting"}


class Reconciler:
    """Applies schedules and budgets to endpoints. One pass at a time, many API calls at once."""

    def __init__(
        self,
        *,
        config: Config,
        hub: Hub,
        store: Store,
        clock: Clock,
        dry_run: bool = False,
        max_concurrency: int = 16,
        gap_after: timedelta = timedelta(minutes=5),
        on_action: Callable[[str, str], None] | None = None,
        stopping: threading.Event | None = None,
    ) -> None:
        self.config = config
        self.hub = hub
        self.store = store
        self.clock = clock
        self.dry_run = dry_run
        self.prices = PriceBook(store=store, overrides=config.pricing)
        self.gap_after = gap_after
        self.ledger = Ledger(store, now=clock.now(), gap_after=gap_after)
        self._ledger_is_ours = True  # False after a read-only pass: the store may have moved on since
        self.executor = Executor(hub, clock=clock, max_concurrency=max_concurrency, stopping=stopping)
        self.logbook = Logbook(dry_run=dry_run)
        self._on_action = on_action
        self._lock = threading.Lock()

    def close(self) -> None:
        self.executor.close()

    def set_config(self, config: Config) -> None:
        self.config = config
        self.prices.overrides = dict(config.pricing)

    def run_pass(self) -> PassReport:
        """Observe, decide, act; record everything. Never raises for one endpoint's or namespace's trouble."""
        with self._lock:
            return self._pass(read_only=False)

    def assess(self) -> PassReport:
        """Observe and compute every figure, changing nothing anywhere (for `hfwarden status`)."""
        with self._lock:
            return self._pass(read_only=True)

    def _pass(self, *, read_only: bool) -> PassReport:
        config, now = self.config, self.clock.now()
        report = PassReport(started_at=now)
        self._take_up_ledger(now, read_only=read_only)
        unobservable = self._observe(config, report)
        self.prices.refresh(self.hub, config.namespaces, now, persist=not read_only)
        records = Records(alerts=self._fold(report.observations.values(), now))
        latches = self.store.latches()
        if not read_only:
            latches, lifted = lift_expired(latches, now=now)
            records += self._kept(lifted) + self._schedules(config, report, latches, unobservable, now)
        report.latched = set(latches)
        spend = SpendView(self.ledger, self.prices)
        costs = spend.budget_costs(config, report.observations, report.latched, now)
        outcome = evaluate(config.budgets, costs, now=now)
        report.budgets = outcome.statuses
        guard_alerts = [a for a in outcome.alerts if a.kind == AlertKind.GUARD_ACTION]
        records += Records(alerts=tuple(a for a in outcome.alerts if a.kind != AlertKind.GUARD_ACTION))
        if not read_only:
            records += self._guard(outcome.stops, guard_alerts, report, latches, now)
        report.endpoints, report.always_on_usd = spend.figures(config, report.observations, report.latched, now)
        report.alerts = list(records.alerts) + guard_alerts
        if not read_only:
            self._write(records, now, with_ledger=True)
        return report

    def _take_up_ledger(self, now: datetime, *, read_only: bool) -> None:
        """A read-only pass (a standby, `status`) folds into a scratch ledger read from the store and
        never writes it; the first acting pass after one continues the ledger from the store, so a
        process that takes over never writes segments of its own for a stretch the leader recorded."""
        if read_only or not self._ledger_is_ours:
            self.ledger = Ledger(self.store, now=now, gap_after=self.gap_after)
        self._ledger_is_ours = not read_only

    # -- gathering ----------------------------------------------------------------------------------

    def _observe(self, config: Config, report: PassReport) -> dict[str, str]:
        """Every namespace listed once, in parallel; the namespaces that could not be, with why."""
        unobservable: dict[str, str] = {}
        for namespace, listing in self.executor.submit_list(config.namespaces).items():
            try:
                report.observations.update((o.key, o) for o in listing.result())
            except HubError as exc:
                unobservable[namespace] = str(exc)
                # Reported as a failure in every view: an unreadable namespace is not an empty one.
                report.failed[f"{namespace}/*"] = f"namespace not observable: {exc}"
                log.error("namespace_unobservable", namespace=namespace, error=str(exc))
        report.observed = len(report.observations)
        self.logbook.observations(report.observations)
        return unobservable

    def _fold(self, observations: Iterable[Observation], at: datetime) -> tuple[Alert, ...]:
        """Observations into the ledger; an alert for each one whose price is unknown."""
        alerts = []
        for observed in observations:
            price = self.prices.price(observed.instance)
            if price is None:
                alerts.append(unknown_price(observed.key, observed.instance, day=at.date()))
            self.ledger.observe(observed, at=at, price_per_hour=price)
        return tuple(alerts)

    # -- schedules and latches ----------------------------------------------------------------------

    def _schedules(
        self, config: Config, report: PassReport, latches: dict[str, Latch], unobservable: dict[str, str], now: datetime
    ) -> Records:
        last_applied = self.store.last_applied()
        decisions = [
            decide_endpoint(
                key,
                config.endpoint(key),
                report.observations.get(key),
                now=now,
                last_applied_key=last_applied.get(key),
                latch=latches.get(key),
                unobservable=unobservable.get(namespace_of(key)),
                pass_started=report.started_at,
            )
            for key in sorted({e.key for e in config.endpoints} | set(latches))
        ]
        records = Records()
        for decision in decisions:
            self._note(decision, report)
            records += self._kept(decision.records)
        return records + self._carry_out([d for d in decisions if d.steps], report)

    def _note(self, decision: Decision, report: PassReport) -> None:
        """The report's lists and the log, from a decision's verdict."""
        key, observed = decision.endpoint, report.observations.get(decision.endpoint)
        if decision.is_failure:
            report.failed[key] = decision.reason
        elif decision.verdict in REPORTED:
            getattr(report, REPORTED[decision.verdict]).append(key)
        if decision.verdict == Verdict.LATCHED:
            if not self.dry_run:
                self.logbook.suppressed(decision)
        elif decision.verdict != Verdict.ACT:
            self.logbook.decision(decision, observed)
        if decision.verdict == Verdict.SATISFIED and decision.records.applied:
            self._count(decision.kind, "already")

    def _carry_out(self, decisions: list[Decision], report: PassReport) -> Records:
        """Send the steps (none in a dry run: one audit entry per new decision instead)."""
        if self.dry_run:
            announced = [d for d in decisions if self.logbook.is_new(d)]
            for decision in announced:
                self.logbook.decision(decision, report.observations.get(decision.endpoint), announce=False)
            return Records(audit=tuple(dry_run_entry(d, at=self.clock.now()) for d in announced))
        records = Records()
        for outcome in self.executor.carry_out(decisions, report.observations):
            records += self._outcome(outcome, report)
        return records

    def _outcome(self, outcome: Outcome, report: PassReport) -> Records:
        decision, key = outcome.decision, outcome.decision.endpoint
        if outcome.deferred:
            return Records()
        if outcome.answer is not None and outcome.answered_at is not None:
            report.observations[key] = outcome.answer  # what the API said after the action: newer
            self.ledger.observe(
                outcome.answer, at=outcome.answered_at, price_per_hour=self.prices.price(outcome.answer.instance)
            )
        if outcome.error is None:
            report.acted.append(key)
        else:
            report.failed[key] = outcome.error
        self._count(decision.kind, "ok" if outcome.error is None else "failed")
        return carried_out(decision, at=self.clock.now(), error=outcome.error)

    # -- budgets ------------------------------------------------------------------------------------

    def _guard(
        self,
        stops: list[StopDecision],
        guard_alerts: list[Alert],
        report: PassReport,
        latches: dict[str, Latch],
        now: datetime,
    ) -> Records:
        """Latch the guard's new stops, writing them before any call, then stop what still bills."""
        records, decisions = latch_stops(
            stops, latched=latches, observations=report.observations, guard_alerts=guard_alerts, now=now
        )
        for latch, entry in zip(records.add_latches, records.audit, strict=True):
            log.warning(
                "guard_stop",
                endpoint=latch.endpoint,
                action=latch.action,
                reason=latch.reason,
                saved=entry.detail,
                until=latch.until.isoformat(),
                dry_run=self.dry_run,
            )
        if self.dry_run or records.is_empty:
            self.logbook.alerts(records.alerts, dry_run=True)
            return Records()
        self._write(records, now, with_ledger=False)  # a crash before the calls still holds the endpoints
        for latch in records.add_latches:
            self._count(latch.action, "latched")
        report.latched |= {latch.endpoint for latch in records.add_latches}
        before = len(report.acted)
        done = self._carry_out(decisions, report)
        report.stopped = report.acted[before:]
        return done

    # -- writing ------------------------------------------------------------------------------------

    def _write(self, records: Records, now: datetime, *, with_ledger: bool) -> None:
        """Records, alerts (once per dedupe key) and the ledger in one transaction; logs the new alerts."""
        unique = {a.dedupe_key: a for a in records.alerts}
        if self.dry_run:
            self.logbook.alerts(unique.values(), dry_run=True)
            records = Records(audit=records.audit)
        rendered = [] if self.dry_run else [pending(a, created_at=now) for a in unique.values()]
        ledger = self.ledger.changes() if with_ledger else ((), ())
        fresh = self.store.write_pass(records, alerts=rendered, sinks=self.config.alerts.sinks, ledger=ledger, now=now)
        if with_ledger:
            self.ledger.flushed(now)
        fresh_keys = {p.dedupe_key for p in fresh}
        self.logbook.alerts((a for k, a in unique.items() if k in fresh_keys), dry_run=False)

    def _kept(self, records: Records) -> Records:
        """A dry run writes only its own audit entries; the alerts it would raise are logged."""
        return Records(alerts=records.alerts) if self.dry_run else records

    def _count(self, kind: str, result: str) -> None:
        if self._on_action is not None and not self.dry_run:
            self._on_action(kind, result)
