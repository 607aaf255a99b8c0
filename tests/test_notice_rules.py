"""Notices before a stop and their signed tokens, as plain function calls (issue 22)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hfwarden.config.file_spec import ScheduleFileSpec
from hfwarden.core.action_tokens import Grant, GrantKind, TokenRefused, sign, token_id, verify
from hfwarden.core.alerts import AlertKind
from hfwarden.core.cron import parse_cron
from hfwarden.core.endpoints import Observation
from hfwarden.core.notices import NO_LINKS, stop_notices, upcoming_stop
from hfwarden.core.offers import ActionLinks
from hfwarden.core.records import Hold, HoldState
from hfwarden.core.rules import Action, ActionKind, EndpointSchedule, Rule

PARIS = ZoneInfo("Europe/Paris")
SECRET = "action-secret-for-tests-0123456789"
LINKS = ActionLinks("https://warden.example.com", SECRET)


def office(notice: timedelta | None = timedelta(minutes=15)) -> EndpointSchedule:
    rules = (
        Rule("r1", 1, parse_cron("55 8 * * 1-5"), PARIS, Action(ActionKind.RESUME, 1, 2)),
        Rule("r2", 2, parse_cron("0 18 * * 1-5"), PARIS, Action(ActionKind.PAUSE)),
    )
    return EndpointSchedule("acme", "chat", rules, PARIS, notice=notice)


def seen(state: str = "running", replicas: int = 2) -> Observation:
    at = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    return Observation("acme", "chat", state, replicas, replicas, 1, 2, 15, "aws/us-east-1/nvidia-l4/x1", at)


STOP = datetime(2026, 1, 5, 17, 0, tzinfo=UTC)  # Monday 18:00 in Paris


@pytest.mark.parametrize(
    ("minutes_before", "expected"),
    [(16, False), (15, True), (1, True), (0, False), (-1, False)],
    ids=["before-the-notice", "notice-starts", "a-minute-before", "due-now-is-catch-up", "after-the-stop"],
)
def test_a_notice_only_within_its_minutes_and_never_for_a_stop_already_due(minutes_before: int, expected: bool) -> None:
    now = STOP - timedelta(minutes=minutes_before)
    found = upcoming_stop(office(), seen(), None, now=now)
    assert (found is not None and found.at == STOP) is expected


def test_no_notice_without_the_key_for_what_is_down_or_held_past_the_stop() -> None:
    now = STOP - timedelta(minutes=10)
    assert upcoming_stop(office(None), seen(), None, now=now) is None
    assert upcoming_stop(office(), seen("paused", 0), None, now=now) is None
    assert upcoming_stop(office(), None, None, now=now) is None
    held = Hold("acme/chat", HoldState.RUNNING, STOP + timedelta(hours=1), now)
    assert upcoming_stop(office(), seen(), held, now=now) is None
    ends_before = replace(held, until=STOP - timedelta(minutes=5))
    assert upcoming_stop(office(), seen(), ends_before, now=now) is not None


def test_the_notice_names_when_why_what_it_saves_and_the_snooze_choices() -> None:
    now = STOP - timedelta(minutes=15)
    (alert,) = stop_notices([office()], {"acme/chat": seen()}, {}, now=now, price_of=lambda *_: 0.8, links=LINKS)
    assert alert.kind == AlertKind.UPCOMING_STOP
    assert alert.endpoint == "acme/chat"
    # 18:00 Paris, by rule 2; 2 replicas x $0.80 x 14 h 55 min until 08:55 tomorrow
    assert "pause at 18:00 CET" in alert.message
    assert "rule 2" in alert.message
    assert "saves $23.87 until the next resume at Tue 08:55 CET" in alert.message
    assert alert.notice is not None
    labels = [c.label for c in alert.notice.choices]
    assert labels == ["keep up 1 h", "keep up 2 h", "keep up until the end of the day"]
    ends = [c.until for c in alert.notice.choices]
    assert ends == [STOP + timedelta(hours=1), STOP + timedelta(hours=2), datetime(2026, 1, 5, 23, 0, tzinfo=UTC)]
    for choice in alert.notice.choices:
        assert choice.url is not None
        assert choice.token is not None
        assert choice.url == f"https://warden.example.com/act/{choice.token}"
        grant = verify(choice.token, SECRET, now=now)
        assert (grant.kind, grant.endpoint, grant.until, grant.expires) == (
            GrantKind.HOLD,
            "acme/chat",
            choice.until,
            choice.until,
        )
    assert SECRET not in repr(alert)
    assert SECRET not in repr(LINKS)


def test_one_notice_per_stop_the_same_key_on_every_pass() -> None:
    keys = set()
    for minutes in (15, 10, 1):
        (alert,) = stop_notices(
            [office()],
            {"acme/chat": seen()},
            {},
            now=STOP - timedelta(minutes=minutes),
            price_of=lambda *_: 1.0,
            links=LINKS,
        )
        keys.add(alert.dedupe_key)
    assert len(keys) == 1


def test_without_links_the_notice_says_how_to_get_them() -> None:
    (alert,) = stop_notices(
        [office()], {"acme/chat": seen()}, {}, now=STOP - timedelta(minutes=5), price_of=lambda *_: None, links=None
    )
    assert NO_LINKS in alert.message
    assert alert.notice is not None
    assert all(c.url is None and c.token is None for c in alert.notice.choices)


def test_tokens_forged_expired_or_tampered_are_refused() -> None:
    now = STOP
    grant = Grant(GrantKind.HOLD, "acme/chat", now + timedelta(hours=1), "r2@x", now + timedelta(hours=1))
    token = sign(grant, SECRET)
    assert verify(token, SECRET, now=now) == grant
    with pytest.raises(TokenRefused) as forged:
        verify(sign(grant, "another-secret-entirely-000000"), SECRET, now=now)
    assert forged.value.status == 403
    _payload, _, signature = token.partition(".")
    other = sign(replace(grant, endpoint="acme/other"), SECRET).partition(".")[0]
    with pytest.raises(TokenRefused) as tampered:
        verify(f"{other}.{signature}", SECRET, now=now)
    assert tampered.value.status == 403
    with pytest.raises(TokenRefused) as expired:
        verify(token, SECRET, now=now + timedelta(hours=1))
    assert expired.value.status == 410
    with pytest.raises(TokenRefused):
        verify("not-a-token", SECRET, now=now)
    assert token_id(token) != token
    assert len(token_id(token)) == 64


@pytest.mark.parametrize("where", ["file", "endpoint", "match"])
def test_the_notice_key_is_taken_file_wide_per_endpoint_and_per_match(where: str) -> None:
    entry: dict[str, object] = {"namespace": "acme", "name": "chat", "schedule": []}
    if where == "match":
        entry = {"match": {"namespace": "acme", "name": "dev-*"}, "schedule": []}
    document: dict[str, object] = {"version": 1, "endpoints": [entry]}
    if where == "file":
        document["notice"] = "15m"
    else:
        entry["notice"] = "15m"
    ScheduleFileSpec.model_validate(document)
    entry["notice"] = "0m"
    with pytest.raises(ValueError, match="notice"):
        ScheduleFileSpec.model_validate(document)


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ({"at": 1.2, "action": "pause", "notice": "15m", "approve": {"within": "15m", "otherwise": "act"}}, "not both"),
        ({"at": 1.2, "action": "notify", "approve": {"within": "15m", "otherwise": "skip"}}, "acts on nothing"),
        ({"at": 1.2, "action": "pause", "approve": {"within": "15m", "otherwise": "maybe"}}, "otherwise"),
        ({"at": 1.2, "action": "pause", "approve": {"within": "2d", "otherwise": "act"}}, "within|notice|duration"),
    ],
    ids=["notice-and-approve", "notify-approved", "bad-otherwise", "bad-within"],
)
def test_a_ladder_step_gate_is_checked(step: dict[str, object], problem: str) -> None:
    document = {"version": 1, "budgets": [{"name": "b", "daily_usd": 10, "steps": [step]}]}
    with pytest.raises(ValueError, match=problem):
        ScheduleFileSpec.model_validate(document)


def test_slack_notices_carry_buttons_with_the_tokens_and_others_the_links() -> None:
    from hfwarden.adapters.sinks.document import alert_document
    from hfwarden.adapters.sinks.slack import slack_message

    now = STOP - timedelta(minutes=5)
    buttons = replace(LINKS, slack_buttons=True)
    for links, kind in ((buttons, "actions"), (LINKS, "section"), (None, "section")):
        (alert,) = stop_notices([office()], {"acme/chat": seen()}, {}, now=now, price_of=lambda *_: 1.0, links=links)
        message = slack_message(alert_document(alert, created_at=now))
        block = message["blocks"][-2]
        assert block["type"] == kind
        assert alert.notice is not None
        if kind == "actions":
            assert [e["value"] for e in block["elements"]] == [c.token for c in alert.notice.choices]
        elif links is not None:
            assert all(c.url in block["text"]["text"] for c in alert.notice.choices if c.url)
        else:
            assert "hfwarden hold acme/chat --until" in block["text"]["text"]
        assert SECRET not in str(message)
