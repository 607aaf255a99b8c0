"""Carrying decisions out: their steps through the Hub adapter on a bounded pool, and the answers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from hfwarden.adapters.endpoints_api import EndpointsApi
from hfwarden.adapters.hub import Deferred, HubError
from hfwarden.adapters.store import LeaseLost
from hfwarden.app.reconcile.deadlines import Listing, PassDeadlines
from hfwarden.app.reconcile.windowed import in_window
from hfwarden.clock import Clock
from hfwarden.core.decide import Decision
from hfwarden.core.endpoints import Observation
from hfwarden.core.pacing import in_turn
from hfwarden.core.scaling import conflict_free
from hfwarden.logs import get_logger

log = get_logger("hfwarden.app.execute")  # the name logs have always carried


@dataclass(frozen=True, slots=True)
class CallResult:
    """What became of one decision's steps: done, failed (with why), or deferred to the next start."""

    decision: Decision
    error: str | None = None
    deferred: bool = False
    answer: Observation | None = None  # what the API said after the last step: newer than the list
    answered_at: datetime | None = None


class Executor:
    """Sends decisions' steps, many endpoints at once, one endpoint's steps in order."""

    def __init__(
        self,
        hub: EndpointsApi,
        *,
        clock: Clock,
        max_concurrency: int,
        stopping: threading.Event | None = None,
        before_call: Callable[[], None] | None = None,
    ) -> None:
        self.hub = hub
        self.clock = clock
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="hfwarden-call")
        self._window = 2 * max_concurrency  # turns submitted and not finished (windowed.py)
        self._before_call = before_call
        self.deadlines = PassDeadlines(hub, lambda ns: self._pool.submit(self.hub.list_endpoints, ns), stopping)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def submit_list(self, namespaces: Sequence[str], wait_s: float | None = None) -> dict[str, Listing]:
        """One list call per namespace, settled by the listing deadline (or `wait_s`); futures by namespace."""
        return self.deadlines.collect(namespaces, wait_s)

    def carry_out(self, decisions: Sequence[Decision], observations: Mapping[str, Observation]) -> list[CallResult]:
        """Every decision with steps, started in the decisions' order, endpoints in parallel; one endpoint's
        decisions one after another, each from the newest answer. Outcomes grouped by endpoint."""
        acting = in_turn([d for d in decisions if d.steps and d.endpoint in observations])
        turns = in_window(self._pool, lambda t: self._in_turn(t, observations[t[0].endpoint]), acting, self._window)
        return [result for turn in turns for result in turn]

    def _in_turn(self, turn: Sequence[Decision], observed: Observation) -> list[CallResult]:
        results: list[CallResult] = []
        for decision in turn:
            results.append(self._one(decision, observed))
            observed = results[-1].answer or observed
        return results

    def _one(self, decision: Decision, observed: Observation) -> CallResult:
        if self.deadlines.past_shutdown_grace():
            # Not started, not recorded: the next start catches it up. SIGTERM must end in seconds.
            log.warning("action_deferred", endpoint=decision.endpoint, action=decision.action, reason="shutting down")
            return CallResult(decision, deferred=True)
        if self._before_call is not None:
            try:
                self._before_call()  # the fencing check: this process may no longer act
            except LeaseLost as exc:
                log.error("action_fenced", endpoint=decision.endpoint, action=decision.action, reason=str(exc))
                return CallResult(decision, deferred=True)
        answer: Observation | None = None
        answered_at: datetime | None = None
        try:
            for step in decision.steps:
                # Against the newest answer: an earlier step of this decision may have moved the spec.
                sendable = conflict_free(step, answer or observed)
                answer = self.hub.apply(observed.namespace, observed.name, sendable)
                answered_at = self.clock.now()
        except Deferred as exc:  # not sent: the pass's deadline passed; the next pass catches it up
            log.warning("action_deferred", endpoint=decision.endpoint, action=decision.action, reason=str(exc))
            return CallResult(decision, deferred=True, answer=answer, answered_at=answered_at)
        except Exception as exc:  # any failure of one call is that call's, never the pass's
            exc = exc if isinstance(exc, HubError) else HubError(f"{decision.endpoint}: {type(exc).__name__}: {exc}")
            log.error(
                "action_failed",
                endpoint=decision.endpoint,
                action=decision.action,
                reason=decision.reason,
                observed=observed.state,
                error=str(exc),
                dry_run=False,
            )
            return CallResult(decision, error=str(exc), answer=answer, answered_at=answered_at)
        log.info(
            "action_applied",
            endpoint=decision.endpoint,
            action=decision.action,
            steps=[s.kind.value for s in decision.steps],
            reason=decision.reason,
            observed=observed.state,
            dry_run=False,
        )
        return CallResult(decision, answer=answer, answered_at=answered_at)
