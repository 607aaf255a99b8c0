"""What one pass saw, did and computed: the report every view (status, metrics, the page) reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from hfwarden.app.reconcile.spend import EndpointFigures
from hfwarden.app.reconcile.startup_figures import StartupFigures
from hfwarden.core.alerts import Alert
from hfwarden.core.anomaly import AnomalyStatus
from hfwarden.core.budget import BudgetStatus
from hfwarden.core.decide import Decision, Verdict
from hfwarden.core.endpoints import Observation
from hfwarden.core.records import Cap, Hold
from hfwarden.core.startups import StartupSample


@dataclass(frozen=True)
class PassReport:
    """What one pass saw and did: a value built once, when the pass ends."""

    started_at: datetime
    observed: int = 0
    acted: list[str] = field(default_factory=list)
    would_act: list[str] = field(default_factory=list)  # a dry run: the endpoints it would have acted on
    satisfied: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    unobservable: dict[str, str] = field(default_factory=dict)  # namespace -> why it could not be listed
    stopped: list[str] = field(default_factory=list)
    observations: dict[str, Observation] = field(default_factory=dict)
    budgets: list[BudgetStatus] = field(default_factory=list)
    endpoints: list[EndpointFigures] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    latched: set[str] = field(default_factory=set)
    holds: dict[str, Hold] = field(default_factory=dict)  # operators' holds in force
    caps: dict[str, Cap] = field(default_factory=dict)  # budget ladders' caps in force
    enqueued: list[str] = field(default_factory=list)  # ids of the alerts this pass put in the outbox
    # Saved today against the observed endpoints always on at their minimum, since hfwarden watched them.
    saved_today_usd: float = 0.0
    startups: dict[str, StartupFigures] = field(default_factory=dict)  # start-ups and cold starts per endpoint
    startup_samples: list[StartupSample] = field(default_factory=list)  # start-ups measured by this pass
    # False when no hfwarden has run on the state yet (`status` on a first day): spend is unknown, not $0.
    spend_tracked: bool = True
    teams: dict[str, float] = field(default_factory=dict)  # team -> month-to-date spend (UTC month)
    anomalies: dict[str, AnomalyStatus] = field(default_factory=dict)  # budget -> its spend-anomaly detector

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True, slots=True)
class Tally:
    """Decisions that send nothing, by verdict: failed (with why), satisfied, waiting."""

    failed: dict[str, str] = field(default_factory=dict)
    satisfied: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)


def tally(decisions: Iterable[Decision]) -> Tally:
    """The decisions' verdicts as the report lists them (held as asked counts as satisfied)."""
    counted = Tally()
    for decision in decisions:
        if decision.is_failure:
            counted.failed[decision.endpoint] = decision.reason
        elif decision.verdict in (Verdict.SATISFIED, Verdict.HELD):
            counted.satisfied.append(decision.endpoint)
        elif decision.verdict == Verdict.WAIT:
            counted.waiting.append(decision.endpoint)
    return counted
