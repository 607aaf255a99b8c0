"""The one place that builds the Hub adapter and the pass from the settings: the CLI's operations and
the daemon take their pass from here, so that timeouts, retries, concurrency and the fencing check's
freshness are set once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import urlsplit

from hfwarden.adapters.hub import Hub, RetryPolicy, configure_client
from hfwarden.adapters.store import Store, StoreError
from hfwarden.app.reconcile.reconciler import Reconciler
from hfwarden.app.reconcile.record import FENCE_FRESH_S
from hfwarden.clock import Clock
from hfwarden.config import Config
from hfwarden.core.budget import earliest_day_end
from hfwarden.core.offers import ActionLinks
from hfwarden.logs import get_logger
from hfwarden.settings import Settings

log = get_logger("hfwarden.app.ops.wiring")


def build_hub(
    settings: Settings,
    cancel: threading.Event,
    *,
    clock: Clock,
    observer: Callable[[str, str], None] | None = None,
    retry_observer: Callable[[str], None] | None = None,
) -> Hub:
    """The Hub adapter as the settings describe it (URLs, timeouts, retries); the observers count calls."""
    configure_client(
        endpoints_api_url=settings.endpoints_api_url,
        hub_url=settings.hub_url,
        timeout_seconds=settings.http_timeout_seconds,
    )
    return Hub(
        settings.token(),
        retry=RetryPolicy(settings.max_attempts, settings.backoff_base_seconds, settings.backoff_max_seconds),
        cancel=cancel,
        hub_url=settings.hub_url,
        clock=clock,
        observer=observer,
        retry_observer=retry_observer,
        request_deadline_seconds=settings.http_deadline_seconds,
    )


def action_links(settings: Settings) -> ActionLinks | None:
    """Links on notices need both a public URL and a secret; Slack buttons need the links' secret too."""
    secret = settings.action_secret_value()
    if settings.public_url is None or secret is None:
        return None
    return ActionLinks(settings.public_url.rstrip("/"), secret, slack_buttons=settings.slack_secret_value() is not None)


def build_pass(
    settings: Settings,
    config: Config,
    store: Store,
    *,
    clock: Clock,
    dry_run: bool,
    stopping: threading.Event | None = None,
    on_call: Callable[[str, str], None] | None = None,
    on_retry: Callable[[str], None] | None = None,
    on_action: Callable[[str, str], None] | None = None,
) -> Reconciler:
    """The pass over `store`, calling the API as the settings say; `stopping` cancels its calls."""
    cancel = stopping or threading.Event()
    hub = build_hub(settings, cancel, clock=clock, observer=on_call, retry_observer=on_retry)
    reconciler = Reconciler(
        config=config,
        hub=hub,
        store=store,
        clock=clock,
        dry_run=dry_run,
        max_concurrency=settings.max_concurrency,
        on_action=on_action,
        stopping=stopping,
        # A passed fencing check stands for a burst of calls, never for a sizeable part of the lease.
        fence_fresh_s=min(FENCE_FRESH_S, settings.lease_ttl_seconds / 10),
    )
    reconciler.actor.links = action_links(settings)  # signed snooze links on `upcoming_stop` notices
    # After the pass's deadline, calls not started are left for the next pass; after the listing's, a
    # namespace that has not answered is unobservable this pass.
    reconciler.executor.deadlines.pass_s = settings.pass_deadline_seconds
    reconciler.executor.deadlines.list_s = settings.list_deadline_seconds
    # No Retry-After or quota wait outlives the budget day under way (read at each wait: reloads count).
    hub.set_wait_horizon(lambda now: earliest_day_end(reconciler.config.budgets, now))
    if not dry_run:
        keep_api_quota(hub, store, urlsplit(settings.endpoints_api_url).netloc, clock=clock)
    return reconciler


def keep_api_quota(hub: Hub, store: Store, host: str, *, clock: Clock) -> None:
    """An API quota found used up survives a restart: nothing is sent to `host` before its window resets."""
    quota = hub.api_quota()
    until = store.api_quota_until(host)
    if until is not None:
        quota.used_up_until(until.timestamp())

    def keep(resets_at: float) -> None:
        try:
            store.put_api_quota_until(host, datetime.fromtimestamp(resets_at, UTC), since=clock.now())
        except StoreError as exc:  # the pass goes on; a restart may then spend one call to learn it again
            log.warning("api_quota_not_kept", error=str(exc))

    quota.on_used_up = keep


@contextmanager
def assessing_pass(settings: Settings, config: Config, store: Store, *, clock: Clock) -> Iterator[Reconciler]:
    """A pass that changes nothing (for `status`, a release's quote, a hold's quote), closed after use."""
    reconciler = build_pass(settings, config, store, clock=clock, dry_run=True)
    try:
        yield reconciler
    finally:
        reconciler.close()
