"""Drift as plain function calls: what counts as a difference, since when, and when it is alerted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hfwarden.core.cron import parse_cron
from hfwarden.core.decide import Verdict, schedule_decision
from hfwarden.core.drift import drift_of
from hfwarden.core.endpoints import Observation
from hfwarden.core.rules import Action, ActionKind, EndpointSchedule, Rule, latest_transition

PARIS = ZoneInfo("Europe/Paris")
# 18:00 Paris on Monday 2026-01-05 is 17:00 UTC.
PAUSED_AT = datetime(2026, 1, 5, 17, 0, tzinfo=UTC)


def seen(state: str, *, low: int = 1, high: int = 2, at: datetime = PAUSED_AT) -> Observation:
    return Observation("acme", "chat", state, 0, 0, low, high, 15, "aws/us-east-1/nvidia-l4/x1", at)


@pytest.mark.parametrize(
    ("action", "observed", "difference"),
    [
        (Action(ActionKind.PAUSE), seen("paused"), None),
        (Action(ActionKind.PAUSE), seen("running"), "is running"),
        (Action(ActionKind.PAUSE), seen("scaledToZero"), "is scaledToZero"),
        (Action(ActionKind.PAUSE), seen("initializing"), None),
        (Action(ActionKind.RESUME, 1, 2), seen("running"), None),
        (Action(ActionKind.RESUME, 1, 2), seen("paused"), "is paused"),
        (Action(ActionKind.RESUME, 1, 2), seen("scaledToZero"), "is scaled to zero"),
        (Action(ActionKind.RESUME, 0, 2), seen("scaledToZero", low=0), None),
        (Action(ActionKind.RESUME, 1, 4), seen("running"), "has max_replicas 2 (not 4)"),
        (Action(ActionKind.SCALE, max_replicas=1), seen("running", low=1, high=3), "has max_replicas 3 (not 1)"),
        (Action(ActionKind.SCALE_TO_ZERO), seen("running", low=0), None),
        (Action(ActionKind.SCALE_TO_ZERO), seen("running", low=2), "has min_replicas 2"),
        (Action(ActionKind.SCALE_TO_ZERO), seen("paused", low=0), "is paused (requests do not wake it)"),
        (Action(ActionKind.PAUSE), seen("failed"), None),
    ],
    ids=[
        "pause-paused",
        "pause-running",
        "pause-scaled-to-zero",
        "pause-moving-waits",
        "resume-running",
        "resume-paused",
        "resume-min1-asleep",
        "resume-min0-asleep-is-fine",
        "resume-wrong-max",
        "scale-wrong-max",
        "stz-woken-by-traffic-is-fine",
        "stz-pinned-up",
        "stz-paused-does-not-wake",
        "broken-is-not-drift",
    ],
)
def test_what_counts_as_drift(action: Action, observed: Observation, difference: str | None) -> None:
    assert drift_of(action, observed) == difference


def office(*, drift_after: timedelta = timedelta(minutes=15), enforce: bool = False) -> EndpointSchedule:
    resume = Action(ActionKind.RESUME, 1, 2)
    rules = (
        Rule("r1", 1, parse_cron("55 8 * * 1-5"), PARIS, resume),
        Rule("r2", 2, parse_cron("0 18 * * 1-5"), PARIS, Action(ActionKind.PAUSE)),
    )
    return EndpointSchedule("acme", "chat", rules, PARIS, enforce=enforce, drift_after=drift_after)


@pytest.mark.parametrize(
    ("resumed_by_hand", "now", "drift_after", "alerted"),
    [
        (PAUSED_AT + timedelta(minutes=5), PAUSED_AT + timedelta(minutes=19), timedelta(minutes=15), False),
        (PAUSED_AT + timedelta(minutes=5), PAUSED_AT + timedelta(minutes=20), timedelta(minutes=15), True),
        (PAUSED_AT + timedelta(minutes=5), PAUSED_AT + timedelta(minutes=50), timedelta(hours=1), False),
        # Running since before the pause fired (the pause failed or was undone at once): counts from the fire.
        (PAUSED_AT - timedelta(hours=2), PAUSED_AT + timedelta(minutes=15), timedelta(minutes=15), True),
        (PAUSED_AT - timedelta(hours=2), PAUSED_AT + timedelta(minutes=14), timedelta(minutes=15), False),
    ],
    ids=["under-15m", "at-15m", "drift-after-1h", "since-the-fire-not-before", "since-the-fire-under"],
)
def test_drift_timing(resumed_by_hand: datetime, now: datetime, drift_after: timedelta, alerted: bool) -> None:
    schedule = office(drift_after=drift_after)
    transition = latest_transition(schedule, now)
    assert transition is not None
    assert transition.at == PAUSED_AT
    decision = schedule_decision(
        schedule, seen("running", at=resumed_by_hand), now=now, last_applied_key=transition.key
    )
    assert decision.verdict == Verdict.IDLE  # a human's change stands: nothing to send
    assert decision.steps == ()
    assert decision.reason.startswith("drift: ") == alerted
    if alerted:
        (alert,) = decision.records.alerts
        assert alert.kind == "drift"
        since = max(PAUSED_AT, resumed_by_hand).astimezone(PARIS)
        assert f"since {since:%Y-%m-%d %H:%M}" in alert.message
        assert "wants pause" in alert.message
        assert "is running" in alert.message
        # One key per endpoint and local day: passes later that day repeat nothing.
        assert alert.dedupe_key == "drift|acme/chat||2026-01-05"
    else:
        assert decision.records.alerts == ()


def test_enforce_puts_it_back_instead_of_alerting() -> None:
    schedule = office(enforce=True)
    now = PAUSED_AT + timedelta(hours=1)
    transition = latest_transition(schedule, now)
    assert transition is not None
    decision = schedule_decision(schedule, seen("running"), now=now, last_applied_key=transition.key)
    assert decision.verdict == Verdict.ACT
    assert decision.records.alerts == ()
