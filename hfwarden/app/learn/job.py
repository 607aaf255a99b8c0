"""The daemon's learning job: on its own thread, never in the pass. Each tick it puts adopted
schedules in force (or marks them superseded when the file's entry changed), learns the endpoints
whose `every:` has come round, and tracks how far demand drifts from what was learnt."""

from __future__ import annotations

import multiprocessing
import pickle
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from datetime import datetime

from hfwarden.adapters.prometheus import PrometheusError
from hfwarden.adapters.store import Store
from hfwarden.adapters.store.proposals import LearningState, Notes
from hfwarden.app.demand import Demand
from hfwarden.app.learn.adopted import Applied, with_adopted
from hfwarden.app.learn.bridge import Learning, Proposed, propose
from hfwarden.app.learn.cycle import Cycle, DemandSource, LearningError, run_cycle
from hfwarden.app.learn.drift import FORECAST_EVERY, track_forecast
from hfwarden.app.learn.notes import proposal_audit
from hfwarden.clock import Clock
from hfwarden.config import Config
from hfwarden.core.learning import LearnPlan, ProposalStatus
from hfwarden.core.rules import EndpointSchedule
from hfwarden.logs import get_logger

log = get_logger("hfwarden.learn")


def learnt_endpoints(config: Config, plan: LearnPlan, observed: Iterable[str]) -> list[str]:
    """The endpoints a plan learns: its own, or every observed one its `match:` covers (and no
    explicit entry claims)."""
    if config.endpoint(plan.endpoint) is not None:
        return [plan.endpoint]
    match = next((m for m in config.matches if m.label == plan.endpoint), None)
    if match is None:
        return []
    return sorted(k for k in set(observed) if match.covers(k) and config.endpoint(k) is None)


def next_learning(plan: LearnPlan, state: LearningState | None, now: datetime) -> datetime:
    """When the plan's endpoint learns next: `every` after its last cycle, or now if it never did."""
    if state is None or state.last_run_at is None:
        return now
    return max(now, state.last_run_at + plan.every) if state.last_error is None else state.last_run_at + plan.every


class LearningJob:
    """One per daemon. `applied()` is what the reconciler runs; `tick()` runs on the learning thread."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        file_config: Config,
        *,
        fetch: DemandSource,
        apply: Callable[[Config], None],
        observed: Callable[[], Iterable[str]],
    ) -> None:
        self.store = store
        self.clock = clock
        self.file_config = file_config
        self.fetch = fetch
        self.apply = apply
        self.observed = observed
        self._lock = threading.Lock()
        self._in_force: tuple[int, ...] = ()
        self.cycles = 0
        self._pool: ProcessPoolExecutor | None = None

    def compute(self, demand: Demand, how: Learning, current: EndpointSchedule | None) -> Proposed:
        """`propose` in a worker process: learning is seconds of pure-Python CPU, and in a thread it would
        hold the GIL against the pass (a due transition would wait). In-process if it cannot go there."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        try:
            return self._pool.submit(propose, demand, how, current).result()
        except (pickle.PicklingError, TypeError, AttributeError, BrokenProcessPool) as exc:
            log.warning("learning_in_process", why=type(exc).__name__)
            return propose(demand, how, current)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def applied(self, file_config: Config | None = None) -> Config:
        """The file's config (a new one after a reload) with adopted schedules in force; adopted
        proposals whose entry changed in the file are superseded (audited)."""
        with self._lock:
            if file_config is not None:
                self.file_config = file_config
            result = with_adopted(self.file_config, self.store.proposals(statuses=[ProposalStatus.ADOPTED]))
            self._supersede(result)
            self._in_force = tuple(p.id for p in result.adopted)
            return result.config

    def _supersede(self, result: Applied) -> None:
        now = self.clock.now()
        for proposal in result.superseded:
            gone = replace(proposal, status=ProposalStatus.SUPERSEDED)
            why = "the schedule file's entry changed: the file wins"
            notes = Notes(audit=proposal_audit(gone, at=now, why=why))
            self.store.decide_proposal(proposal.id, ProposalStatus.SUPERSEDED, now=now, reason=why, notes=notes)
            log.info("proposal_superseded", endpoint=proposal.endpoint, proposal=proposal.id)

    def refresh(self) -> None:
        """Put in force what `adopt`/`revert` changed in the store since the last look."""
        adopted = tuple(p.id for p in self.store.proposals(statuses=[ProposalStatus.ADOPTED]))
        if adopted != self._in_force:
            self.apply(self.applied())
            log.info("adopted_schedules_applied", proposals=list(self._in_force))

    def tick(self) -> None:
        """Refresh adopted schedules, then learn whatever is due. Never raises."""
        try:
            self.refresh()
            states = self.store.learning_states()
            config = self.file_config
            for plan in config.learn:
                for key in learnt_endpoints(config, plan, self.observed()):
                    self._learn_if_due(plan, key, states.get(key))
        except Exception:  # the learning job must never take the daemon down
            log.exception("learning_crashed")

    def _learn_if_due(self, plan: LearnPlan, key: str, state: LearningState | None) -> None:
        now = self.clock.now()
        if state is None or state.checked_at is None or now - state.checked_at >= FORECAST_EVERY:
            state = track_forecast(
                self.store, plan, key, state, self.fetch, now=now, sinks=self.file_config.alerts.sinks
            )
        if next_learning(plan, state, now) > now:
            return
        error = None
        try:
            cycle = Cycle(self.file_config, self.applied(), plan, key, now)
            proposal = run_cycle(cycle, self.store, self.fetch, self.compute)
            if proposal is not None and proposal.status == ProposalStatus.ADOPTED:
                self.apply(self.applied())
            log.info("learnt", endpoint=key, proposal=proposal.id if proposal else None,
                     status=proposal.status.value if proposal else "unchanged")  # fmt: skip
        except (LearningError, PrometheusError, ValueError) as exc:
            error = str(exc)
            log.warning("learning_failed", endpoint=key, why=error)
        self.cycles += 1
        base = state or LearningState(key)
        self.store.save_learning_state(replace(base, last_run_at=now, last_error=error), now=now)
