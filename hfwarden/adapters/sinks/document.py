"""What an alert looks like on the wire: the versioned JSON document, and one HTTP post of it."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hfwarden.clock import to_z
from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.formats import json_money
from hfwarden.core.offers import Notice
from hfwarden.core.records import PendingAlert

SCHEMA = "hfwarden.alert/v1"

TITLES = {
    AlertKind.SPENT_THRESHOLD: "Spend threshold reached",
    AlertKind.PROJECTED_THRESHOLD: "Projected spend threshold reached",
    AlertKind.GUARD_ACTION: "Budget guard stopped endpoints",
    AlertKind.LATCH_LIFTED: "Budget latch lifted",
    AlertKind.BURN_RATE: "Hourly burn over the limit",
    AlertKind.REPLICA_CAP: "Replica cap exceeded",
    AlertKind.ENDPOINT_FAILED: "Endpoint failing",
    AlertKind.UNKNOWN_PRICE: "Endpoint with no known price",
    AlertKind.LATCH_OVERRIDDEN: "Latched endpoint resumed by hand",
    AlertKind.DRIFT: "Endpoint drifted from its schedule",
    AlertKind.HOLD_PLACED: "Hold placed on an endpoint",
    AlertKind.HOLD_EXPIRED: "Hold expired",
    AlertKind.STATE_LOST: "hfwarden lost its state store and stopped",
    AlertKind.NOT_READY: "Endpoint not running at its ready-by time",
    AlertKind.THRASH: "Endpoint thrashing through cold starts",
    AlertKind.UPCOMING_STOP: "Endpoint about to be stopped",
    AlertKind.SCHEDULE_PROPOSAL: "A learnt schedule is proposed",
    AlertKind.SCHEDULE_ADOPTED: "A learnt schedule was adopted",
    AlertKind.FORECAST_DRIFT: "Demand drifted from what the schedule was learnt for",
    AlertKind.BILLING_BLOCKED: "Endpoint refused for money (credits or spend limit)",
    AlertKind.SPEND_ANOMALY: "Spend well above its usual level",
}


@dataclass(frozen=True)
class Post:
    """One HTTP POST to a sink. The URL is a secret (it carries the Slack token), so repr leaves it out."""

    url: str = field(repr=False)
    body: bytes = field(repr=False)
    headers: dict[str, str] = field(repr=False)


def alert_document(alert: Alert, *, created_at: datetime, alert_id: str | None = None) -> dict[str, Any]:
    """The versioned JSON document (schemas/alert-v1.schema.json) every sink is built from."""
    return {
        "schema": SCHEMA,
        "id": alert_id or str(uuid.uuid4()),
        "kind": alert.kind.value,
        "title": TITLES[alert.kind],
        "created_at": to_z(created_at),
        "day": alert.day.isoformat(),
        "message": alert.message,
        "budget": alert.budget,
        "endpoint": alert.endpoint,
        "threshold": alert.threshold,
        "step": alert.step,
        "daily_usd": _money(alert.daily_usd),
        "spent_usd": _money(alert.spent_usd),
        "projected_usd": _money(alert.projected_usd),
        "actions": [
            {
                "endpoint": stop.endpoint,
                "action": stop.action.value,
                "budget": stop.budget,
                "reason": stop.reason,
                "saved_usd": _money(stop.saved_usd),
                "latched_until": to_z(stop.until),
            }
            for stop in alert.actions
        ],
        **notice_fields(alert),
    }


def notice_fields(alert: Alert) -> dict[str, Any]:
    """`notice` (only on alerts that carry one: absent keeps every other kind's document as it was).
    Slack button values (the tokens) go in `slack_buttons`, read by the Slack sink only."""
    if alert.notice is None:
        return {}
    return {"notice": _notice(alert.notice)} | (
        {"slack_buttons": [{"label": c.label, "value": c.token} for c in alert.notice.choices if c.token]}
        if alert.notice.buttons
        else {}
    )


def _notice(notice: Notice) -> dict[str, Any]:
    return {
        "at": to_z(notice.at),
        "zone": notice.zone,
        "why": notice.why,
        "saved_usd": _money(notice.saved_usd),
        "resume_at": to_z(notice.resume_at) if notice.resume_at else None,
        "choices": [
            {"label": c.label, "action": c.kind.value, "until": to_z(c.until) if c.until else None, "url": c.url}
            for c in notice.choices
        ],
    }


def _money(value: float | None) -> float | None:
    return json_money(value)  # `0.0`, never an integer `0` beside `3.0`


def pending(alert: Alert, *, created_at: datetime) -> PendingAlert:
    document = alert_document(alert, created_at=created_at)
    return PendingAlert(document["id"], alert.dedupe_key, json.dumps(document, sort_keys=True))
