"""Structured log events for a pass: each decision once per (transition, verdict), state changes, alerts.

What a pass says is remembered per endpoint, so a waiting or broken endpoint is logged once, not every
tick. Nothing here decides anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hfwarden.core.alerts import Alert
from hfwarden.core.decide import Decision, Verdict
from hfwarden.core.endpoints import Observation
from hfwarden.core.records import Records
from hfwarden.logs import get_logger

log = get_logger("hfwarden.app.reconcile")  # the name logs have always carried
LEVELS = {
    Verdict.ACT: "info",
    Verdict.WAIT: "info",
    Verdict.BROKEN: "error",
    Verdict.MISSING: "error",
}


class Logbook:
    """Logs decisions and observations without repeating itself."""

    def __init__(self, *, dry_run: bool) -> None:
        self.dry_run = dry_run
        self._announced: dict[str, tuple[str | None, Verdict]] = {}
        self._last_seen: dict[str, tuple[str, int]] = {}

    def is_new(self, decision: Decision) -> bool:
        """True the first time this endpoint's decision is seen for its transition and verdict."""
        marker = (decision.transition.key if decision.transition else None, decision.verdict)
        if self._announced.get(decision.endpoint) == marker:
            return False
        self._announced[decision.endpoint] = marker
        return True

    def decision(self, decision: Decision, observed: Observation | None, *, announce: bool = True) -> None:
        """One event for a decision worth saying; `announce=False` when `is_new` was already asked."""
        if decision.verdict == Verdict.SATISFIED and decision.records.applied:
            self._event("info", "transition_satisfied", decision, observed)
            return
        level = LEVELS.get(decision.verdict)
        if level is None or (announce and not self.is_new(decision)):
            return
        self._event(level, f"decision_{decision.verdict.value}", decision, observed)

    def note(self, decision: Decision, observed: Observation | None) -> None:
        """What a decision that sends nothing says: its verdict, or the transitions a latch suppressed.
        Decisions that act are logged when they are carried out."""
        if decision.verdict == Verdict.LATCHED:
            self._suppressed(decision)
        elif decision.verdict != Verdict.ACT:
            self.decision(decision, observed)

    def _suppressed(self, decision: Decision) -> None:
        if self.dry_run:
            return
        for entry in decision.records.audit:
            log.info("transition_suppressed", endpoint=entry.endpoint, action=entry.action, reason=decision.reason)

    def observations(self, observations: Mapping[str, Observation]) -> None:
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

    def guard_stops(self, records: Records) -> None:
        """The guard's new latches, each with what it saves (its audit entry's detail)."""
        saves = {e.endpoint: e.detail for e in records.audit if e.result == "latched"}
        for latch in records.add_latches:
            log.warning(
                "guard_stop",
                endpoint=latch.endpoint,
                action=latch.action,
                reason=latch.reason,
                saved=saves.get(latch.endpoint, ""),
                until=latch.until.isoformat(),
                dry_run=self.dry_run,
            )

    def alerts(self, alerts: Iterable[Alert], *, dry_run: bool) -> None:
        for alert in alerts:
            log.warning("alert", kind=alert.kind.value, subject=alert.subject, message=alert.message, dry_run=dry_run)

    def _event(self, level: str, event: str, decision: Decision, observed: Observation | None) -> None:
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
