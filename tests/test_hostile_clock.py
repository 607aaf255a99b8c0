"""A backwards clock step (issue 18): a transition already applied later than "now" is never undone by
an earlier one, and is not applied again when the clock comes back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hfwarden.core.cron import parse_cron
from hfwarden.core.decide import Verdict, schedule_decision
from hfwarden.core.endpoints import Observation
from hfwarden.core.rules import Action, ActionKind, EndpointSchedule, Rule, latest_transition
from hfwarden.core.windows import rule_id

ZONE = ZoneInfo("UTC")
# Pause at 09:00, resume at 09:30, every day.
SCHEDULE = EndpointSchedule(
    "acme",
    "chat",
    tuple(
        Rule(rule_id("acme/chat", expression, number), number, parse_cron(expression), ZONE, Action(kind))
        for number, (expression, kind) in enumerate(
            [("0 9 * * *", ActionKind.PAUSE), ("30 9 * * *", ActionKind.RESUME)], start=1
        )
    ),
    ZONE,
)
RESUMED_AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def seen(state: str) -> Observation:
    return Observation(
        namespace="acme",
        name="chat",
        state=state,
        ready_replicas=1 if state == "running" else 0,
        target_replicas=1 if state == "running" else 0,
        min_replica=1,
        max_replica=1,
        scale_to_zero_timeout=None,
        instance="aws/us-east-1/nvidia-l4/x1",
        updated_at=RESUMED_AT,
    )


def test_a_clock_stepped_back_does_not_undo_a_newer_transition() -> None:
    """Fixed: with the clock 20 minutes behind across a resume applied 10 minutes earlier, the next pass
    paused the endpoint (the older rule), then resumed it again when the clock came back."""
    resume = latest_transition(SCHEDULE, RESUMED_AT)
    assert resume is not None
    assert resume.action.kind is ActionKind.RESUME
    behind = RESUMED_AT + timedelta(minutes=10) - timedelta(minutes=20)  # 09:20: the 09:00 pause is "latest"
    decision = schedule_decision(SCHEDULE, seen("running"), now=behind, last_applied_key=resume.key)
    assert decision.verdict == Verdict.IDLE
    assert not decision.steps
    assert not decision.records.applied  # the resume stays the last applied
    assert "already applied; the clock is behind it" in decision.reason
    back = schedule_decision(
        SCHEDULE, seen("running"), now=RESUMED_AT + timedelta(minutes=11), last_applied_key=resume.key
    )
    assert back.verdict == Verdict.IDLE  # nothing to do, nothing re-applied


def test_a_transition_after_the_last_applied_one_still_applies() -> None:
    pause = latest_transition(SCHEDULE, RESUMED_AT - timedelta(minutes=1))
    assert pause is not None
    decision = schedule_decision(SCHEDULE, seen("paused"), now=RESUMED_AT, last_applied_key=pause.key)
    assert decision.verdict == Verdict.ACT


def test_a_marker_in_the_future_does_not_block_the_schedule() -> None:
    """A hold's end is recorded as a marker at its own time: never mistaken for a newer transition."""
    marker = f"hold-expired@{(RESUMED_AT + timedelta(hours=1)).isoformat()}"
    decision = schedule_decision(SCHEDULE, seen("paused"), now=RESUMED_AT, last_applied_key=marker)
    assert decision.verdict == Verdict.ACT
