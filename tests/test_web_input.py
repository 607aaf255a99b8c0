"""Hostile query strings and headers on the page and the API: a 400 with one line, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from starlette.testclient import TestClient

from hfwarden.adapters.store import Store
from hfwarden.clock import ManualClock
from hfwarden.config import load_config
from hfwarden.web.app import PageSource, build_app
from hfwarden.web.probes import Liveness

UI_TOKEN = "ui-token-for-tests"


def _client(tmp_path: Path, ui_token: str | None = None) -> Iterator[TestClient]:
    schedule = tmp_path / "s.yaml"
    schedule.write_text("version: 1\nendpoints:\n  - {namespace: acme, name: chat}\n")
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    config = load_config([schedule])
    clock = ManualClock(datetime(2026, 1, 5, 8, tzinfo=UTC))
    liveness = Liveness(tick_seconds=30, stale_after_seconds=120, started_at=0.0, config_loaded=True)
    source = PageSource(lambda: None, lambda: config, store, clock)
    app = build_app(liveness, CollectorRegistry(), store.ping, source, ui_token=ui_token)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    store.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path)


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path, UI_TOKEN)


@pytest.mark.parametrize("bad", ["²", "99999999999999999999", "9" * 5000, "-5", "1", "3601", "abc", "", "٣٠"])
def test_a_bad_refresh_is_a_400_that_says_what_is_expected(client: TestClient, bad: str) -> None:
    answer = client.get("/", params={"refresh": bad})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("refresh: ")
    assert len(answer.text) < 200  # the 5,000 digits are not echoed back


@pytest.mark.parametrize("good", ["2", "30", "3600"])
def test_a_good_refresh_is_served(client: TestClient, good: str) -> None:
    assert client.get("/", params={"refresh": good}).status_code == 200


@pytest.mark.parametrize("bad", ["²", "99999999999999999999", "9" * 5000, "١٠"])
def test_a_bad_audit_limit_is_a_400(client: TestClient, bad: str) -> None:
    answer = client.get("/api/v1/audit", params={"limit": bad})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("limit: ")


def test_two_authorization_headers_are_refused_whatever_their_order(guarded: TestClient) -> None:
    right, wrong = f"Bearer {UI_TOKEN}", "Bearer wrong"
    assert guarded.get("/api/v1", headers={"Authorization": right}).status_code == 200
    for pair in ((wrong, right), (right, wrong), (right, right)):
        answer = guarded.get("/api/v1", headers=[("Authorization", pair[0]), ("Authorization", pair[1])])
        assert answer.status_code == 400
        assert "ambiguous" in answer.text
        assert UI_TOKEN not in answer.text
