"""An alert, sinks and a deliverer for the outbox tests (respx stands in for the receivers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from pydantic import SecretStr

from hfwarden.adapters.alerts import Deliverer, DeliveryPolicy, pending
from hfwarden.adapters.store import Store
from hfwarden.clock import ManualClock
from hfwarden.config.loader import AlertTargets, Webhook
from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.budget import BreachAction, StopDecision

REPO = Path(__file__).resolve().parents[2]


NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


SLACK = "https://hooks.slack.com/services/T000/B000/not-a-real-one"


HOOK = "https://ops.example.com/hfwarden"


SECRET = "a-shared-secret-of-some-length"


TARGETS = AlertTargets(
    slack_webhook_url=SecretStr(SLACK), webhooks=(Webhook("ops", SecretStr(HOOK), SecretStr(SECRET)),)
)


GUARD = Alert(
    AlertKind.GUARD_ACTION,
    "acme-prod",
    date(2026, 1, 5),
    "acme-prod: projected $180.00 passes the daily budget $150.00; stopped acme/chat, saving $42.00 by end of day",
    budget="acme-prod",
    daily_usd=150.0,
    spent_usd=90.0,
    projected_usd=180.0,
    actions=(
        StopDecision(
            "acme/chat",
            BreachAction.PAUSE,
            "acme-prod",
            "budget acme-prod: projected over",
            42.0,
            datetime(2026, 1, 6, 5, 0, tzinfo=UTC),
        ),
    ),
)


def enqueue(store: Store, alert: Alert = GUARD) -> None:
    store.commit(alerts=[pending(alert, created_at=NOW)], sinks=TARGETS.sinks, now=NOW)


def leading() -> bool:
    return True


def deliverer(store: Store, clock: ManualClock, *, is_leader: Callable[[], bool] = leading) -> Deliverer:
    return Deliverer(
        store,
        TARGETS,
        clock,
        is_leader=is_leader,
        policy=DeliveryPolicy(base_seconds=1, max_seconds=60),
        client=httpx.Client(),
    )
