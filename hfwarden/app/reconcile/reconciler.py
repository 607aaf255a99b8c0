"""One pass: gather → standing → decide → guard → carry out → record. The core decides (the guard from
what the decisions' calls are expected to bring); the pass gathers, writes the guard's latches, sends
every call as one ordered list (core/pacing.py) and writes the rest in one transaction at the end. An
action done but not recorded when the process dies is found "already" done next pass."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from hfwarden.adapters.endpoints_api import EndpointsApi
from hfwarden.adapters.prices import PriceBook
from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.act import Actor
from hfwarden.app.reconcile.execute import Executor
from hfwarden.app.reconcile.ledger import Ledger
from hfwarden.app.reconcile.logbook import Logbook
from hfwarden.app.reconcile.mode import PassMode
from hfwarden.app.reconcile.observe import Observer
from hfwarden.app.reconcile.record import FENCE_FRESH_S, Recorder
from hfwarden.app.reconcile.report import PassReport
from hfwarden.app.reconcile.spend import SpendView
from hfwarden.app.reconcile.standing import endpoint_decisions, stored_standing
from hfwarden.app.reconcile.steps import Steps
from hfwarden.clock import Clock
from hfwarden.config import Config
from hfwarden.core.expected import expected_answers
from hfwarden.core.guard import guard_decision
from hfwarden.core.standing import standing_at


class Reconciler:
    """Applies schedules and budgets to endpoints. One pass at a time, many API calls at once."""

    def __init__(
        self,
        *,
        config: Config,
        hub: EndpointsApi,  # the Hub adapter, or its in-memory twin (adapters/memory_hub.py)
        store: Store,
        clock: Clock,
        dry_run: bool = False,
        max_concurrency: int = 16,
        gap_after: timedelta = timedelta(minutes=5),
        on_action: Callable[[str, str], None] | None = None,
        stopping: threading.Event | None = None,
        fence_fresh_s: float = FENCE_FRESH_S,
    ) -> None:
        self.config, self.store, self.clock = config, store, clock
        self.mode = PassMode.DRY_RUN if dry_run else PassMode.ACT  # what `run_pass` does; `assess` reads only
        self.prices = PriceBook(store=store, overrides=config.pricing)
        logbook = Logbook(dry_run=dry_run)
        sinks = lambda: self.config.alerts.sinks  # noqa: E731 - read at each write: a reload changes them
        self.recorder = Recorder(
            store, logbook, sinks=sinks, dry_run=dry_run, on_action=on_action, fence_fresh_s=fence_fresh_s
        )
        self.executor = Executor(
            hub, clock=clock, max_concurrency=max_concurrency, stopping=stopping, before_call=self.recorder.check_fence
        )
        self.observer = Observer(self.executor, store, self.prices, logbook, clock=clock, gap_after=gap_after)
        self.actor = Actor(self.executor, self.observer, self.recorder, logbook, clock=clock)
        self._lock = threading.Lock()

    @property
    def ledger(self) -> Ledger:
        """The spend ledger this process keeps (a scratch copy during a read-only pass)."""
        return self.observer.ledger

    @property
    def fence(self) -> tuple[str, int] | None:
        """The lease (holder, generation) this process acts under: checked before each call and write."""
        return self.recorder.fence

    @fence.setter
    def fence(self, token: tuple[str, int] | None) -> None:
        self.recorder.fence = token

    def close(self) -> None:
        self.executor.close()

    def set_config(self, config: Config) -> None:
        # `prewarm: auto` leads are compiled by the next pass (the daemon runs one straight after a
        # reload), not here: this runs on the reload thread, beside a pass that updates the start-ups.
        self.config = config
        self.prices.overrides = dict(config.pricing)

    def run_pass(self) -> PassReport:
        """Observe, decide, act; record everything. Never raises for one endpoint's or namespace's trouble."""
        with self._lock, self.executor.deadlines.within_pass():
            return self._pass(self.mode)

    def assess(self) -> PassReport:
        """Observe and compute every figure, changing nothing anywhere (for `hfwarden status`)."""
        with self._lock, self.executor.deadlines.within_pass():
            return self._pass(PassMode.READ_ONLY)

    def _pass(self, mode: PassMode) -> PassReport:
        now = self.clock.now()
        sight = self.observer.observe(self.config, now, mode=mode)
        config = self._with_leads(self.config, now).expanded(sight.observations)  # `match:`: the endpoints seen
        schedules = {e.key: e for e in config.endpoints}
        stored = stored_standing(self.store, now)
        at = standing_at(stored, schedules=schedules, observations=sight.observations, now=now, lifting=mode.writes)
        decisions = endpoint_decisions(config, at, sight, self.store.last_applied(), now=now) if mode.writes else []
        acting = [d for d in (*decisions, *at.restores) if d.steps] if mode.writes else []
        expected = {**sight.observations, **expected_answers(sight.observations, acting)}  # the guard decides first
        spend = SpendView(self.ledger, self.prices, self.actor.months)
        spent = spend.spend(config, expected, now)
        guard = guard_decision(config.budgets, schedules, expected, spent, at.standing, now=now)
        scheduled, stopped = self.actor.act(decisions, at.restores, guard, sight.observations, mode, now)
        steps = Steps(sight, at, decisions, scheduled, guard, stopped, enforced=mode.sends)
        return self.actor.record(steps, mode, config, spend, now)

    def _with_leads(self, config: Config, now: datetime) -> Config:
        """The config with `prewarm: auto` leads as measured now (kept unless a reload replaced it)."""
        effective = self.observer.startups.with_leads(config, now)
        if self.config is config:
            self.config = effective
        return effective
