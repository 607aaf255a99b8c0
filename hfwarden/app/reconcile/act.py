"""Carrying a pass's decisions out: the schedules' and restores' calls, then the guard's (its latches
and caps written before any call). Each returns what it did as a value; nothing here decides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from hfwarden.app.reconcile.anomalies import watch_anomalies
from hfwarden.app.reconcile.execute import Executor
from hfwarden.app.reconcile.logbook import Logbook
from hfwarden.app.reconcile.mode import PassMode
from hfwarden.app.reconcile.month import MonthLedger, team_month
from hfwarden.app.reconcile.observe import Observer
from hfwarden.app.reconcile.record import Recorder
from hfwarden.app.reconcile.refusals import Refusals
from hfwarden.app.reconcile.report import PassReport
from hfwarden.app.reconcile.spend import SpendView
from hfwarden.app.reconcile.steps import Carried, Steps
from hfwarden.clock import Clock
from hfwarden.config import Config
from hfwarden.core.cost import hourly_burn
from hfwarden.core.decide import Decision, carried_out
from hfwarden.core.endpoints import Observation
from hfwarden.core.guard import GuardDecision
from hfwarden.core.notices import signed, stop_notices
from hfwarden.core.offers import ActionLinks
from hfwarden.core.pacing import call_order
from hfwarden.core.records import Records


class Actor:
    """Sends decisions' calls through the executor (none in a dry run) and records what came of them."""

    def __init__(
        self, executor: Executor, observer: Observer, recorder: Recorder, logbook: Logbook, *, clock: Clock
    ) -> None:
        self.executor, self.observer, self.recorder, self.logbook = executor, observer, recorder, logbook
        self.clock = clock
        self.months = MonthLedger(observer.store)  # the month's and four weeks' ledger, read once a day
        self.links: ActionLinks | None = None  # signs the links of notices and approvals (the settings')
        self.refusals = Refusals()  # endpoints refused for money: backed off across passes

    def schedules(
        self, decisions: Sequence[Decision], restores: Sequence[Decision], obs: dict[str, Observation], mode: PassMode
    ) -> Carried:
        """Each decision's own records (logged once), then the calls of those that act and the restores."""
        records = Records()
        for decision in decisions:
            self.logbook.note(decision, obs.get(decision.endpoint))
            records += self.recorder.taken(decision)
        done = self.carry_out([*(d for d in decisions if d.steps), *restores], obs, mode)
        return Carried(records + done.records, done.acted, done.failed, done.answers)

    def guard(self, guard: GuardDecision, obs: dict[str, Observation], mode: PassMode, now: datetime) -> Carried:
        """Write the guard's latches, ladder step and caps before any call, then stop (or cap) what bills."""
        self.logbook.guard_stops(guard.records)
        if not mode.sends or guard.records.is_empty:
            self.logbook.alerts(guard.records.alerts, dry_run=True)
            return Carried()
        if guard.waiting or guard.waited:  # ladder steps that wait for people: announced, or over
            self.recorder.store.put_pending_steps(guard.waiting, guard.waited)
        # Written before any call: a crash between the two still holds the endpoints.
        records = replace(guard.records, alerts=tuple(signed(a, self.links) for a in guard.records.alerts))
        enqueued = self.recorder.write(records, now, ledger=None)
        for latch in guard.records.add_latches:
            self.recorder.count(latch.action, "latched")
        done = self.carry_out(guard.calls, obs, mode)
        return Carried(done.records, done.acted, done.failed, done.answers, tuple(enqueued))

    def carry_out(self, decisions: Sequence[Decision], obs: dict[str, Observation], mode: PassMode) -> Carried:
        """Send the steps (none in a dry run: one audit entry per new decision instead)."""
        if not mode.sends:
            return Carried(self.recorder.instead_of(decisions, obs, at=self.clock.now()))
        records, acted, failed, answers = Records(), [], {}, {}
        now = self.clock.now()
        ordered = call_order(decisions, self._burns(decisions, obs))  # what the API quota does not fit waits
        sendable = [d for d in ordered if self.refusals.may_try(d.endpoint, now)]
        for result in self.executor.carry_out(sendable, obs):
            key = result.decision.endpoint
            if result.deferred:
                continue
            records += self.refusals.note(key, result.error, now=self.clock.now())
            if result.answer is not None and result.answered_at is not None:
                answers[key] = result.answer  # what the API said after the action: newer than the listing
                self.observer.fold_answer(result.answer, at=result.answered_at)
            if result.error is None:
                acted.append(key)
            else:
                failed[key] = result.error
            self.recorder.count(result.decision.kind, "ok" if result.error is None else "failed")
            records += carried_out(result.decision, at=self.clock.now(), error=result.error)
        return Carried(records, tuple(acted), failed, answers)

    def _burns(self, decisions: Sequence[Decision], obs: dict[str, Observation]) -> dict[str, float]:
        """Dollars per hour each acting endpoint bills now (budget stops go most expensive first)."""
        spend = SpendView(self.observer.ledger, self.observer.prices)
        return {
            d.endpoint: hourly_burn(observed, spend.price_of(d.endpoint, observed) or 0.0)
            for d in decisions
            if (observed := obs.get(d.endpoint)) is not None
        }

    def record(self, steps: Steps, mode: PassMode, config: Config, spend: SpendView, now: datetime) -> PassReport:
        """The pass's figures; its records written in one transaction (its start-ups in a second)."""
        observations = steps.observations
        figures = spend.figures(config, observations, steps.latched, now, steps.at.standing.holds)
        startups, samples, alerts = self.observer.startup_figures(config, observations, spend.price_of, now)
        # `upcoming_stop` before scheduled stops: computed every pass, the outbox drops a stop's repeats
        holds, price_of, ledger = steps.at.standing.holds, spend.price_of, self.observer.ledger
        alerts += stop_notices(config.endpoints, observations, holds, now=now, price_of=price_of, links=self.links)
        budgets = (status.budget for status in steps.guard.statuses)
        anomalies, unusual = watch_anomalies(self.months, ledger, budgets, now)  # notices, like thresholds
        records = steps.records(self.recorder.kept(steps.at.ended), (*alerts, *unusual))
        enqueued = self.recorder.write(records, now, ledger=ledger) if mode.persists else []
        # Its own transaction: a start-up or wake lost to a crash in between is one sample, not money.
        self.observer.startups.flush(now, write=mode.persists and self.recorder.holds_fence())
        report = steps.report(now, records, enqueued, figures, (startups, samples))
        return replace(report, anomalies=anomalies, teams=team_month(self.months, ledger, config, now))
