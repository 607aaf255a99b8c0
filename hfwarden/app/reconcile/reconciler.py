"""One pass: observe every namespace once, ask the core about every endpoint and budget, carry the
decisions out, and write the pass's records in one transaction. The pass decides nothing (the core
does); an action done but not recorded when the process dies is found "already" done next pass.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from hfwarden.adapters.hub import Hub
from hfwarden.adapters.prices import PriceBook
from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.anomalies import watch_anomalies
from hfwarden.app.reconcile.execute import Executor, Outcome
from hfwarden.app.reconcile.ledger import Ledger
from hfwarden.app.reconcile.logbook import Logbook
from hfwarden.app.reconcile.month import MonthLedger, paced_budgets, team_month
from hfwarden.app.reconcile.observe import Observer
from hfwarden.app.reconcile.record import FENCE_FRESH_S, Recorder
from hfwarden.app.reconcile.report import PassReport
from hfwarden.app.reconcile.spend import SpendView
from hfwarden.app.reconcile.standing import Standing, gather_standing
from hfwarden.clock import Clock
from hfwarden.config import Config
from hfwarden.core.budget import GuardOutcome, evaluate
from hfwarden.core.decide import Decision, carried_out
from hfwarden.core.ladder import cap_calls, cap_records
from hfwarden.core.latches import latch_stops
from hfwarden.core.records import Records


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
        fence_fresh_s: float = FENCE_FRESH_S,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.dry_run = dry_run
        self.prices = PriceBook(store=store, overrides=config.pricing)
        self.logbook = Logbook(dry_run=dry_run)
        self.recorder = Recorder(
            store,
            self.logbook,
            sinks=lambda: self.config.alerts.sinks,
            dry_run=dry_run,
            on_action=on_action,
            fence_fresh_s=fence_fresh_s,
        )
        self.executor = Executor(
            hub, clock=clock, max_concurrency=max_concurrency, stopping=stopping, before_call=self.recorder.check_fence
        )
        self.observer = Observer(self.executor, store, self.prices, self.logbook, clock=clock, gap_after=gap_after)
        self.months = MonthLedger(store)
        self._lock = threading.Lock()

    @property
    def ledger(self) -> Ledger:
        """The spend ledger this process keeps (a scratch copy during a read-only pass)."""
        return self.observer.ledger

    @property
    def fence(self) -> tuple[str, int] | None:
        """The lease (holder, generation) this process acts under: checked before each call and write."""
        return self.recorder.fence

    @fence.setter
    def fence(self, token: tuple[str, int] | None) -> None:
        self.recorder.fence = token

    def close(self) -> None:
        self.executor.close()

    def set_config(self, config: Config) -> None:
        # `prewarm: auto` leads are compiled by the next pass (the daemon runs one straight after a
        # reload), not here: this runs on the reload thread, beside a pass that updates the start-ups.
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
        unobservable, unpriced = self.observer.observe(config, report, read_only=read_only)
        records = Records(alerts=unpriced)
        config = self._with_leads(config, now)
        config = config.expanded(report.observations)  # `match:` entries: the endpoints seen this pass
        standing, lifted, restores = gather_standing(
            self.store, config, report.observations, unobservable, now, read_only=read_only
        )
        if not read_only:
            records += self.recorder.kept(lifted) + self._schedules(config, report, standing, restores, now)
        report.latched, report.holds, report.caps = set(standing.latches), standing.holds, standing.caps
        spend = SpendView(self.ledger, self.prices)
        exempt = {(e.endpoint, e.budget) for e in self.store.exemptions(now)}  # operators' releases
        costs = spend.budget_costs(config, report.observations, report.latched, now, exempt, holds=standing.holds)
        budgets = paced_budgets(self.months, spend, config, costs, report.observations, now)  # monthly: allowance
        outcome = evaluate(budgets, costs, now=now, ladder=self.store.ladder_marks())
        report.budgets = outcome.statuses
        report.anomalies, anomalies = watch_anomalies(self.months, self.ledger, budgets, now)
        records += Records(alerts=(*outcome.notices, *anomalies))
        if not read_only:
            records += self._guard(outcome, report, standing, now)
        report.endpoints, report.saved_today_usd = spend.figures(config, report.observations, report.latched, now)
        report.teams = team_month(self.months, self.ledger, config, now)
        records += Records(alerts=self.observer.startup_figures(config, report, spend.price_of, now))
        report.alerts = [*records.alerts, *outcome.stop_alerts, *outcome.records.alerts]
        if not read_only:
            report.enqueued += self.recorder.write(records, now, ledger=self.ledger)
        # Its own transaction: a start-up or wake lost to a crash in between is one sample, not money.
        self.observer.startups.flush(now, write=not read_only and self.recorder.holds_fence())
        return report

    def _with_leads(self, config: Config, now: datetime) -> Config:
        """The config with `prewarm: auto` leads as measured now (kept unless a reload replaced it)."""
        effective = self.observer.startups.with_leads(config, now)
        if self.config is config:
            self.config = effective
        return effective

    def _schedules(
        self, config: Config, report: PassReport, standing: Standing, restores: list[Decision], now: datetime
    ) -> Records:
        # A hold that ended or a cap lifted this pass may leave a marker as the last applied transition:
        # the schedule's state for this moment is then applied now, as an edge.
        markers = {a.endpoint: a.transition_key for a in standing.markers.applied}
        decisions = standing.decisions(config, report, self.store.last_applied() | markers, now=now)
        records = Records()
        for decision in decisions:
            report.note(decision)
            self.logbook.note(decision, report.observations.get(decision.endpoint))
            records += self.recorder.taken(decision)
        return records + self._carry_out([d for d in decisions if d.steps] + restores, report)

    def _carry_out(self, decisions: list[Decision], report: PassReport) -> Records:
        """Send the steps (none in a dry run: one audit entry per new decision instead)."""
        if self.dry_run:
            return self.recorder.instead_of(decisions, report.observations, at=self.clock.now())
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
            self.observer.fold_answer(outcome.answer, at=outcome.answered_at)
        if outcome.error is None:
            report.acted.append(key)
        else:
            report.failed[key] = outcome.error
        self.recorder.count(decision.kind, "ok" if outcome.error is None else "failed")
        return carried_out(decision, at=self.clock.now(), error=outcome.error)

    def _guard(self, outcome: GuardOutcome, report: PassReport, standing: Standing, now: datetime) -> Records:
        """Latch the guard's new stops and record the ladder's step and caps, writing them before any
        call, then stop (or cap) what still bills."""
        obs = report.observations
        records, decisions = latch_stops(
            outcome.stops, latched=standing.latches, observations=obs, guard_alerts=outcome.stop_alerts, now=now
        )
        self.logbook.guard_stops(records)
        caps = cap_records(outcome.caps, current=standing.caps, observations=obs, now=now)
        records += outcome.records + caps
        decisions += cap_calls(caps.add_caps, obs)
        if self.dry_run or records.is_empty:
            self.logbook.alerts(records.alerts, dry_run=True)
            return Records()
        # Written before any call: a crash between the two still holds the endpoints.
        report.enqueued += self.recorder.write(records, now, ledger=None)
        for latch in records.add_latches:
            self.recorder.count(latch.action, "latched")
        report.latched |= {latch.endpoint for latch in records.add_latches}
        report.caps |= {cap.endpoint: cap for cap in records.add_caps}
        before = len(report.acted)
        done = self._carry_out(decisions, report)
        report.stopped = report.acted[before:]
        return done
