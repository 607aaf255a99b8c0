"""What each step of a pass returned, and the report they make together: built once, at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hfwarden.app.reconcile.listing import Sight
from hfwarden.app.reconcile.report import PassReport, tally
from hfwarden.app.reconcile.spend import EndpointFigures
from hfwarden.app.reconcile.startup_figures import StartupFigures
from hfwarden.core.alerts import Alert
from hfwarden.core.decide import Decision
from hfwarden.core.endpoints import Observation
from hfwarden.core.guard import GuardDecision
from hfwarden.core.records import Records
from hfwarden.core.standing import StandingAt
from hfwarden.core.startups import StartupSample


@dataclass(frozen=True, slots=True)
class Carried:
    """What carrying decisions out did: its records, the endpoints acted on or failed (with why), the
    API's answers (newer than the listing), and the ids of the alerts already in the outbox."""

    records: Records = field(default_factory=Records)
    acted: tuple[str, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)
    answers: dict[str, Observation] = field(default_factory=dict)
    enqueued: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Steps:
    """gather → standing → decide → guard → carry out (the schedules' calls and the guard's, sent as one
    list, told apart here): what each returned. `enforced`:
    whether the guard's records were written (an acting pass), so its latches and caps count now."""

    sight: Sight
    at: StandingAt
    decisions: list[Decision]
    scheduled: Carried
    guard: GuardDecision
    stopped: Carried
    enforced: bool

    @property
    def observations(self) -> dict[str, Observation]:
        """The listings, with what the API answered after each action (newer)."""
        return {**self.sight.observations, **self.scheduled.answers, **self.stopped.answers}

    @property
    def would_act(self) -> list[str]:
        """A pass that sends nothing: the endpoints it would have acted on (schedules, restores, guard)."""
        return [d.endpoint for d in (*self.decisions, *self.at.restores, *self.guard.calls) if d.steps]

    @property
    def written(self) -> Records:
        return self.guard.records if self.enforced else Records()

    @property
    def latched(self) -> set[str]:
        return set(self.at.standing.latches) | {latch.endpoint for latch in self.written.add_latches}

    def records(self, ended: Records, startup_alerts: tuple[Alert, ...]) -> Records:
        """What the pass writes in its one transaction (the guard's own were written before its calls)."""
        return (
            Records(alerts=self.sight.unpriced)
            + ended
            + self.scheduled.records
            + Records(alerts=self.guard.notices)
            + self.stopped.records
            + Records(alerts=startup_alerts)
        )

    def report(
        self,
        now: datetime,
        records: Records,
        enqueued: list[str],
        figures: tuple[list[EndpointFigures], float],
        startups: tuple[dict[str, StartupFigures], list[StartupSample]],
    ) -> PassReport:
        counted = tally(self.decisions)
        sight, scheduled, stopped = self.sight, self.scheduled, self.stopped
        return PassReport(
            started_at=now,
            observed=len(sight.observations),
            acted=[*scheduled.acted, *stopped.acted],
            would_act=[] if self.enforced else self.would_act,
            satisfied=counted.satisfied,
            waiting=counted.waiting,
            failed={**sight.failed, **counted.failed, **scheduled.failed, **stopped.failed},
            unobservable=dict(sight.unobservable),
            stopped=list(stopped.acted),
            observations=self.observations,
            budgets=list(self.guard.statuses),
            endpoints=figures[0],
            alerts=[*records.alerts, *self.guard.raised],
            latched=self.latched,
            holds=dict(self.at.standing.holds),
            caps={**self.at.standing.caps, **{cap.endpoint: cap for cap in self.written.add_caps}},
            enqueued=[*stopped.enqueued, *enqueued],
            saved_today_usd=figures[1],
            startups=startups[0],
            startup_samples=startups[1],
        )
