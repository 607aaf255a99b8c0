"""Holds as plain function calls: `--until` parsing, precedence against latches and schedules, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hfwarden.core.cron import parse_cron
from hfwarden.core.decide import StepKind, Verdict, endpoint_decision
from hfwarden.core.endpoints import Observation
from hfwarden.core.holds import EXPIRED_MARKER, hold_extra_cost, hold_quote, hold_until, holds_at
from hfwarden.core.records import Hold, HoldState, Latch
from hfwarden.core.rules import Action, ActionKind, EndpointSchedule, Rule, latest_transition

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)  # Monday 16:00 in Paris


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20:00", datetime(2026, 1, 5, 19, 0, tzinfo=UTC)),
        ("08:00", datetime(2026, 1, 6, 7, 0, tzinfo=UTC)),
        ("2h", NOW + timedelta(hours=2)),
        ("90m", NOW + timedelta(minutes=90)),
        ("1h30m", NOW + timedelta(minutes=90)),
        ("2026-01-06T09:00+01:00", datetime(2026, 1, 6, 8, 0, tzinfo=UTC)),
        ("2026-01-06T09:00", datetime(2026, 1, 6, 8, 0, tzinfo=UTC)),
        ("2026-01-12T15:00+00:00", NOW + timedelta(days=7)),
    ],
    ids=["clock-later-today", "clock-passed-means-tomorrow", "hours", "minutes", "mixed", "iso", "iso-local", "7-days"],
)
def test_until(text: str, expected: datetime) -> None:
    assert hold_until(text, now=NOW, zone=PARIS) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2026-01-05T15:00+00:00", "in the past"),
        ("2026-01-01T09:00+01:00", "in the past"),
        ("2026-01-12T15:01+00:00", "more than 7 days"),
        ("200h", "more than 7 days"),
        ("25:00", "not a time of day"),
        ("tomorrow", "not HH:MM"),
        ("", "not HH:MM"),
    ],
    ids=["now", "past", "just-over-7-days", "duration-over-7-days", "bad-clock", "words", "empty"],
)
def test_until_refused(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        hold_until(text, now=NOW, zone=PARIS)


def office() -> EndpointSchedule:
    rules = (
        Rule("r1", 1, parse_cron("55 8 * * 1-5"), PARIS, Action(ActionKind.RESUME, 1, 2)),
        Rule("r2", 2, parse_cron("0 18 * * 1-5"), PARIS, Action(ActionKind.PAUSE)),
    )
    return EndpointSchedule("acme", "chat", rules, PARIS)


def seen(state: str, *, low: int = 1, high: int = 2) -> Observation:
    return Observation("acme", "chat", state, 1, 1, low, high, 15, "aws/us-east-1/nvidia-l4/x1", NOW)


def hold(state: HoldState = HoldState.RUNNING, *, over_budget: bool = False, hours: int = 4) -> Hold:
    return Hold("acme/chat", state, NOW + timedelta(hours=hours), NOW, "demo", over_budget)


LATCH = Latch("acme/chat", "acme-prod", "pause", NOW - timedelta(hours=1), NOW + timedelta(hours=9), "over")
AFTER_PAUSE = NOW + timedelta(hours=2)  # 18:00 Paris has fired


@pytest.mark.parametrize(
    ("latch", "held", "observed", "verdict", "steps", "winner"),
    [
        (None, None, seen("running"), Verdict.ACT, (StepKind.PAUSE,), "pause from rule 2"),
        (None, hold(), seen("running"), Verdict.HELD, (), "held running"),
        (None, hold(), seen("paused"), Verdict.ACT, (StepKind.RESUME,), "held running"),
        (None, hold(HoldState.PAUSED), seen("running"), Verdict.ACT, (StepKind.PAUSE,), "held paused"),
        (LATCH, hold(), seen("running"), Verdict.LATCHED, (StepKind.PAUSE,), "latched by budget"),
        (LATCH, hold(over_budget=True), seen("running"), Verdict.HELD, (), "over budget"),
        (LATCH, None, seen("paused"), Verdict.LATCHED, (), "latched by budget"),
        (None, hold(), seen("initializing"), Verdict.WAIT, (), "held running"),
        (None, hold(), None, Verdict.MISSING, (), "not found"),
    ],
    ids=[
        "schedule-alone",
        "hold-beats-schedule",
        "human-pause-of-held-is-put-back",
        "paused-hold",
        "latch-beats-hold",
        "over-budget-hold-beats-latch",
        "latch-alone",
        "hold-waits-for-stable",
        "hold-on-missing",
    ],
)
def test_precedence(
    latch: Latch | None,
    held: Hold | None,
    observed: Observation | None,
    verdict: Verdict,
    steps: tuple[StepKind, ...],
    winner: str,
) -> None:
    schedule = office()
    applied = latest_transition(schedule, NOW)  # Monday 08:55: the resume, applied
    assert applied is not None
    decision = endpoint_decision(
        "acme/chat",
        schedule,
        observed,
        now=AFTER_PAUSE,
        last_applied_key=applied.key,
        latch=latch,
        hold=held,
        pass_started=AFTER_PAUSE,
    )
    assert decision.verdict == verdict
    assert tuple(s.kind for s in decision.steps) == steps
    assert winner in decision.reason
    if latch is not None or held is not None:
        # The 18:00 pause is counted applied but audited as suppressed, not carried out.
        assert [a.result for a in decision.records.audit] == ["suppressed"]


def test_a_suppressed_transition_is_audited_once() -> None:
    schedule = office()
    fired = latest_transition(schedule, AFTER_PAUSE)
    assert fired is not None
    decision = endpoint_decision(
        "acme/chat", schedule, seen("running"), now=AFTER_PAUSE, last_applied_key=fired.key, hold=hold()
    )
    assert decision.records.audit == ()


def test_expiry_hands_back_to_the_schedule_as_an_edge() -> None:
    held = hold(hours=2)
    schedule = office()
    at = held.until + timedelta(seconds=30)
    holding, records, ended = holds_at({held.endpoint: held}, now=at)
    assert holding == {}
    assert ended == {"acme/chat"}
    assert records.remove_holds == ("acme/chat",)
    assert [a.kind.value for a in records.alerts] == ["hold_expired"]
    (marker,) = records.applied
    assert marker.transition_key.startswith(EXPIRED_MARKER)
    # The 18:00 pause was suppressed (counted applied) during the hold: the marker makes it due again.
    decision = endpoint_decision("acme/chat", schedule, seen("running"), now=at, last_applied_key=marker.transition_key)
    assert decision.verdict == Verdict.ACT
    assert [s.kind for s in decision.steps] == [StepKind.PAUSE]


def test_a_hold_not_yet_expired_stays() -> None:
    held = hold(hours=2)
    holding, records, ended = holds_at({held.endpoint: held}, now=held.until - timedelta(seconds=1))
    assert holding == {held.endpoint: held}
    assert records.is_empty
    assert ended == set()


def test_quote_counts_what_the_hold_adds_over_the_schedule() -> None:
    # Held running at 1 replica from 16:00 to 20:00 Paris; the schedule would pause at 18:00: +2 h.
    held = Hold("acme/chat", HoldState.RUNNING, datetime(2026, 1, 5, 19, 0, tzinfo=UTC), NOW)
    day_end = datetime(2026, 1, 5, 23, 0, tzinfo=UTC)
    extra = hold_extra_cost(held, office(), seen("running"), now=NOW, day_end=day_end, price_per_hour=2.4)
    assert extra == pytest.approx(4.80)
    text = hold_quote(held, extra, [("acme-prod", 141.2, 150.0)], zone=PARIS)
    assert text == "keeps acme/chat running until 20:00 CET: +$4.80; budget acme-prod projected $141.20 of $150"
