"""A budget's escalation ladder: `steps` at fractions of `daily_usd` (on the projection unless
`on: spent`), each taken once per budget day, in order, a later one escalating from the earlier one's
state. Pure.

- `notify`: the step's `guard_action` alert and nothing else.
- `cap`: lower `max_replicas` (and `min_replicas` if above it) on as few unprotected endpoints as
  bring the projection back under the step's line, in the guard's order; their previous sizes are
  recorded and restored when the cap lifts (next budget day or `release`), unless their schedule
  fired a transition meanwhile (then that applies).
- `scale_to_zero` / `pause`: the guard's stops (latches), as few as bring the projection under the
  step's line (every candidate when the step is on `spent`).

Of several lines crossed at once only the highest step is taken (naming the others): one jump is one
action, not a cap immediately undone by a pause.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.decide import Decision, Step, StepKind, Verdict, capped
from hfwarden.core.endpoints import STABLE_STATES, Observation
from hfwarden.core.months import MonthPace
from hfwarden.core.records import AppliedTransition, AuditEntry, Cap, LadderMark, Records
from hfwarden.core.rules import EndpointSchedule, latest_transition

CAP_LIFTED_MARKER = "cap-lifted"


class StepAction(StrEnum):
    NOTIFY = "notify"
    CAP = "cap"
    SCALE_TO_ZERO = "scale_to_zero"
    PAUSE = "pause"


class Basis(StrEnum):
    PROJECTED = "projected"
    SPENT = "spent"
    MONTH = "month"  # the month's spend so far against `monthly_usd` (core/allowance.py)


@dataclass(frozen=True, slots=True)
class LadderStep:
    """One rung: at `at` × daily_usd of the projection (or of spend), do `action`."""

    at: float
    action: StepAction
    max_replicas: int | None = None  # for `cap`
    on: Basis = Basis.PROJECTED
    # People in the loop (core/approvals.py): announce the step this long before acting on it, or ask
    # for an approval within `approve_within` and then act (`otherwise: act`) or not (`skip`).
    notice: timedelta | None = None
    approve_within: timedelta | None = None
    otherwise: str = "act"

    def describe(self) -> str:
        cap = f" max_replicas {self.max_replicas}" if self.action == StepAction.CAP else ""
        basis = {Basis.SPENT: " of spend", Basis.MONTH: " of the month"}.get(self.on, "")
        return f"{self.action.value}{cap} at {self.at:.0%}{basis}"


@dataclass(frozen=True, slots=True)
class CapDecision:
    """Cap one endpoint's replicas for a budget until `until`."""

    endpoint: str
    budget: str
    max_replicas: int
    reason: str
    saved_usd: float
    until: datetime


@dataclass(frozen=True, slots=True)
class Rung:
    """What a ladder decided for one budget this pass."""

    step: int = 0  # the step taken this pass (1-based), 0 if none
    cap: tuple[CapDecision, ...] = ()
    stop: tuple[str, ...] = ()  # endpoints to stop with the step's action (pause / scale_to_zero)
    records: Records = field(default_factory=Records)


def crossed(
    steps: Sequence[LadderStep],
    *,
    daily_usd: float,
    spent_usd: float,
    projected_usd: float,
    month: MonthPace | None = None,
) -> int:
    """The highest step (1-based) whose line its figure has reached; 0 if none. A step `on: month`
    compares the month's spend with `monthly_usd` (never reached without a paced month)."""
    reached = 0
    for number, step in enumerate(steps, start=1):
        if step.on == Basis.MONTH:
            if month is not None and month.spent_usd >= step.at * month.monthly_usd:
                reached = number
            continue
        figure = spent_usd if step.on == Basis.SPENT else projected_usd
        if figure >= step.at * daily_usd:
            reached = number
    return reached


def cap_saving(future_usd: float, billed_replicas: int, max_replicas: int) -> float:
    """What capping saves by the end of the day: the share of replicas above the cap."""
    if billed_replicas <= max_replicas:
        return 0.0
    return future_usd * (1 - max_replicas / billed_replicas)


def step_message(budget: str, number: int, step: LadderStep, figure: str, also: Sequence[int], acted: str) -> str:
    passed = f" (also past step {', '.join(str(n) for n in also)})" if also else ""
    return f"{budget}: step {number}, {step.describe()}: {figure}{passed}; {acted}"


def taken_step(marks: Mapping[str, LadderMark], budget: str, day: object) -> int:
    """The step a budget's ladder already took on its budget day (0 if none, or another day's)."""
    mark = marks.get(budget)
    return mark.step if mark is not None and mark.day == day else 0


def cap_records(
    caps: Sequence[CapDecision], *, current: Mapping[str, Cap], observations: Mapping[str, Observation], now: datetime
) -> Records:
    """New caps as records, with the sizes they replace (from this pass's observations)."""
    new = []
    for decision in caps:
        if decision.endpoint in current:
            continue
        observed = observations.get(decision.endpoint)
        low = observed.min_replica if observed is not None else 0
        high = observed.max_replica if observed is not None else decision.max_replicas
        new.append(
            Cap(
                decision.endpoint,
                decision.budget,
                decision.max_replicas,
                low,
                high,
                now,
                decision.until,
                decision.reason,
            )
        )
    audit = tuple(
        AuditEntry(
            now,
            c.endpoint,
            f"cap(max={c.max_replicas})",
            c.reason,
            "capped",
            f"was {c.previous_min}-{c.previous_max}",
            False,
        )
        for c in new
    )
    return Records(audit=audit, add_caps=tuple(new))


def caps_at(caps: Mapping[str, Cap], *, now: datetime) -> tuple[dict[str, Cap], list[Cap], Records]:
    """Caps still holding at `now`, those that lifted (a new budget day or a release), and their records."""
    holding: dict[str, Cap] = {}
    lifted: list[Cap] = []
    records = Records()
    for key, cap in caps.items():
        if now < cap.until:
            holding[key] = cap
            continue
        lifted.append(cap)
        message = (
            f"{cap.endpoint}: cap of budget {cap.budget} lifted; {_was(cap)} restored unless its schedule fired since"
        )
        entry = AuditEntry(now, cap.endpoint, "uncap", message, "ok", "", False)
        alert = Alert(
            AlertKind.LATCH_LIFTED, f"{cap.endpoint}:cap", now.date(), message, endpoint=cap.endpoint, budget=cap.budget
        )
        records += Records(audit=(entry,), remove_caps=(cap.endpoint,), alerts=(alert,))
    return holding, lifted, records


def _was(cap: Cap) -> str:
    return f"sizes {cap.previous_min}-{cap.previous_max}"


def cap_calls(caps: Sequence[Cap], observations: Mapping[str, Observation]) -> list[Decision]:
    """The calls that bring newly capped endpoints down to their cap (none for what is already under)."""
    decisions = []
    for cap in caps:
        decision = capped(Decision(cap.endpoint, Verdict.IDLE, cap.reason), cap, observations.get(cap.endpoint))
        if decision.steps:
            decisions.append(decision)
    return decisions


def restorations(
    lifted: Sequence[Cap],
    schedules: Mapping[str, EndpointSchedule],
    observations: Mapping[str, Observation],
    *,
    overridden: set[str],
    now: datetime,
) -> tuple[Records, list[Decision]]:
    """What a lifted cap gives back: the sizes it replaced, unless the endpoint's schedule fired since it
    was capped (then a marker makes that transition due again, and the schedule decides) or something
    stronger holds the endpoint now (`overridden`: a latch or a hold)."""
    records = Records()
    decisions = []
    for cap in lifted:
        schedule = schedules.get(cap.endpoint)
        observed = observations.get(cap.endpoint)
        if cap.endpoint in overridden or (schedule is not None and schedule.enforce):
            continue
        fired = latest_transition(schedule, now) if schedule is not None else None
        if fired is not None and fired.at > cap.capped_at:
            marker = AppliedTransition(cap.endpoint, f"{CAP_LIFTED_MARKER}@{now.isoformat()}", now)
            records += Records(applied=(marker,))
            continue
        if observed is None or observed.state not in STABLE_STATES:
            continue  # gone or moving: its schedule's next transition sets it
        back = Step(StepKind.UPDATE, min_replicas=cap.previous_min, max_replicas=cap.previous_max)
        if (observed.min_replica, observed.max_replica) != (cap.previous_min, cap.previous_max):
            why = f"cap of budget {cap.budget} lifted: back to {_was(cap)}"
            decisions.append(Decision(cap.endpoint, Verdict.ACT, why, None, (back,)))
    return records, decisions
