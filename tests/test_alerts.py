"""Alert payloads, signatures and the outbox, with respx standing in for Slack and webhook receivers."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import jsonschema
import pytest
import respx

from hfwarden.adapters.alerts import Deliverer, alert_document, signature, slack_message
from hfwarden.adapters.store import Store
from hfwarden.clock import ManualClock
from hfwarden.config.loader import AlertTargets
from hfwarden.core.alerts import Alert, AlertKind
from tests.support.alerts import GUARD, HOOK, NOW, REPO, SECRET, SLACK, TARGETS, deliverer, enqueue, leading


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'state.db'}")
    yield s
    s.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


def test_the_document_matches_its_published_schema() -> None:
    schema = json.loads((REPO / "schemas" / "alert-v1.schema.json").read_text())
    document = alert_document(GUARD, created_at=NOW)
    jsonschema.validate(document, schema)
    assert document["actions"][0] == {
        "endpoint": "acme/chat",
        "action": "pause",
        "budget": "acme-prod",
        "reason": "budget acme-prod: projected over",
        "saved_usd": 42.0,
        "latched_until": "2026-01-06T05:00:00.000Z",
    }


def test_slack_message_is_block_kit_and_glanceable() -> None:
    message = slack_message(alert_document(GUARD, created_at=NOW))
    assert message["text"].startswith("hfwarden: acme-prod")
    kinds = [b["type"] for b in message["blocks"]]
    assert kinds == ["header", "section", "section", "section", "context"]
    fields = " ".join(f["text"] for f in message["blocks"][2]["fields"])
    assert "*Budget*\nacme-prod" in fields
    assert "*Spent today*\n$90.00 (60%)" in fields
    assert "*Projected today*\n$180.00 (120%)" in fields
    assert "`acme/chat`: pause, saves $42.00" in message["blocks"][3]["text"]["text"]


@respx.mock
def test_delivery_to_both_sinks_with_a_verifiable_signature(store: Store, clock: ManualClock) -> None:
    slack = respx.post(SLACK).mock(return_value=httpx.Response(200, text="ok"))
    hook = respx.post(HOOK).mock(return_value=httpx.Response(204))
    enqueue(store)
    assert deliverer(store, clock).deliver_due() == 2
    assert store.outbox_depth() == 0
    assert json.loads(slack.calls[0].request.content)["blocks"][0]["type"] == "header"
    request = hook.calls[0].request
    timestamp = request.headers["X-Hfwarden-Timestamp"]
    assert timestamp == str(int(NOW.timestamp()))
    # What a receiver does: recompute the HMAC over "<timestamp>.<raw body>" and compare in constant time.
    expected = (
        "sha256=" + hmac.new(SECRET.encode(), f"{timestamp}.".encode() + request.content, hashlib.sha256).hexdigest()
    )
    assert hmac.compare_digest(request.headers["X-Hfwarden-Signature"], expected)
    assert request.headers["X-Hfwarden-Signature"] == signature(SECRET, int(timestamp), request.content)
    body = json.loads(request.content)
    assert request.headers["X-Hfwarden-Delivery"] == body["id"]
    assert body["kind"] == "guard_action"


@respx.mock
def test_a_failing_sink_is_retried_with_backoff_until_it_accepts(store: Store, clock: ManualClock) -> None:
    respx.post(SLACK).mock(return_value=httpx.Response(200))
    hook = respx.post(HOOK).mock(side_effect=[httpx.Response(503), httpx.ConnectError("down"), httpx.Response(200)])
    enqueue(store)
    sender = deliverer(store, clock)
    assert sender.deliver_due() == 1  # slack; the webhook failed
    assert store.outbox_depth() == 1
    assert sender.deliver_due() == 0  # not due yet: backing off
    clock.advance(2)
    sender.deliver_due()  # connection error: later still
    assert store.outbox_depth() == 1
    clock.advance(5)
    assert sender.deliver_due() == 1
    assert store.outbox_depth() == 0
    assert hook.call_count == 3


@respx.mock
def test_429_honours_retry_after(store: Store, clock: ManualClock) -> None:
    respx.post(SLACK).mock(return_value=httpx.Response(200))
    hook = respx.post(HOOK).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "30"}), httpx.Response(200)])
    enqueue(store)
    sender = deliverer(store, clock)
    sender.deliver_due()
    clock.advance(29)
    sender.deliver_due()
    assert hook.call_count == 1
    clock.advance(1)
    sender.deliver_due()
    assert hook.call_count == 2
    assert store.outbox_depth() == 0


@respx.mock
def test_a_4xx_is_not_retried_and_is_kept_as_a_dead_letter(store: Store, clock: ManualClock) -> None:
    respx.post(SLACK).mock(return_value=httpx.Response(404, text="no_service"))
    respx.post(HOOK).mock(return_value=httpx.Response(200))
    enqueue(store)
    sender = deliverer(store, clock)
    sender.deliver_due()
    clock.advance(3600)
    sender.deliver_due()
    assert store.outbox_depth() == 0
    (dead,) = store.dead_letters()
    assert dead[1] == "slack"
    assert "HTTP 404" in dead[2]


def test_each_alert_is_raised_once_per_day(store: Store) -> None:
    enqueue(store)
    enqueue(store)
    assert store.outbox_depth() == 2  # one alert, two sinks
    tomorrow = Alert(AlertKind.GUARD_ACTION, "acme-prod", date(2026, 1, 6), "again", budget="acme-prod")
    enqueue(store, tomorrow)
    assert store.outbox_depth() == 4


@respx.mock
def test_a_sink_removed_by_reload_drops_its_rows(store: Store, clock: ManualClock) -> None:
    enqueue(store)
    Deliverer(store, AlertTargets(), clock, is_leader=leading, client=httpx.Client()).deliver_due()
    assert store.outbox_depth() == 0
    assert {d[2] for d in store.dead_letters()} == {"sink no longer configured"}


def test_repr_and_logs_never_show_urls_or_secrets(
    store: Store, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    sender = deliverer(store, clock)
    assert SLACK not in repr(sender)
    assert SECRET not in repr(TARGETS)
    assert HOOK not in repr(TARGETS)
    with respx.mock:
        respx.post(SLACK).mock(side_effect=httpx.ConnectError(f"cannot reach {SLACK}"))
        respx.post(HOOK).mock(side_effect=httpx.ConnectError(f"cannot reach {HOOK}"))
        enqueue(store)
        sender.deliver_due()
    output = capsys.readouterr()
    assert SLACK not in output.out + output.err
    assert HOOK not in output.out + output.err
