"""The operations the CLI and the daemon share: one pass with its alerts delivered, an assessment,
a release, a day's plan. The CLI parses and renders; the daemon schedules; both call these."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hfwarden.adapters.alerts import Deliverer, pending
from hfwarden.adapters.prices import PriceBook
from hfwarden.adapters.store import NoState, Store, StoreError, lease_holder_id
from hfwarden.app.ops.release import ReleaseError, ReleaseResult, is_known, quote
from hfwarden.app.ops.wiring import assessing_pass, build_pass
from hfwarden.app.reconcile.leads import KEEP_SAMPLES, compile_leads, group_samples
from hfwarden.app.reconcile.mode import PassMode
from hfwarden.app.reconcile.report import PassReport
from hfwarden.app.views.plan import DayPlan, plan_day
from hfwarden.clock import Clock
from hfwarden.config import Config
from hfwarden.core.endpoints import EndpointKey
from hfwarden.core.release import released
from hfwarden.settings import Settings

# How often `run --once` sweeps the outbox while it waits for its alerts to be taken.
DELIVERY_SWEEP_S = 0.2


@dataclass(frozen=True, slots=True)
class OnceResult:
    """`run --once`: the pass (None when another process holds the lease) and the alerts left undelivered."""

    report: PassReport | None
    held_by: str | None = None
    undelivered: int = 0
    preview: bool = False  # a dry run beside the lease holder: decided and logged, nothing written


def run_once(settings: Settings, config: Config, *, clock: Clock) -> OnceResult:
    """Take the lease, run one pass, deliver the alerts waiting in the outbox (bounded), let go."""
    store = Store(settings.database_url)
    holder = lease_holder_id()
    try:
        generation = store.acquire_lease(holder, now=clock.now(), ttl=timedelta(seconds=settings.lease_ttl_seconds))
        if generation is None:
            held_by = store.lease_holder()
            if settings.dry_run:
                return OnceResult(preview(settings, config, store, clock), held_by=held_by, preview=True)
            return OnceResult(None, held_by=held_by)
        try:
            reconciler = build_pass(settings, config, store, clock=clock, dry_run=settings.dry_run)
            reconciler.fence = (holder, generation)
            try:
                report = reconciler.run_pass()
            finally:
                reconciler.close()
            undelivered = deliver_waiting(store, config, clock, report.enqueued, settings.once_delivery_seconds)
            return OnceResult(report, undelivered=undelivered)
        finally:
            store.give_up_lease(holder)
    finally:
        store.close()


def preview(settings: Settings, config: Config, store: Store, clock: Clock) -> PassReport:
    """A dry-run pass that writes nothing, for beside a daemon that holds the lease."""
    with assessing_pass(settings, config, store, clock=clock) as reconciler:
        reconciler.mode = PassMode.PREVIEW  # decides as a dry run, writes nothing
        return reconciler.run_pass()


def deliver_waiting(
    store: Store, config: Config, clock: Clock, alert_ids: Collection[str], within_seconds: float
) -> int:
    """Sweep the outbox until these alerts are delivered or `within_seconds` have passed; how many
    of their deliveries are left (kept in the outbox for the daemon)."""
    deliverer = Deliverer(store, config.alerts, clock, is_leader=lambda: True)  # called while holding the lease
    deadline = time.monotonic() + within_seconds
    try:
        while store.waiting(alert_ids) and time.monotonic() < deadline:
            if not deliverer.deliver_due():
                time.sleep(DELIVERY_SWEEP_S)
        return store.waiting(alert_ids)
    finally:
        deliverer.close()


def assess(settings: Settings, config: Config, *, clock: Clock) -> PassReport:
    """Observe and compute every figure `status` shows, changing nothing. Before any hfwarden ran on the
    state, the live endpoints and prices still show, through a scratch store thrown away afterwards
    (the report says spend is not tracked): a first command should work, and must not create state."""
    with tempfile.TemporaryDirectory(prefix="hfwarden-status-") as scratch:
        try:
            store, tracked = Store.open_existing(settings.database_url), True
        except NoState:
            store, tracked = Store(f"sqlite:///{Path(scratch) / 'scratch.db'}"), False
        try:
            with assessing_pass(settings, config, store, clock=clock) as reconciler:
                return replace(reconciler.assess(), spend_tracked=tracked)
        finally:
            store.close()


def release(settings: Settings, config: Config, endpoint: str, *, clock: Clock) -> ReleaseResult:
    """Lift a budget latch: the endpoint becomes exempt from that budget's guard until the latch would
    have lifted, with a quote of what that costs (one read-only pass); audited and alerted.
    ReleaseError for a name that is not NAMESPACE/NAME or an endpoint the config does not know."""
    try:
        key = str(EndpointKey.parse(endpoint))
    except ValueError as exc:
        raise ReleaseError(str(exc)) from None
    known = is_known(config, key)
    try:
        store = Store.open_existing(settings.database_url)
    except StoreError as exc:
        if known:
            raise
        why = f"{key} is not an endpoint of this configuration, and no state says it is latched ({exc})"
        raise ReleaseError(why) from None
    try:
        store.expire_cap(key, at=clock.now())  # a ladder cap lifts at the next pass, which restores its sizes
        latch = store.latches().get(key)
        if latch is None:
            if not known:
                raise ReleaseError(f"{key} is not an endpoint of this configuration (nor latched)")
            return ReleaseResult(None)
        with assessing_pass(settings, config, store, clock=clock) as reconciler:
            figures, failed = quote(reconciler, latch)
        now = clock.now()
        exemption, entry, alert = released(latch, figures, now=now)
        store.release_latch(
            exemption, audit=[entry], alerts=[pending(alert, created_at=now)], sinks=config.alerts.sinks, now=now
        )
        return ReleaseResult(latch, figures, failed)
    finally:
        store.close()


def plan(settings: Settings, config: Config, *, day: date | None, clock: Clock) -> DayPlan:
    """A day's plan; reads what the daemon learnt (API prices, observed instances) if there is a state
    store, and creates none."""
    store = Store(settings.database_url) if settings.state_exists else None
    try:
        prices = PriceBook(store=store, overrides=config.pricing)
        last_prices = {k: o.price_per_hour for k, o in store.open_segments().items()} if store else {}
        now = clock.now()
        # `prewarm: auto` leads from every start-up measured so far, as the daemon will compute them
        # for that day's openings (as of the day's end: a lead counts start-ups up to its opening).
        measured = store.startup_samples(per_endpoint=KEEP_SAMPLES, since=now) if store else []
        planned = day or now.astimezone(UTC).date()
        as_of = max(now, datetime(planned.year, planned.month, planned.day, tzinfo=UTC) + timedelta(days=2))
        config, leads = compile_leads(config, *group_samples(measured), as_of)
        # `match:` entries cover what the daemon last observed (the ledger's open segments).
        config = config.expanded(last_prices)
        day_plan = plan_day(config, prices=prices, last_prices=last_prices, day=day, now=now)
        return replace(day_plan, leads=leads)
    finally:
        if store is not None:
            store.close()
