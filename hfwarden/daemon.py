"""The daemon: wires settings, config, Hub, store and scheduler; owns the tick, signals and reloads.

APScheduler wakes, the reconciler decides: a date job at the next fire time of any rule (its listing
taken just before) and an interval tick run the same pass on a single-thread executor: no overlap."""

from __future__ import annotations

import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

import httpx
from apscheduler.executors.pool import ThreadPoolExecutor as JobExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from hfwarden.adapters.alerts import Deliverer
from hfwarden.adapters.malloc import limit_arenas
from hfwarden.adapters.sinks.delivery import deliver_now
from hfwarden.adapters.store import StateLost, Store, lease_holder_id
from hfwarden.app.learn.wiring import learning_job
from hfwarden.app.ops.wiring import build_pass
from hfwarden.app.reconcile.reconciler import Reconciler
from hfwarden.app.reconcile.report import PassReport
from hfwarden.clock import Clock, SystemClock
from hfwarden.config import Config, ConfigError, load_config
from hfwarden.config.fingerprint import config_fingerprint as config_fingerprint
from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.endpoints import MOVING_STATES
from hfwarden.core.rules import next_transition
from hfwarden.logs import get_logger
from hfwarden.metrics import Metrics, PassCollector
from hfwarden.serving import HttpServer
from hfwarden.settings import Settings
from hfwarden.web.app import PageSource
from hfwarden.web.app import build_app as build_web_app
from hfwarden.web.people import PeopleRoutes, WriteSource
from hfwarden.web.probes import Liveness

log = get_logger("hfwarden.daemon")
# A wake-up may come a hair early by the scheduler's clock; wait at most this long for the fire time.
MAX_EARLY_WAKE_S = 1.0
# The wake pass's listing is taken this long before it, so that its calls go out at the fire time.
PREFETCH_LEAD_S = 2.0


class Daemon:
    """hfwarden running: one reconciler, woken by APScheduler, stopped by SIGTERM, reloaded by SIGHUP."""

    def __init__(
        self,
        settings: Settings,
        config_paths: list[Path],
        config: Config,
        *,
        clock: Clock | None = None,
        store: Store | None = None,
    ) -> None:
        self.settings = settings
        self.config_paths = config_paths
        self.clock = clock or SystemClock()
        self.stopping = threading.Event()
        self._reload_requested = threading.Event()
        self.store = store or Store(settings.database_url, migrate_apart=True)
        self.metrics = Metrics()
        # Learning (`learn:`) runs on its own thread; the pass runs the file's config with adopted schedules.
        self.learning = learning_job(self, config)
        self.reconciler = self._reconciler(self.learning.applied(config))
        self.deliverer = Deliverer(
            self.store,
            config.alerts,
            self.clock,
            is_leader=lambda: self.leader is True,  # the lease state each pass renews: a standby sends nothing
            on_failure=self.metrics.observe_delivery_failure,
        )
        self.liveness = Liveness(
            tick_seconds=settings.tick_seconds,
            stale_after_seconds=settings.stale_after_seconds,
            started_at=time.monotonic(),
            config_loaded=True,
        )
        self.last_success_wall: float | None = None
        self.metrics.registry.register(
            PassCollector(
                lambda: self.last_pass, lambda: self.last_success_wall, self.store.outbox_depth, self.clock.now
            )
        )
        self.http: HttpServer | None = None
        self.holder = lease_holder_id()
        self.leader: bool | None = None  # unknown until the first pass
        self._deliverer_thread: threading.Thread | None = None
        self._fingerprint = config_fingerprint(config_paths)
        self._scheduler: BackgroundScheduler | None = None
        self.last_pass: PassReport | None = None
        self.last_pass_completed_at: float | None = None  # monotonic
        self.passes = 0
        self.exit_code = 0

    def _reconciler(self, config: Config) -> Reconciler:
        reconciler = build_pass(
            self.settings,
            config,
            self.store,
            clock=self.clock,
            dry_run=self.settings.dry_run,
            stopping=self.stopping,
            on_call=self.metrics.observe_call,
            on_retry=self.metrics.observe_retry,
            on_action=self.metrics.observe_action,
        )
        quota = getattr(reconciler.executor.hub, "quota_remaining", None)  # the Hub adapter's, not a twin's
        if quota is not None:
            self.metrics.watch_quota(quota)
        return reconciler

    @property
    def config(self) -> Config:
        return self.reconciler.config

    # -- passes -----------------------------------------------------------------------------------

    def run_pass(self) -> PassReport:
        started = time.monotonic()
        try:
            leader = self._hold_lease()
            report = self.reconciler.run_pass() if leader else self.reconciler.assess()
        except Exception as exc:
            # A pass that breaks (store down, a bug) is logged and the loop lives on to the next tick.
            self.metrics.pass_failures.inc()
            log.exception("pass_crashed")
            if isinstance(exc, StateLost):  # the state file is gone: stop, a supervisor restart is the safe way on
                self.exit_code = 3
                self._alert_state_lost(str(exc))
                self.request_stop()
            raise
        self.last_pass = report
        self.last_pass_completed_at = time.monotonic()
        self.liveness.last_pass_completed_at = self.last_pass_completed_at
        self.last_success_wall = self.clock.now().timestamp()
        self.metrics.pass_duration.observe(self.last_pass_completed_at - started)
        self.metrics.observe_startups(report)
        self.passes += 1
        log.debug(
            "pass_done",
            seconds=round(self.last_pass_completed_at - started, 3),
            observed=report.observed,
            acted=len(report.acted),
            failed=len(report.failed),
        )
        self._schedule_wake()
        self._schedule_follow_up(report)
        return report

    def _alert_state_lost(self, why: str) -> None:
        """Straight to the sinks: the outbox went with the store."""
        now = self.clock.now()
        message = f"hfwarden stopped: its state store is gone ({why}); latches and today's ledger went with it"
        alert = Alert(AlertKind.STATE_LOST, "state", now.date(), message)
        with httpx.Client(timeout=5) as client:
            taken = deliver_now(self.config.alerts, alert, now=now, client=client)
        log.error("state_lost_alerted", sinks=len(self.config.alerts.sinks), delivered=taken)

    def _hold_lease(self) -> bool:
        """Take or renew the lease; only its holder acts, another process on the same state stands by."""
        ttl = timedelta(seconds=self.settings.lease_ttl_seconds)
        generation = self.store.acquire_lease(self.holder, now=self.clock.now(), ttl=ttl)
        leader = generation is not None
        # The pass checks this fencing token before each call and in the transaction that records them.
        self.reconciler.fence = (self.holder, generation) if generation is not None else None
        if leader != self.leader:
            if leader:
                log.info("lease_acquired", holder=self.holder)
            else:
                log.warning(
                    "lease_standby", holder=self.holder, held_by=self.store.lease_holder(), action="observe only"
                )
        self.leader = leader
        self.metrics.leader.set(1 if leader else 0)
        return leader

    def _safe_pass(self) -> None:
        if self.stopping.is_set():
            return
        try:
            self.run_pass()
        except Exception:  # already logged; the scheduler must keep ticking
            return

    def _wake_pass(self, fire_at: datetime) -> None:
        early = (fire_at - self.clock.now()).total_seconds()
        if 0 < early <= MAX_EARLY_WAKE_S:
            self.stopping.wait(early)
        self._safe_pass()

    def next_fire_time(self) -> datetime | None:
        now = self.clock.now()
        upcoming = [t.at for e in self.config.timed if (t := next_transition(e, now)) is not None]
        return min(upcoming) if upcoming else None

    def _schedule_wake(self) -> None:
        scheduler = self._scheduler
        fire_at = self.next_fire_time()
        if scheduler is None or fire_at is None or self.stopping.is_set():
            return
        scheduler.add_job(
            self._wake_pass,
            DateTrigger(run_date=fire_at),
            args=[fire_at],
            id="wake",
            replace_existing=True,
            misfire_grace_time=None,
        )
        if (prefetch_at := fire_at - timedelta(seconds=PREFETCH_LEAD_S)) > self.clock.now():
            job = {"id": "prefetch", "replace_existing": True, "misfire_grace_time": 1}  # late: the pass lists
            scheduler.add_job(self._prefetch, DateTrigger(run_date=prefetch_at), [fire_at], **job)

    def _prefetch(self, fire_at: datetime) -> None:
        """The wake pass's listing, waited for until its fire time at most; the lease holder's only."""
        if self.leader is True and not self.stopping.is_set():  # a namespace that fails: the pass lists again
            self.reconciler.observer.prefetch(self.reconciler.config, until=fire_at)

    def _schedule_follow_up(self, report: PassReport) -> None:
        """While an endpoint is starting or updating, look again soon: the ledger places the start of
        billing exactly only if it sees `initializing`, and the schedule waits for a stable state."""
        scheduler = self._scheduler
        if scheduler is None or self.stopping.is_set():
            return
        if not any(o.state in MOVING_STATES for o in report.observations.values()):
            return
        if self.settings.follow_up_seconds >= self.settings.tick_seconds:
            return
        scheduler.add_job(
            self._safe_pass,
            DateTrigger(run_date=self.clock.now() + timedelta(seconds=self.settings.follow_up_seconds)),
            id="follow-up",
            replace_existing=True,
            misfire_grace_time=None,
        )

    # -- reloads ----------------------------------------------------------------------------------

    def reload(self, reason: str) -> bool:
        """Swap in the schedule files as they are now; keep the running config if they are invalid."""
        # Loaded on a helper thread, so that SIGTERM during a slow load still stops the daemon: the
        # main thread keeps watching `stopping`, and an abandoned load is a daemon thread.
        outcome: list[Config | Exception] = []

        def load() -> None:
            try:
                outcome.append(load_config(self.config_paths))
            except Exception as exc:  # any failure to load keeps the running config
                outcome.append(exc)

        loader = threading.Thread(target=load, name="hfwarden-reload", daemon=True)
        loader.start()
        while loader.is_alive() and not self.stopping.is_set():
            loader.join(0.2)
        if not outcome:
            log.warning("reload_abandoned", reason=reason, why="stopping")
            return False
        config = outcome[0]
        if isinstance(config, Exception):
            problems = [str(p) for p in config.problems] if isinstance(config, ConfigError) else [repr(config)]
            log.error("reload_refused", reason=reason, problems=problems, kept="previous")
            self._fingerprint = config_fingerprint(self.config_paths)
            return False
        for warning in config.warnings:
            log.warning("config_warning", problem=str(warning))
        self.reconciler.set_config(self.learning.applied(config))
        self.reconciler.actor.refusals.reloaded()  # credits may have been added: refused endpoints retried now
        self.deliverer.targets = config.alerts
        self._fingerprint = config_fingerprint(self.config_paths)
        log.info("config_reloaded", reason=reason, endpoints=len(config.endpoints), files=len(config.sources))
        if self._scheduler is not None:
            self._scheduler.add_job(self._safe_pass, id="after-reload", replace_existing=True)
        return True

    def _poll_config(self) -> None:
        if config_fingerprint(self.config_paths) != self._fingerprint:
            self._reload_requested.set()

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the scheduler: a pass now, then every tick and at every fire time."""
        scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": JobExecutor(1), "config": JobExecutor(1), "learn": JobExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        self._scheduler = scheduler
        scheduler.add_job(
            self._safe_pass,
            IntervalTrigger(seconds=self.settings.tick_seconds, timezone=UTC),
            id="tick",
            next_run_time=self.clock.now(),
            misfire_grace_time=None,
        )
        scheduler.add_job(
            self._poll_config,
            IntervalTrigger(seconds=self.settings.reload_poll_seconds, timezone=UTC),
            id="config-poll",
            executor="config",
            next_run_time=self.clock.now() + timedelta(seconds=self.settings.reload_poll_seconds),
        )
        # Learning ticks on its own executor, never the pass's (app/learn/job.py).
        every = min(self.settings.tick_seconds, 60.0)
        scheduler.add_job(self.learning.tick, IntervalTrigger(seconds=every), id="learn", executor="learn")
        if self.settings.http_port is not None:
            self.http = HttpServer(
                build_web_app(
                    self.liveness,
                    self.metrics.registry,
                    self.store.health,
                    PageSource(
                        lambda: self.last_pass,
                        lambda: self.config,
                        self.store,
                        self.clock,
                        lambda: self.reconciler.ledger,  # a standby's is a fresh scratch copy each pass
                        writable=self.settings.ui_token_value() is not None,
                    ),
                    ui_token=self.settings.ui_token_value(),
                    people=PeopleRoutes(WriteSource(self.settings, lambda: self.config, self.store, self.clock)),
                ),
                host=self.settings.http_host,
                port=self.settings.http_port,
            )
            self.http.start()
        scheduler.start()
        self._deliverer_thread = threading.Thread(
            target=self.deliverer.run, args=(self.stopping,), name="hfwarden-alerts", daemon=True
        )
        self._deliverer_thread.start()
        log.info(
            "daemon_started",
            endpoints=len(self.config.endpoints),
            namespaces=list(self.config.namespaces),
            tick_seconds=self.settings.tick_seconds,
            dry_run=self.settings.dry_run,
            state=repr(self.store),
            http=self.http.base_url if self.http else None,
        )

    def request_stop(self) -> None:
        self.stopping.set()

    def request_reload(self) -> None:
        self._reload_requested.set()

    def wait(self) -> None:
        """Block until asked to stop, handling reload requests on this thread."""
        while not self.stopping.is_set():
            if self._reload_requested.wait(0.2):
                self._reload_requested.clear()
                self.reload("signal or file change")

    def stop(self) -> None:
        """Finish the pass in flight (back-off sleeps are cut short), then release everything."""
        self.stopping.set()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
        self.reconciler.close()
        self.learning.close()
        self.store.give_up_lease(self.holder)
        if self.http is not None:
            self.http.stop()
        if self._deliverer_thread is not None:
            # A delivery hanging on a dead sink is not waited out: its row stays in the outbox and is
            # sent again after the restart (receivers drop repeats by X-Hfwarden-Delivery).
            self._deliverer_thread.join(2)
        self.deliverer.close()
        self.store.close()
        log.info("daemon_stopped", passes=self.passes)

    def run_forever(self) -> int:
        """The `hfwarden run` main loop, with SIGTERM/SIGINT to stop and SIGHUP to reload."""

        def on_stop(signum: int, _frame: FrameType | None) -> None:
            log.info("signal", signal=signal.Signals(signum).name, action="stop after the pass in flight")
            self.request_stop()

        def on_hup(_signum: int, _frame: FrameType | None) -> None:
            self.request_reload()

        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGINT, on_stop)
        signal.signal(signal.SIGHUP, on_hup)
        limit_arenas()  # before the scheduler's and the calls' threads: the daemon's RSS (adapters/malloc.py)
        self.start()
        try:
            self.wait()
        finally:
            self.stop()
        return self.exit_code
