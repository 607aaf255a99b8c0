"""Carrying decisions out: their steps through the Hub adapter on a bounded pool, and the answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from hfwarden.adapters.endpoints_api import EndpointsApi
from hfwarden.adapters.hub import HubError
from hfwarden.adapters.store import LeaseLost
from hfwarden.clock import Clock
from hfwarden.core.decide import Decision
from hfwarden.core.endpoints import Observation
from hfwarden.core.scaling import conflict_free
from hfwarden.logs import get_logger

log = get_logger("hfwarden.app.execute")  # the name logs have always carried
# After SIGTERM, actions already under way finish; ones not started after this long wait for the next start.
SHUTDOWN_GRACE_S = 4.0


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
        self._stopping = stopping
        self._stop_seen: float | None = None
        self._before_call = before_call

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def submit_list(self, namespaces: Sequence[str]) -> dict[str, Future[list[Observation]]]:
        """Start one list call per namespace; the futures by namespace."""
        return {ns: self._pool.submit(self.hub.list_endpoints, ns) for ns in namespaces}

    def carry_out(self, decisions: Sequence[Decision], observations: Mapping[str, Observation]) -> list[CallResult]:
        """Every decision with steps, in parallel; outcomes in the decisions' order."""
        acting = [d for d in decisions if d.steps and d.endpoint in observations]
        futures = [self._pool.submit(self._one, d, observations[d.endpoint]) for d in acting]
        return [f.result() for f in futures]

    def _one(self, decision: Decision, observed: Observation) -> CallResult:
        if self._past_shutdown_grace():
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
        except HubError as exc:
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

    def _past_shutdown_grace(self) -> bool:
        if self._stopping is None or not self._stopping.is_set():
            return False
        now = time.monotonic()
        if self._stop_seen is None:
            self._stop_seen = now
        return now - self._stop_seen > SHUTDOWN_GRACE_S
