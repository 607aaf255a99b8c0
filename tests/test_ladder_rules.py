"""The escalation ladder as plain function calls: which step, once per day, on whom; caps bounding
decisions and giving sizes back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hfwarden.core.budget import Budget, EndpointCost, budget_review, one_budget_review
from hfwarden.core.cron import parse_cron
from hfwarden.core.decide import StepKind, Verdict, endpoint_decision
from hfwarden.core.endpoints import Observation
from hfwarden.core.ladder import Basis, LadderStep, StepAction, caps_at, restorations
from hfwarden.core.records import Cap, LadderMark
from hfwarden.core.rules import Action, ActionKind, EndpointSchedule, Rule, latest_transition

UTC_ZONE = ZoneInfo("UTC")
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
END = datetime(2026, 1, 6, tzinfo=UTC)
LADDER = (
    LadderStep(1.0, StepAction.NOTIFY),
    LadderStep(1.2, StepAction.CAP, max_replicas=1),
    LadderStep(1.5, StepAction.SCALE_TO_ZERO),
    LadderStep(2.0, StepAction.PAUSE, on=Basis.SPENT),
)
BUDGET = Budget("acme-prod", 100.0, UTC_ZONE, steps=LADDER)


def cost(name: str, future: float, *, spent: float = 0.0, replicas: int = 4, priority: int = 0) -> EndpointCost:
    return EndpointCost(
        f"acme/{name}", spent, future, hourly_usd=replicas * 1.0, billed_replicas=replicas, priority=priority
    )


CHEAP = cost("cheap", 40.0, spent=10.0, replicas=2, priority=5)
BIG = cost("big", 60.0, spent=20.0, replicas=4, priority=0)
SAFE = EndpointCost("acme/safe", 0.0, 80.0, 4.0, 4, protected=True)


@pytest.mark.parametrize(
    ("costs", "taken", "step", "capped", "stopped"),
    [
        ([cost("a", 50.0, spent=40.0)], 0, 0, [], []),  # projected 90: under every line
        ([cost("a", 60.0, spent=45.0)], 0, 1, [], []),  # 105: notify only
        ([CHEAP, BIG], 0, 2, ["acme/big"], []),  # 130: one cap (lowest priority) brings it under 120
        ([CHEAP, BIG], 2, 0, [], []),  # the same day, the cap already taken: nothing new
        ([CHEAP, BIG], 1, 2, ["acme/big"], []),  # escalates from notify
        ([CHEAP, BIG, cost("c", 30.0, priority=9)], 2, 3, [], ["acme/big"]),  # 160: scale to zero under 150
        ([SAFE, cost("a", 100.0, spent=30.0)], 0, 3, [], ["acme/a"]),  # protected is never chosen
        ([cost("a", 10.0, spent=150.0), cost("b", 30.0, spent=60.0)], 3, 4, [], ["acme/b", "acme/a"]),
    ],
    ids=[
        "under",
        "notify",
        "cap-lowest-priority-as-few-as-needed",
        "once-per-day",
        "escalate-from-notify",
        "scale-to-zero-next",
        "protected-never",
        "spent-step-stops-everything",
    ],
)
def test_ladder_steps(costs: list[EndpointCost], taken: int, step: int, capped: list[str], stopped: list[str]) -> None:
    outcome = one_budget_review(BUDGET, costs, now=NOW, taken=taken)
    assert [c.endpoint for c in outcome.caps] == capped
    assert [s.endpoint for s in outcome.stops] == stopped
    (status,) = outcome.statuses
    assert status.step == max(step, taken)
    step_alerts = [a for a in outcome.records.alerts if a.kind == "guard_action"]
    if step == 0:
        assert outcome.records.is_empty
        return
    (alert,) = step_alerts
    assert alert.step == step
    assert f"step {step}, {LADDER[step - 1].describe()}" in alert.message
    (mark,) = outcome.records.ladder
    assert (mark.budget, mark.step, mark.day) == ("acme-prod", step, NOW.date())
    assert [e.action for e in outcome.records.audit] == [f"step {step}: {LADDER[step - 1].action.value}"]
    if step >= 3:
        assert {s.action.value for s in outcome.stops} <= {LADDER[step - 1].action.value}
    for cap in outcome.caps:
        assert (cap.max_replicas, cap.until) == (1, END)


def test_a_jump_takes_only_the_highest_step_and_names_the_others() -> None:
    outcome = one_budget_review(BUDGET, [cost("a", 100.0, spent=60.0)], now=NOW)  # 160
    (alert,) = outcome.records.alerts
    assert alert.step == 3
    assert "(also past step 1, 2)" in alert.message
    assert outcome.caps == []


def test_yesterdays_mark_does_not_count_today() -> None:
    yesterday = LadderMark("acme-prod", NOW.date() - timedelta(days=1), 4, NOW - timedelta(days=1))
    outcome = budget_review([BUDGET], {"acme-prod": [CHEAP, BIG]}, now=NOW, ladder={"acme-prod": yesterday})
    assert outcome.statuses[0].step == 2


def test_a_stop_beats_a_cap_across_budgets() -> None:
    stopper = Budget("strict", 50.0, UTC_ZONE)  # on_breach pause, the shorthand
    outcome = budget_review([BUDGET, stopper], {"acme-prod": [CHEAP, BIG], "strict": [CHEAP, BIG]}, now=NOW)
    assert {s.endpoint for s in outcome.stops} >= {"acme/big"}
    assert "acme/big" not in {c.endpoint for c in outcome.caps}


# -- caps bounding decisions ------------------------------------------------------------------------

CAP = Cap("acme/chat", "acme-prod", 1, 1, 4, NOW, END, "step 2")


def seen(state: str, *, low: int = 1, high: int = 4) -> Observation:
    return Observation("acme", "chat", state, 1, 1, low, high, None, "aws/us-east-1/nvidia-l4/x1", NOW)


def schedule(hour: int = 9) -> EndpointSchedule:
    rules = (Rule("r1", 1, parse_cron(f"0 {hour} * * *"), UTC_ZONE, Action(ActionKind.RESUME, 2, 4)),)
    return EndpointSchedule("acme", "chat", rules, UTC_ZONE)


@pytest.mark.parametrize(
    ("observed", "applied", "verdict", "steps"),
    [
        (seen("running", high=4), True, Verdict.ACT, [(StepKind.UPDATE, None, 1)]),  # a human's 4 put back
        (seen("running", high=1), True, Verdict.IDLE, []),
        (seen("paused", high=4), True, Verdict.IDLE, []),  # costs nothing; the cap applies when it wakes
        (seen("paused", low=0, high=0), False, Verdict.ACT, [(StepKind.RESUME, None, None), (StepKind.UPDATE, 1, 1)]),
        (seen("running", low=3, high=4), True, Verdict.ACT, [(StepKind.UPDATE, 1, 1)]),
    ],
    ids=["above-cap-put-back", "at-cap", "paused-left", "schedule-resume-clamped", "min-above-cap"],
)
def test_a_cap_bounds_the_decision(
    observed: Observation, applied: bool, verdict: Verdict, steps: list[tuple[StepKind, int | None, int | None]]
) -> None:
    fired = latest_transition(schedule(), NOW)
    assert fired is not None
    decision = endpoint_decision(
        "acme/chat", schedule(), observed, now=NOW, last_applied_key=fired.key if applied else None, cap=CAP
    )
    assert decision.verdict == verdict
    assert [(s.kind, s.min_replicas, s.max_replicas) for s in decision.steps] == steps
    if steps:
        assert "capped at max_replicas 1 by budget acme-prod" in decision.reason


def test_a_lifted_cap_gives_its_sizes_back_unless_the_schedule_fired() -> None:
    holding, lifted, records = caps_at({"acme/chat": CAP}, now=END)
    assert holding == {}
    assert records.remove_caps == ("acme/chat",)
    # The schedule last fired at 09:00, before the cap (12:00): restore 1-4.
    quiet = {"acme/chat": schedule(9)}
    marks, calls = restorations(lifted, quiet, {"acme/chat": seen("running", high=1)}, overridden=set(), now=END)
    assert marks.is_empty
    (call,) = calls
    assert [(s.kind, s.min_replicas, s.max_replicas) for s in call.steps] == [(StepKind.UPDATE, 1, 4)]
    # It fired at 18:00, after the cap: that transition applies again instead (an edge).
    busy = {"acme/chat": schedule(18)}
    marks, calls = restorations(lifted, busy, {"acme/chat": seen("running", high=1)}, overridden=set(), now=END)
    assert calls == []
    (marker,) = marks.applied
    assert marker.transition_key.startswith("cap-lifted@")
    # Latched or held meanwhile: the stronger one decides.
    marks, calls = restorations(lifted, quiet, {}, overridden={"acme/chat"}, now=END)
    assert (marks.is_empty, calls) == (True, [])
