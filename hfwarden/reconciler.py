"""One reconcile pass: observe every namespace once, decide with policy, apply through a bounded pool."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from hfwarden.adapters.hub import Hub, HubError
from hfwarden.adapters.store import AuditEntry, Store
from hfwarden.clock import Clock
from hfwarden.config import Config
from hfwarden.logs import get_logger
from hfwarden.policy.observation import Observation
from hfwarden.policy.schedule import Decision, Verdict, decide

log = get_logger("hfwarden.reconciler")


@dataclass
class PassReport:
    """What one pass saw and did."""

    started_at: datetime
    observed: int = 0
    acted: list[str] = field(default_factory=list)
    satisfied: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    observations: dict[str, Observation] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


class Reconciler:
    """Applies schedules to endpoints. One pass at a time (the caller serialises), many calls at once."""

    def __init__(
        self,
        *,
        config: Config,
        hub: Hub,
        store: Store,
        clock: Clock,
        dry_run: bool = False,
        max_concurrency: int = 16,
        on_decision: Callable[[Decision], None] | None = None,
    ) -> None:
        self.config = config
        self.hub = hub
        self.store = store
        self.clock = clock
        self.dry_run = dry_run
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="hfwarden-call")
        self._on_decision = on_decision
        # What was last said per endpoint, so a waiting or broken endpoint is logged once, not every tick.
        self._announced: dict[str, tuple[str | None, Verdict]] = {}
        self._last_seen: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def run_pass(self) -> PassReport:
        """Observe, decide, act; record everything. Never raises for one endpoint's or namespace's trouble."""
        with self._lock:
            return self._run_pass()

    def _run_pass(self) -> PassReport:
        config = self.config
        now = self.clock.now()
        report = PassReport(started_at=now)
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

        last_applied = self.store.last_applied()
        to_act: list[Decision] = []
        for schedule in config.endpoints:
            if schedule.namespace in unobservable:
                report.failed[schedule.key] = f"namespace not observable: {unobservable[schedule.namespace]}"
                continue
            observed = report.observations.get(schedule.key)
            decision = decide(schedule, observed, now=now, last_applied_key=last_applied.get(schedule.key))
            if self._on_decision is not None:
                self._on_decision(decision)
            match decision.verdict:
                case Verdict.ACT:
                    to_act.append(decision)
                case Verdict.SATISFIED:
                    report.satisfied.append(decision.endpoint)
                    if decision.transition and last_applied.get(decision.endpoint) != decision.transition.key:
                        self._record(decision, observed, result="already", now=now)
                case Verdict.WAIT:
                    report.waiting.append(decision.endpoint)
                    self._announce(decision, observed, level="info")
                case Verdict.BROKEN | Verdict.MISSING:
                    report.failed[decision.endpoint] = decision.reason
                    self._announce(decision, observed, level="error")
                case Verdict.IDLE:
                    pass

        futures = {d.endpoint: self._pool.submit(self._act, d, report.observations.get(d.endpoint)) for d in to_act}
        for endpoint, future in futures.items():
            error = future.result()
            if error is None:
                report.acted.append(endpoint)
            else:
                report.failed[endpoint] = error
        return report

    def _act(self, decision: Decision, observed: Observation | None) -> str | None:
        assert decision.transition is not None
        assert observed is not None
        schedule = self.config.endpoint(decision.endpoint)
        namespace, name = observed.namespace, observed.name
        action = decision.transition.action.describe()
        if self.dry_run:
            if self._announce(decision, observed, level="info"):
                self.store.audit(self._entry(decision, action, "dry-run", "no call made"))
            return None
        try:
            for step in decision.steps:
                self.hub.apply(namespace, name, step)
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
            return str(exc)
        log.info(
            "action_applied",
            endpoint=decision.endpoint,
            action=action,
            steps=[s.kind.value for s in decision.steps],
            reason=decision.reason,
            observed=observed.state,
            desired=action,
            enforce=bool(schedule and schedule.enforce),
            dry_run=False,
        )
        self._record(decision, observed, result="ok", now=self.clock.now(), log_it=False)
        return None

    def _record(
        self, decision: Decision, observed: Observation | None, *, result: str, now: datetime, log_it: bool = True
    ) -> None:
        transition = decision.transition
        assert transition is not None
        action = transition.action.describe()
        if log_it:
            log.info(
                "transition_satisfied",
                endpoint=decision.endpoint,
                action=action,
                reason=decision.reason,
                observed=observed.state if observed else None,
                desired=action,
                dry_run=self.dry_run,
            )
        entry = self._entry(decision, action, result, "")
        if self.dry_run:
            if self._announce(decision, observed, level=None):
                self.store.audit(entry)
            return
        self.store.record_applied(decision.endpoint, transition.key, transition.at, now, entry)

    def _entry(self, decision: Decision, action: str, result: str, detail: str) -> AuditEntry:
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
            action = decision.transition.action.describe() if decision.transition else None
            getattr(log, level)(
                f"decision_{decision.verdict.value}",
                endpoint=decision.endpoint,
                action=action,
                reason=decision.reason,
                observed=observed.state if observed else None,
                desired=action,
                dry_run=self.dry_run,
            )
        return True

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
