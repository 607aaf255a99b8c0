"""Hostile alert cases (issue 18): a guard stop of hundreds of endpoints still makes a Slack message
Slack takes, and a slowloris webhook receiver cannot hold its sink's worker."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import SecretStr

from hfwarden.adapters.alerts import Deliverer, alert_document, pending
from hfwarden.adapters.sinks.slack import FIELD_TEXT_MAX, HEADER_TEXT_MAX, SECTION_TEXT_MAX, slack_message
from hfwarden.adapters.sinks.worker import DeliveryPolicy
from hfwarden.adapters.store import Store
from hfwarden.clock import ManualClock
from hfwarden.config.values import AlertTargets, Webhook
from hfwarden.core.budget import BreachAction, StopDecision
from tests.support.alerts import GUARD, NOW

PAGE = "https://warden.example.com/"


def stop(number: int) -> StopDecision:
    return StopDecision(
        f"acme/endpoint-with-a-long-name-{number:04d}",
        BreachAction.PAUSE,
        "acme-prod",
        "budget acme-prod: projected over",
        12.5,
        datetime(2026, 1, 6, 5, 0, tzinfo=UTC),
    )


def texts(message: dict[str, object]) -> Iterator[tuple[str, str]]:
    """(block type, text) of every text in a Block Kit message."""
    for block in message["blocks"]:  # type: ignore[attr-defined]
        if "text" in block:
            yield block["type"], block["text"]["text"]
        for part in block.get("fields", []) + block.get("elements", []):
            yield "field", part["text"]


def test_a_guard_stop_of_505_endpoints_fits_slacks_limits() -> None:
    """Fixed: the "Acted on" section was 45,190 characters; Slack answers 4xx past 3,000 and the alert,
    the most important one, became a dead letter."""
    alert = replace(GUARD, actions=tuple(stop(n) for n in range(505)), message="x" * 50_000)
    message = slack_message(alert_document(alert, created_at=NOW), page_url=PAGE)
    assert len(message["text"]) <= SECTION_TEXT_MAX
    for kind, text in texts(message):
        limit = {"header": HEADER_TEXT_MAX, "field": FIELD_TEXT_MAX}.get(kind, SECTION_TEXT_MAX)
        assert len(text) <= limit, (kind, len(text))
    acted = next(text for _kind, text in texts(message) if text.startswith("*Acted on*"))
    listed = acted.count("\n• ")
    assert 10 < listed < 505
    assert acted.endswith(f"… and {505 - listed} more: <{PAGE}|the status page> lists every one")
    assert len(json.dumps(message)) < 13_000  # below what Slack calls msg_blocks_too_long


def test_a_short_guard_stop_is_listed_whole() -> None:
    alert = replace(GUARD, actions=tuple(stop(n) for n in range(3)))
    acted = next(t for _k, t in texts(slack_message(alert_document(alert, created_at=NOW))) if t.startswith("*Acted"))
    assert acted.count("\n• ") == 3
    assert "more" not in acted


class Slowloris(socketserver.BaseRequestHandler):
    """Reads the request, then answers one header byte at a time, for ever."""

    stopped = threading.Event()
    requests: ClassVar[list[bytes]] = []  # each request's first line

    def handle(self) -> None:
        Slowloris.requests.append(self.request.recv(65536).split(b"\r\n", 1)[0])
        try:
            self.request.sendall(b"HTTP/1.1 200 OK\r\n")
            while not Slowloris.stopped.wait(0.3):
                self.request.sendall(b"X")
        except OSError:
            return


@pytest.fixture
def slowloris() -> Iterator[str]:
    Slowloris.stopped.clear()
    Slowloris.requests.clear()
    socketserver.ThreadingTCPServer.daemon_threads = True
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Slowloris)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    Slowloris.stopped.set()
    server.shutdown()
    server.server_close()


def test_a_slowloris_webhook_receiver_fails_its_delivery_at_the_deadline(slowloris: str, tmp_path: Path) -> None:
    """Fixed: the per-read timeout never fired (a byte every 0.3 s), so the sink's worker waited for ever
    and no failure was counted."""
    deliver_within_a_second(slowloris, tmp_path)


PROXIED = {
    "http-forward": (
        "HTTP_PROXY",
        "http://hooks.example.invalid/hook",
        b"POST http://hooks.example.invalid/hook HTTP/1.1",
    ),
    "https-tunnel": (
        "HTTPS_PROXY",
        "https://hooks.example.invalid/hook",
        b"CONNECT hooks.example.invalid:443 HTTP/1.1",
    ),
}


@pytest.mark.parametrize(("variable", "url", "request_line"), PROXIED.values(), ids=PROXIED.keys())
def test_a_slowloris_proxy_from_the_environment_fails_the_delivery_at_the_deadline(
    slowloris: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, url: str, request_line: bytes
) -> None:
    """Fixed: the sinks' client had its own transport, so httpx ignored `HTTP_PROXY`/`HTTPS_PROXY`: a
    webhook behind a corporate proxy was sent straight out (and failed), and a proxy's transport would
    have had no whole-request deadline. Now the delivery goes through the proxy, which drips (its
    answer to a forwarded POST, or to the CONNECT of an https tunnel), and fails at the deadline."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, slowloris.removesuffix("/hook"))
    deliver_within_a_second(url, tmp_path)
    assert Slowloris.requests == [request_line]


def deliver_within_a_second(url: str, tmp_path: Path) -> None:
    targets = AlertTargets(webhooks=(Webhook("ops", SecretStr(url), SecretStr("a-shared-secret-of-some-length")),))
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    store.commit(alerts=[pending(GUARD, created_at=NOW)], sinks=targets.sinks, now=NOW)
    sender = Deliverer(
        store, targets, ManualClock(NOW), is_leader=lambda: True, policy=DeliveryPolicy(deadline_seconds=1.0)
    )
    outcome: list[int] = []
    worker = threading.Thread(target=lambda: outcome.append(sender.deliver_due()), daemon=True)
    worker.start()
    worker.join(60)  # a safety net for the old code, which never returned
    try:
        assert outcome == [0]
        assert sender.failures == 1
    finally:
        sender.close()
        store.close()
