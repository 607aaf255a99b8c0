"""One pass: observe every namespace once, keep the ledger, apply schedules, guard budgets, raise alerts.

Policy decides (schedule, cost, guard); this module only gathers inputs, applies decisions through
the Hub adapter on a bounded pool, and records them in the store, decisions and their alerts in one
transaction.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hfwarden.adapters.alerts import pending
from hfwarden.adapters.hub import Hub, HubError
from hfwarden.adapters.prices import PriceBook
from hfwarden.adapters.store import Store
from hfwarden.clock import Clock
from hfwarden.config import Config
from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.budget import BreachAction, BudgetStatus, StopDecision, evaluate
from hfwarden.core.decide import Decision, Step, StepKind, Verdict, decide
from hfwarden.core.endpoints import EndpointState, Observation
from hfwarden.core.records import AuditEntry, Latch
from hfwarden.core.rules import Transition, latest_transition
from hfwarden.ledger import Ledger
from hfwarden.logs import get_logger
from hfwarden.spend import EndpointFigures, SpendView

log = get_logger("hfwarden.reconciler")
# After SIGTERM, actions already under way finish; ones not started after this long wait for the next start.
SHUTDOWN_GRACE_S = 4.0
DEFERRED = "deferred: shutting down"
STARTING_OR_BILLING = frozenset(
    {EndpointState.RUNNING, EndpointState.INITIALIZING, EndpointState.PENDING, EndpointState.UPDATING}
)


@dataclass
class PassReport:
    """What one pass saw and did."""

    started_at: datetime
    observed: int = 0
    acted: list[str] = field(default_factory=list)
    satisfied: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    stopped: list[str] = field(default_factory=list)
    observations: dict[str, Observation] = field(default_factory=dict)
    budgets: list[BudgetStatus] = field(default_factory=list)
    endpoints: list[EndpointFigures] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    latched: set[str] = field(default_factory=set)
    always_on_usd: float = 0.0  # what the observed endpoints would have cost today running at their minimum

    @property
    def ok(self) -> bool:
        return not self.failed


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
        self.ledger = Ledger(store, now=clock.now(), gap_after=gap_after)
        self.spend = SpendView(self.ledger, self.prices)
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="hfwarden-call")
        self._on_action = on_action
        self._stopping = stopping
        self._stop_seen: float | None = None
        # What was last said per endpoint, so a waiting or broken endpoint is logged once, not every tick.
        self._announced: dict[str, tuple[str | None, Verdict]] = {}
        self._last_seen: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def set_config(self, config: Config) -> None:
        self.config = config
        self.prices.overrides = dict(config.pricing)

    # -- the pass -----------------------------------------------------------------------------------

    def run_pass(self) -> PassReport:
        """Observe, decide, act; record everything. Never raises for one endpoint's or namespace's trouble."""
        with self._lock:
            return self._run_pass(read_only=False)

    def assess(self) -> PassReport:
        """Observe and compute every figure, changing nothing anywhere (for `hfwarden status`)."""
        with self._lock:
            return self._run_pass(read_only=True)

    def _run_pass(self, *, read_only: bool) -> PassReport:
        config = self.config
        now = self.clock.now()
        report = PassReport(started_at=now)
        alerts: list[Alert] = []
        unobservable = self._observe(config, report)
        self.prices.refresh(self.hub, config.namespaces, now, persist=not read_only)
        for observed in report.observations.values():
            self._fold(observed, now, alerts)
        latches = self.store.latches()
        if not read_only:
            latches = self._lift_expired(latches, now, alerts)
        report.latched = set(latches)

        if not read_only:
            to_act = self._schedule_decisions(config, report, latches, unobservable, now, alerts)
            to_act += self._latch_enforcement(report, latches, now, alerts)
            self._execute(to_act, report, alerts)

        outcome = evaluate(
            config.budgets, self.spend.budget_costs(config, report.observations, set(latches), now), now=now
        )
        report.budgets = outcome.statuses
        alerts.extend(outcome.alerts)
        if not read_only:
            report.latched |= self._guard(outcome.stops, report, latches, now, alerts)
        report.endpoints, report.always_on_usd = self.spend.figures(config, report.observations, report.latched, now)
        report.alerts = alerts
        if not read_only:
            self._raise(alerts, now)
            self.ledger.flush(now)
        return report

    # -- observing and the ledger -------------------------------------------------------------------

    def _observe(self, config: Config, report: PassReport) -> dict[str, str]:
        unobservable: dict[str, str] = {}
        listings = {ns: self._pool.submit(self.hub.list_endpoints, ns) for ns in config.namespaces}
        for namespace, listing in listings.items():
            try:
                for observation in listing.result():
                    report.observations[observation.key] = observation
            except HubError as exc:
                unobservable[namespace] = str(exc)
                log.error("namespace_unobservable", namespace=namespace, error=str(exc))
        report.observed = len(report.observations)
        self._log_state_changes(report.observations)
        return unobservable

    def _fold(self, observed: Observation, at: datetime, alerts: list[Alert]) -> None:
        price = self.prices.price(observed.instance)
        if price is None:
            alerts.append(
                Alert(
                    AlertKind.UNKNOWN_PRICE,
                    observed.key,
                    at.date(),
                    f"{observed.key}: no price for {observed.instance}; its spend is not counted until one is "
                    "set under `pricing:`",
                    endpoint=observed.key,
                )
            )
        self.ledger.observe(observed, at=at, price_per_hour=price or 0.0)

    # -- schedules and latches ----------------------------------------------------------------------

    def _schedule_decisions(
        self,
        config: Config,
        report: PassReport,
        latches: dict[str, Latch],
        unobservable: dict[str, str],
        now: datetime,
        alerts: list[Alert],
    ) -> list[Decision]:
        last_applied = self.store.last_applied()
        to_act: list[Decision] = []
        for schedule in config.endpoints:
            key = schedule.key
            if schedule.namespace in unobservable:
                report.failed[key] = f"namespace not observable: {unobservable[schedule.namespace]}"
                continue
            observed = report.observations.get(key)
            if key in latches:
                self._suppress(schedule.key, latest_transition(schedule, now), last_applied.get(key), latches[key])
                continue
            decision = decide(schedule, observed, now=now, last_applied_key=last_applied.get(key))
            match decision.verdict:
                case Verdict.ACT:
                    to_act.append(decision)
                case Verdict.SATISFIED:
                    report.satisfied.append(key)
                    if decision.transition and last_applied.get(key) != decision.transition.key:
                        self._record(decision, observed, result="already")
                case Verdict.WAIT:
                    report.waiting.append(key)
                    self._announce(decision, observed, level="info")
                case Verdict.BROKEN | Verdict.MISSING:
                    report.failed[key] = decision.reason
                    if self._announce(decision, observed, level="error"):
                        alerts.append(self._failure_alert(key, decision.reason, now))
                case Verdict.IDLE:
                    pass
        return to_act

    def _suppress(self, endpoint: str, transition: Transition | None, last_key: str | None, latch: Latch) -> None:
        """A latched endpoint's transitions count as applied, so the latch lifting resumes nothing."""
        if transition is None or transition.key == last_key or self.dry_run:
            return
        reason = _latched_because(latch)
        action = transition.action.describe()
        log.info("transition_suppressed", endpoint=endpoint, action=action, reason=reason, dry_run=False)
        now = self.clock.now()
        entry = AuditEntry(now, endpoint, action, f"suppressed: {reason}", "suppressed", "", False)
        self.store.record_applied(endpoint, transition.key, transition.at, now, entry)

    def _latch_enforcement(
        self, report: PassReport, latches: dict[str, Latch], now: datetime, alerts: list[Alert]
    ) -> list[Decision]:
        """Latches are level-triggered: a latched endpoint that bills or starts is stopped again."""
        decisions = []
        for key, latch in latches.items():
            observed = report.observations.get(key)
            if observed is None:
                continue
            wants = _stop_step(latch.action)
            if _is_stopped(observed, wants) or observed.state in (EndpointState.FAILED, EndpointState.UPDATE_FAILED):
                continue
            reason = _latched_because(latch)
            if observed.state in STARTING_OR_BILLING and latch.latched_at < report.started_at:
                alerts.append(
                    Alert(
                        AlertKind.LATCH_OVERRIDDEN,
                        key,
                        now.date(),
                        f"{key} was started while {reason}; stopped again",
                        endpoint=key,
                        budget=latch.budget,
                    )
                )
            decisions.append(Decision(key, Verdict.ACT, reason, None, (wants,)))
        return decisions

    def _lift_expired(self, latches: dict[str, Latch], now: datetime, alerts: list[Alert]) -> dict[str, Latch]:
        expired = [latch for latch in latches.values() if now >= latch.until]
        if not expired:
            return latches
        audit = []
        for latch in expired:
            message = f"{latch.endpoint}: latch of budget {latch.budget} lifted at the new budget day"
            audit.append(
                AuditEntry(now, latch.endpoint, "release", message, "ok", "budget day rolled over", self.dry_run)
            )
            alerts.append(
                Alert(
                    AlertKind.LATCH_LIFTED,
                    latch.endpoint,
                    latch.until.date(),
                    message,
                    endpoint=latch.endpoint,
                    budget=latch.budget,
                )
            )
            log.info("latch_lifted", endpoint=latch.endpoint, budget=latch.budget, reason="new budget day")
        if not self.dry_run:
            self.store.commit(audit=audit, remove_latches=[latch.endpoint for latch in expired], now=now)
        return {k: v for k, v in latches.items() if k not in {latch.endpoint for latch in expired}}

    # -- acting -------------------------------------------------------------------------------------

    def _execute(self, decisions: list[Decision], report: PassReport, alerts: list[Alert]) -> None:
        futures = {d.endpoint: self._pool.submit(self._act, d, report.observations.get(d.endpoint)) for d in decisions}
        for endpoint, future in futures.items():
            error, answer = future.result()
            if error is DEFERRED:
                continue
            if answer is not None:
                report.observations[endpoint] = answer  # what the API said after the action: newer
            if error is None:
                report.acted.append(endpoint)
            else:
                report.failed[endpoint] = error
                alerts.append(self._failure_alert(endpoint, error, report.started_at))

    def _act(self, decision: Decision, observed: Observation | None) -> tuple[str | None, Observation | None]:
        assert observed is not None
        schedule = self.config.endpoint(decision.endpoint)
        action = decision.transition.action.describe() if decision.transition else decision.steps[-1].kind.value
        if self.dry_run:
            if self._announce(decision, observed, level="info"):
                self.store.audit(self._entry(decision, action, "dry-run", "no call made"))
            return None, None
        if self._past_shutdown_grace():
            # Not started, not recorded: the next start catches it up. SIGTERM must end in seconds.
            log.warning("action_deferred", endpoint=decision.endpoint, action=action, reason="shutting down")
            return DEFERRED, None
        answer: Observation | None = None
        try:
            for step in decision.steps:
                answer = self.hub.apply(observed.namespace, observed.name, step)
                self._fold(answer, self.clock.now(), [])
        except HubError as exc:
            log.error(
                "action_failed",
                endpoint=decision.endpoint,
                action=action,
                reason=decision.reason,
                observed=observed.state,
                error=str(exc),
                dry_run=False,
            )
            self.store.audit(self._entry(decision, action, "failed", str(exc)))
            return str(exc), answer
        log.info(
            "action_applied",
            endpoint=decision.endpoint,
            action=action,
            steps=[s.kind.value for s in decision.steps],
            reason=decision.reason,
            observed=observed.state,
            enforce=bool(schedule and schedule.enforce),
            dry_run=False,
        )
        if decision.transition is not None:
            self._record(decision, observed, result="ok", log_it=False)
        else:
            self.store.audit(self._entry(decision, action, "ok", ""))
        return None, answer

    def _past_shutdown_grace(self) -> bool:
        if self._stopping is None or not self._stopping.is_set():
            return False
        now = time.monotonic()
        if self._stop_seen is None:
            self._stop_seen = now
        return now - self._stop_seen > SHUTDOWN_GRACE_S

    # -- budgets ------------------------------------------------------------------------------------

    def _guard(
        self,
        stops: list[StopDecision],
        report: PassReport,
        latches: dict[str, Latch],
        now: datetime,
        alerts: list[Alert],
    ) -> set[str]:
        """Latch and audit the stops (with their alerts, in one transaction), then stop the endpoints;
        returns the endpoints latched."""
        new = [s for s in stops if s.endpoint not in latches]
        if not new:
            return set()
        for stop in new:
            log.warning(
                "guard_stop",
                endpoint=stop.endpoint,
                action=stop.action.value,
                reason=stop.reason,
                saved_usd=round(stop.saved_usd, 4),
                until=stop.until.isoformat(),
                dry_run=self.dry_run,
            )
        if self.dry_run:
            return set()
        guard_alerts = [a for a in alerts if a.kind == AlertKind.GUARD_ACTION]
        if self._on_action is not None:
            for stop in new:
                self._on_action(stop.action.value, "latched")
        self.store.commit(
            audit=[
                AuditEntry(now, s.endpoint, s.action.value, s.reason, "latched", f"saves ${s.saved_usd:.2f}", False)
                for s in new
            ],
            add_latches=[Latch(s.endpoint, s.budget, s.action.value, now, s.until, s.reason) for s in new],
            alerts=[pending(a, created_at=now) for a in guard_alerts],
            sinks=self.config.alerts.sinks,
            now=now,
        )
        for alert in guard_alerts:
            alerts.remove(alert)
            log.warning("alert", kind=alert.kind.value, subject=alert.subject, message=alert.message, dry_run=False)
        decisions = []
        for stop in new:
            observed = report.observations.get(stop.endpoint)
            step = _stop_step(stop.action)
            if observed is None or _is_stopped(observed, step):
                continue  # already stopped: the latch alone keeps its schedule from resuming it
            decisions.append(Decision(stop.endpoint, Verdict.ACT, stop.reason, None, (step,)))
        before = set(report.acted)
        self._execute(decisions, report, alerts)
        report.stopped = [e for e in report.acted if e not in before]
        return {s.endpoint for s in new}

    # -- alerts -------------------------------------------------------------------------------------

    def _failure_alert(self, endpoint: str, why: str, now: datetime) -> Alert:
        return Alert(AlertKind.ENDPOINT_FAILED, endpoint, now.date(), f"{endpoint}: {why}", endpoint=endpoint)

    def _raise(self, alerts: list[Alert], now: datetime) -> None:
        """Write alerts to the outbox once per subject, kind, threshold and day; log the new ones."""
        if not alerts or self.dry_run:
            for alert in alerts:
                log.warning("alert", kind=alert.kind.value, subject=alert.subject, message=alert.message, dry_run=True)
            return
        unique = {a.dedupe_key: a for a in alerts}
        fresh = self.store.commit(
            alerts=[pending(a, created_at=now) for a in unique.values()], sinks=self.config.alerts.sinks, now=now
        )
        fresh_keys = {p.dedupe_key for p in fresh}
        for key, alert in unique.items():
            if key in fresh_keys:
                log.warning("alert", kind=alert.kind.value, subject=alert.subject, message=alert.message, dry_run=False)

    # -- records and logs ---------------------------------------------------------------------------

    def _record(self, decision: Decision, observed: Observation | None, *, result: str, log_it: bool = True) -> None:
        transition = decision.transition
        assert transition is not None
        action = transition.action.describe()
        if log_it:
            self._log_decision("transition_satisfied", decision, observed)
        entry = self._entry(decision, action, result, "")
        if self.dry_run:
            if self._announce(decision, observed, level=None):
                self.store.audit(entry)
            return
        self.store.record_applied(decision.endpoint, transition.key, transition.at, self.clock.now(), entry)

    def _entry(self, decision: Decision, action: str, result: str, detail: str) -> AuditEntry:
        if self._on_action is not None:
            kind = decision.transition.action.kind.value if decision.transition else decision.steps[-1].kind.value
            self._on_action(kind, result)
        return AuditEntry(
            at=self.clock.now(),
            endpoint=decision.endpoint,
            action=action,
            reason=decision.reason,
            result=result,
            detail=detail,
            dry_run=self.dry_run,
        )

    def _announce(self, decision: Decision, observed: Observation | None, *, level: str | None) -> bool:
        """Log a decision once per (transition, verdict); True when it is new."""
        marker = (decision.transition.key if decision.transition else None, decision.verdict)
        if self._announced.get(decision.endpoint) == marker:
            return False
        self._announced[decision.endpoint] = marker
        if level is not None:
            self._log_decision(f"decision_{decision.verdict.value}", decision, observed, level=level)
        return True

    def _log_decision(self, event: str, decision: Decision, observed: Observation | None, level: str = "info") -> None:
        action = decision.transition.action.describe() if decision.transition else None
        getattr(log, level)(
            event,
            endpoint=decision.endpoint,
            action=action,
            reason=decision.reason,
            observed=observed.state if observed else None,
            desired=action,
            dry_run=self.dry_run,
        )

    def _log_state_changes(self, observations: dict[str, Observation]) -> None:
        for key, seen in observations.items():
            current = (seen.state, seen.billed_replicas)
            previous = self._last_seen.get(key)
            if previous != current:
                log.info(
                    "endpoint_observed",
                    endpoint=key,
                    state=seen.state,
                    previous=previous[0] if previous else None,
                    ready=seen.ready_replicas,
                    target=seen.target_replicas,
                )
                self._last_seen[key] = current


def _stop_step(action: str) -> Step:
    """The call that carries out a budget stop (`pause` or `scale_to_zero`)."""
    return Step(StepKind.SCALE_TO_ZERO if action == BreachAction.SCALE_TO_ZERO else StepKind.PAUSE)


def _is_stopped(observed: Observation, step: Step) -> bool:
    """Paused satisfies any stop; scaled to zero satisfies only a scale-to-zero one."""
    return observed.state == EndpointState.PAUSED or (
        step.kind == StepKind.SCALE_TO_ZERO and observed.state == EndpointState.SCALED_TO_ZERO
    )


def _latched_because(latch: Latch) -> str:
    return f"latched by budget {latch.budget} until {latch.until.isoformat()}"
