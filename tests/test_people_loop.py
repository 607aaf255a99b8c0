"""People in the loop (issue 22) over real HTTP: the daemon on a manual clock against the emulator, a
notice delivered to a webhook, its snooze link opened and posted, Slack's signed requests, and the
write API with and without its token."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from hfwarden.emulator.server import SeedEndpoint
from hfwarden.web.slack_actions import slack_signature
from tests.conftest import WebhookReceiver
from tests.support.page_world import TOKEN, UI_TOKEN, World, page_world

ACTION_SECRET = "act-SecretActionKey-0123456789abcdef"
SLACK_SECRET = "slk-SecretSigningKey-0123456789abcdef"
PUBLIC = "https://warden.example.com"
SEEDS = [SeedEndpoint("acme", "chat", "aws/us-east-1/nvidia-l4/x1", "running")]
# The world's clock starts on a Monday at 08:00 UTC: the pause is an hour ahead, its notice 15 minutes.
SCHEDULE = """version: 1
timezone: UTC
notice: 15m
endpoints:
  - namespace: acme
    name: chat
    schedule:
      - {cron: "0 9 * * *", action: pause}
      - {cron: "0 18 * * *", action: resume}
alerts:
  webhooks:
    - {name: hook, url: "%s", secret: "hook-secret-0123456789"}
"""
SECRETS = (ACTION_SECRET, SLACK_SECRET, UI_TOKEN, TOKEN)


def eventually(check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def world(tmp_path: Path, webhook_receiver: str) -> Iterator[World]:
    settings: dict[str, object] = {
        "public_url": PUBLIC,
        "action_secret": ACTION_SECRET,
        "slack_signing_secret": SLACK_SECRET,
    }
    with page_world(
        tmp_path, ui_token=UI_TOKEN, schedule=SCHEDULE % webhook_receiver, seeds=SEEDS, settings=settings
    ) as running:
        yield running


def documents(kind: str) -> list[dict[str, Any]]:
    found = [json.loads(body) for body in WebhookReceiver.bodies]
    return [d for d in found if d["kind"] == kind]


def notice_at_08_46(world: World) -> dict[str, Any]:
    """Run passes up to 08:46 and return the one `upcoming_stop` the webhook received."""
    world.advance(30 * 60)  # 08:30: 30 minutes before the pause, no notice yet
    assert documents("upcoming_stop") == []
    world.advance(16 * 60)  # 08:46: within the 15 minutes
    world.advance(60)  # another pass: still one notice
    eventually(lambda: len(documents("upcoming_stop")) >= 1)
    (document,) = documents("upcoming_stop")
    return document


def local(world: World, url: str) -> str:
    """The link as sent (on the public URL) pointed at the daemon under test."""
    assert url.startswith(PUBLIC + "/act/")
    return world.base_url + url.removeprefix(PUBLIC)


def held(world: World) -> dict[str, Any]:
    return {h.endpoint: h for h in world.daemon.store.holds().values()}


def state(world: World) -> str:
    """The endpoint's state as the daemon's last pass observed it (after its own actions)."""
    report = world.daemon.last_pass
    assert report is not None
    return str(report.observations["acme/chat"].state)


def test_a_notice_link_confirms_on_get_holds_on_post_once_and_the_pause_does_not_happen(world: World) -> None:
    document = notice_at_08_46(world)
    notice = document["notice"]
    assert document["endpoint"] == "acme/chat"
    assert "pause at 09:00 UTC" in document["message"]
    assert "rule 1" in document["message"]
    assert "saves $" in document["message"]
    assert "T18:00:00" in notice["resume_at"]
    assert [c["label"] for c in notice["choices"]] == ["keep up 1 h", "keep up 2 h", "keep up until the end of the day"]
    one_hour = local(world, notice["choices"][0]["url"])
    with httpx.Client(timeout=30) as client:
        page = client.get(one_hour)
        assert page.status_code == 200
        assert "keeps acme/chat running until 10:00" in page.text
        assert '<form method="post">' in page.text
        assert held(world) == {}  # opening the link changed nothing
        assert client.get(one_hour).status_code == 200  # a link scanner may open it again
        done = client.post(one_hour)
        assert done.status_code == 200, done.text
        hold = held(world)["acme/chat"]
        assert (hold.source, hold.state.value) == ("link", "running")
        assert hold.until.hour == 10
        again = client.post(one_hour)
        assert again.status_code == 410
        assert "used already" in again.text
        assert client.get(one_hour).status_code == 410
    world.advance(15 * 60)  # 09:01: the pause fires, and the hold keeps the endpoint up
    assert state(world) == "running"
    entries = world.daemon.store.audit_entries("acme/chat")
    assert any(e.action == "hold" and e.detail == "link" for e in entries)
    assert any(e.action == "action_refused" and "used already" in e.reason for e in entries)


def test_a_forged_link_is_403_an_expired_one_410_both_audited(world: World) -> None:
    notice = notice_at_08_46(world)["notice"]
    url = local(world, notice["choices"][0]["url"])
    payload, _, signature = url.rpartition("/")[2].partition(".")
    forged = url.rpartition("/")[0] + f"/{payload}.{'A' * len(signature)}"
    with httpx.Client(timeout=30) as client:
        refused = client.get(forged)
        assert refused.status_code == 403
        assert "not valid" in refused.text
        assert client.post(forged).status_code == 403
        world.clock.advance(75 * 60)  # 10:01: past the stop plus the hour it offered
        expired = client.post(url)
        assert expired.status_code == 410
        assert "expired" in expired.text
    assert held(world) == {}
    refusals = [e for e in world.daemon.store.audit_entries() if e.action == "action_refused"]
    assert {e.detail.rsplit(": ", 1)[1] for e in refusals} == {"403", "410"}


def test_a_cross_site_post_of_a_link_is_refused(world: World) -> None:
    url = local(world, notice_at_08_46(world)["notice"]["choices"][1]["url"])
    response = httpx.post(url, headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"})
    assert response.status_code == 403
    assert held(world) == {}


def slack_body(token: str, response_url: str) -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": "U1", "username": "maria", "name": "maria"},
        "actions": [{"action_id": "hfwarden-0", "value": token, "type": "button"}],
        "response_url": response_url,
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def slack_post(world: World, body: bytes, *, secret: str = SLACK_SECRET, age: float = 0) -> httpx.Response:
    stamp = str(int(world.clock.now().timestamp() - age))
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": slack_signature(secret, stamp, body),
    }
    return httpx.post(world.base_url + "/slack/actions", content=body, headers=headers, timeout=30)


def test_a_signed_slack_button_holds_and_updates_the_message_a_bad_or_stale_one_is_401(world: World) -> None:
    document = notice_at_08_46(world)
    buttons = document["slack_buttons"]
    assert [b["label"] for b in buttons][:2] == ["keep up 1 h", "keep up 2 h"]
    response_url = "https://hooks.slack.com/actions/T1/1/abc"
    body = slack_body(buttons[1]["value"], response_url)
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="127.0.0.1").pass_through()
        update = mock.post(response_url).mock(return_value=httpx.Response(200))
        assert slack_post(world, body, secret="not-the-secret-000000000000").status_code == 401
        assert slack_post(world, body, age=301).status_code == 401
        assert held(world) == {}
        answer = slack_post(world, body)
        assert answer.status_code == 200
        eventually(lambda: update.called)
    sent = json.loads(update.calls.last.request.content)
    assert sent["replace_original"] is True
    assert sent["text"].startswith("acme/chat: kept up until 11:00 by @maria")
    hold = held(world)["acme/chat"]
    assert (hold.source, hold.placed_by) == ("slack", "@maria")


def test_the_write_api_needs_the_token_takes_json_only_and_answers_with_the_quote(world: World) -> None:
    url = world.base_url + "/api/v1/holds"
    body = {"endpoint": "acme/chat", "until": "2h", "reason": "demo"}
    auth = {"authorization": f"Bearer {UI_TOKEN}"}
    assert httpx.post(url, json=body).status_code == 401
    assert httpx.post(url, json=body, auth=("me", UI_TOKEN)).status_code == 401  # writes: bearer only
    form = httpx.post(url, data={"endpoint": "acme/chat", "until": "2h"}, headers=auth)
    assert form.status_code == 415
    bad = httpx.post(url, json={"endpoint": "acme/chat", "until": "tomorrow"}, headers=auth)
    assert bad.status_code == 400
    assert "not HH:MM" in bad.json()["error"]
    assert httpx.post(url, json={**body, "extra": 1}, headers=auth).status_code == 400
    placed = httpx.post(url, json=body, headers={**auth, "x-hfwarden-caller": "ci-bot"}, timeout=30)
    assert placed.status_code == 201, placed.text
    assert placed.json()["quote"].startswith("keeps acme/chat running until 10:00")
    assert placed.json()["hold"]["source"] == "api"
    hold = held(world)["acme/chat"]
    assert hold.source == "api"
    assert hold.placed_by.startswith("ci-bot")
    status = httpx.get(world.base_url + "/api/v1/status", headers=auth).json()
    assert status is not None
    lifted = httpx.delete(world.base_url + "/api/v1/holds/acme/chat", headers=auth, timeout=30)
    assert lifted.status_code == 200
    assert held(world) == {}
    assert httpx.delete(world.base_url + "/api/v1/holds/acme/chat", headers=auth).status_code == 404
    release = httpx.post(world.base_url + "/api/v1/releases/acme/chat", json={}, headers=auth, timeout=30)
    assert release.status_code == 404
    assert "not latched" in release.json()["error"]
    audit = world.daemon.store.audit_entries("acme/chat")
    assert any(e.action == "hold" and e.detail.startswith("api ci-bot") for e in audit)
    assert any(e.action == "hold_expired" and "lifted by api" in e.detail for e in audit)


def test_no_secret_in_logs_alerts_metrics_or_the_page(world: World, capfd: pytest.CaptureFixture[str]) -> None:
    notice_at_08_46(world)
    auth = {"authorization": f"Bearer {UI_TOKEN}"}
    page = httpx.get(world.base_url + "/", headers=auth).text
    assert 'data-write="hold"' in page  # the buttons are there, the token is not
    metrics = httpx.get(world.base_url + "/metrics").text
    alerts = b"".join(WebhookReceiver.bodies).decode()
    audit = json.dumps(httpx.get(world.base_url + "/api/v1/audit?limit=1000", headers=auth).json())
    out, err = capfd.readouterr()
    for secret in SECRETS:
        for where, text in (("page", page), ("metrics", metrics), ("alerts", alerts), ("audit", audit)):
            assert secret not in text, where
        assert secret not in out + err


def test_without_the_ui_token_writes_are_refused(tmp_path: Path) -> None:
    with page_world(tmp_path, schedule=SCHEDULE % "http://127.0.0.1:9/hook", seeds=SEEDS) as world:
        response = httpx.post(world.base_url + "/api/v1/holds", json={"endpoint": "acme/chat", "until": "1h"})
        assert response.status_code == 403
        assert "HFWARDEN_UI_TOKEN" in response.text
        assert httpx.get(world.base_url + "/act/abc.def").status_code == 404  # links are off
        assert 'data-write="hold"' not in httpx.get(world.base_url + "/").text
        assert world.daemon.store.holds() == {}
