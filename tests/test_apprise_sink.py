"""apprise sinks: the real library posting to a loopback receiver through its json:// scheme, behind
the outbox, surviving the receiver's outage without loss or repeats, and keeping the URL's secret."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from pydantic import SecretStr

from hfwarden.adapters.alerts import Deliverer
from hfwarden.adapters.sinks.document import pending
from hfwarden.adapters.sinks.worker import DeliveryPolicy
from hfwarden.adapters.store import Store
from hfwarden.clock import ManualClock
from hfwarden.config import ConfigError, load_config
from hfwarden.config.values import AlertTargets
from hfwarden.core.alerts import Alert, AlertKind
from tests.support.alerts import NOW

PASSWORD = "pw-Zq81-not-for-logs"


class Receiver(BaseHTTPRequestHandler):
    """Answers `status`; keeps the delivery id of every alert it accepted (with apprise's basic auth)."""

    status: ClassVar[int] = 200
    accepted: ClassVar[list[str]] = []
    attempts: ClassVar[int] = 0

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Receiver.attempts += 1
        expected = "Basic " + base64.b64encode(f"hfwarden:{PASSWORD}".encode()).decode()
        ok = self.headers.get("Authorization") == expected and Receiver.status == 200
        if ok:
            Receiver.accepted.extend(re.findall(r"^id: (\S+)$", body["message"], flags=re.M))
        self.send_response(Receiver.status if self.headers.get("Authorization") == expected else 401)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return


class Loopback:
    """A receiver on one loopback port that can be taken down (connections refused) and brought back."""

    def __init__(self) -> None:
        self.server: ThreadingHTTPServer | None = None
        self.port = 0
        self.up()

    def up(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Receiver)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
        self.server = None


@pytest.fixture
def receiver() -> Iterator[Loopback]:
    Receiver.status, Receiver.accepted, Receiver.attempts = 200, [], 0
    loopback = Loopback()
    yield loopback
    if loopback.server is not None:
        loopback.down()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with closing(Store(f"sqlite:///{tmp_path / 'outbox.db'}")) as opened:
        yield opened


def alert(n: int) -> Alert:
    return Alert(AlertKind.ENDPOINT_FAILED, f"acme/e{n}", date(2026, 1, 5), f"e{n} failed", endpoint=f"acme/e{n}")


def test_apprise_delivers_through_the_outbox_and_survives_an_outage_without_loss_or_repeats(
    receiver: Loopback, store: Store, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"json://hfwarden:{PASSWORD}@127.0.0.1:{receiver.port}/hook"
    targets = AlertTargets(apprise_urls=(SecretStr(url),))
    rendered = [pending(alert(n), created_at=NOW) for n in range(3)]
    store.commit(alerts=rendered, sinks=targets.sinks, now=NOW)
    clock = ManualClock(NOW)
    policy = DeliveryPolicy(base_seconds=1, max_seconds=60)
    sender = Deliverer(store, targets, clock, is_leader=lambda: True, policy=policy, client=httpx.Client())
    try:
        Receiver.status = 503  # the service is failing
        assert sender.deliver_due() == 0
        assert Receiver.attempts == 1  # the sink backs off after its first failure
        clock.advance(61)
        receiver.down()  # and then gone altogether: connections refused
        assert sender.deliver_due() == 0
        clock.advance(61)
        Receiver.status = 200
        receiver.up()
        assert sender.deliver_due() == 3
        clock.advance(3600)
        assert sender.deliver_due() == 0
    finally:
        sender.close()
    assert sorted(Receiver.accepted) == sorted(r.alert_id for r in rendered)  # each once: none lost, none twice
    assert store.due_alerts(clock.now(), 100) == []
    out = capsys.readouterr()
    seen = caplog.text + out.out + out.err + repr(targets) + repr(sender)
    assert PASSWORD not in seen


def test_an_apprise_url_apprise_cannot_use_is_a_dead_letter_naming_only_its_scheme(
    store: Store, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    targets = AlertTargets(apprise_urls=(SecretStr(f"nosuchservice://{PASSWORD}@example.invalid/x"),))
    store.commit(alerts=[pending(alert(1), created_at=NOW)], sinks=targets.sinks, now=NOW)
    sender = Deliverer(store, targets, ManualClock(NOW), is_leader=lambda: True, client=httpx.Client())
    try:
        assert sender.deliver_due() == 0
    finally:
        sender.close()
    assert store.due_alerts(NOW, 10) == []  # refused for good, not retried forever
    out = capsys.readouterr()
    logged = caplog.text + out.out + out.err
    assert "apprise cannot send to this nosuchservice:// URL" in logged
    assert PASSWORD not in logged


def test_apprise_urls_come_from_the_environment_one_sink_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFW_TEST_TEAMS", f"msteams://{PASSWORD}/a/b/c")
    monkeypatch.setenv("HFW_TEST_MAIL", f"mailtos://ops:{PASSWORD}@mail.example.com")
    path = tmp_path / "s.yaml"
    path.write_text(
        "version: 1\nendpoints: []\nalerts:\n  apprise:\n    urls: ['${HFW_TEST_TEAMS}', '${HFW_TEST_MAIL}']\n"
    )
    targets = load_config([path]).alerts
    assert targets.sinks == ("apprise:1", "apprise:2")
    assert PASSWORD not in repr(targets)
    assert all(PASSWORD in secret for secret in targets.secrets())
    path.write_text("version: 1\nendpoints: []\nalerts:\n  apprise:\n    urls: ['not a url with a token zzz']\n")
    with pytest.raises(ConfigError) as caught:
        load_config([path])
    (problem,) = caught.value.problems
    assert "apprise URL #1 is not scheme://" in str(problem)
    assert "zzz" not in str(problem)
