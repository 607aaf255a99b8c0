"""Carrying a pass's decisions out: the guard's latches and caps written before any call, then the
schedules', restores' and guard's calls as one ordered list; and the pass's records. Each returns what
it did as a value; nothing here decides."""

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
from hfwarden.app.reconcile.report import PassReport
from hfwarden.app.reconcile.send import Sender
from hfwarden.app.reconcile.spend import SpendView
from hfwarden.app.reconcile.steps import Carried, Steps
from hfwarden.clock import Clock
from hfwarden.config import Config
from hfwarden.core.decide import Decision
from hfwarden.core.endpoints import Observation
from hfwarden.core.expected import undone_by_pauses
from hfwarden.core.guard import GuardDecision
from hfwarden.core.notices import signed, stop_notices
from hfwarden.core.offers import ActionLinks
from hfwarden.core.records import Records
from hfwarden.logs import get_logger

log = get_logger("hfwarden.app.execute")  # the name action logs have always carried


class Actor:
    """Sends decisions' calls through the executor (none in a dry run) and records what came of them."""

    def __init__(
        self, executor: Executor, observer: Observer, recorder: Recorder, logbook: Logbook, *, clock: Clock
    ) -> None:
        self.executor, self.observer, self.recorder, self.logbook = executor, observer, recorder, logbook
        self.clock = clock
        self.months = MonthLedger(observer.store)  # the month's and four weeks' ledger, read once a day
        self.links: ActionLinks | None = None  # signs the links of notices and approvals (the settings')
        self.sender = Sender(executor, observer, recorder, clock=clock)
        self.refusals = self.sender.refusals  # endpoints refused for money: backed off across passes

    def act(
        self,
        decisions: Sequence[Decision],
        restores: Sequence[Decision],
        guard: GuardDecision,
        obs: dict[str, Observation],
        mode: PassMode,
        now: datetime,
    ) -> tuple[Carried, Carried]:
        """Each decision's own records (logged once); the guard's latches, ladder step and caps written
        before any call; then the schedules', restores' and guard's calls as one ordered list. What the
        schedules' and restores' calls did, and what the guard's did."""
        if not mode.writes:  # a read-only pass decides nothing and sends nothing
            return Carried(), Carried()
        records = Records()
        for decision in decisions:
            self.logbook.note(decision, obs.get(decision.endpoint))
            records += self.recorder.taken(decision)
        enqueued = self._guard_records(guard, mode, now)
        stopping = guard.calls if mode.sends and not guard.records.is_empty else ()
        calls, stops, withheld = undone_by_pauses([*(d for d in decisions if d.steps), *restores], stopping, obs)
        for held in withheld:
            log.info("action_withheld", endpoint=held.endpoint, action=held.action, reason="the budget pauses it")
        scheduled, stopped = self.sender.send([calls, stops], obs, mode)
        return replace(scheduled, records=records + scheduled.records), replace(stopped, enqueued=enqueued)

    def _guard_records(self, guard: GuardDecision, mode: PassMode, now: datetime) -> tuple[str, ...]:
        """Write the guard's latches, ladder step and caps (before any call); the alerts' outbox ids."""
        self.logbook.guard_stops(guard.records)
        if not mode.sends or guard.records.is_empty:
            self.logbook.alerts(guard.records.alerts, dry_run=True)
            return ()
        if guard.waiting or guard.waited:  # ladder steps that wait for people: announced, or over
            self.recorder.store.put_pending_steps(guard.waiting, guard.waited)
        # Written before any call: a crash between the two still holds the endpoints.
        records = replace(guard.records, alerts=tuple(signed(a, self.links) for a in guard.records.alerts))
        enqueued = self.recorder.write(records, now, ledger=None)
        for latch in guard.records.add_latches:
            self.recorder.count(latch.action, "latched")
        return tuple(enqueued)

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
