"""What to do about one endpoint this pass, and what follows from it: steps, records, alerts. Pure.

Precedence for one endpoint, highest first: a budget latch (unless a hold was placed `--over-budget`),
a hold, a calendar skip (its rules do not fire that day, see `rules.py`), its schedule, then nothing
(a human's change stands; `drift` is alerted after `drift_after`). The reason names the winner. The
pass gathers the inputs, calls `endpoint_decision`, carries out the steps and writes
`decision.records` plus `carried_out(...)`; it decides nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from hfwarden.core.alerts import Alert, AlertKind, endpoint_failed
from hfwarden.core.drift import drift_alert
from hfwarden.core.endpoints import (
    BROKEN_STATES,
    MOVING_STATES,
    STABLE_STATES,
    UP_STATES,
    EndpointState,
    Observation,
)
from hfwarden.core.holds import held_because, hold_action
from hfwarden.core.records import AppliedTransition, AuditEntry, Cap, Hold, Latch, Records
from hfwarden.core.rules import EndpointSchedule, Transition, applied_later, latest_transition
from hfwarden.core.steps import Step as Step
from hfwarden.core.steps import StepKind as StepKind
from hfwarden.core.steps import steps_towards as steps_towards


class Verdict(StrEnum):
    ACT = "act"  # send the steps
    SATISFIED = "satisfied"  # already in the desired state: record the transition as applied
    WAIT = "wait"  # not stable yet; try again next pass
    BROKEN = "broken"  # failed/updateFailed: alert, do nothing
    MISSING = "missing"  # the endpoint does not exist
    UNOBSERVABLE = "unobservable"  # its namespace could not be listed
    LATCHED = "latched"  # a budget latch holds it; its schedule is suppressed
    HELD = "held"  # an operator's hold keeps it as it is; its schedule is suppressed
    IDLE = "idle"  # nothing to do


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do about one endpoint and why; `records` are written whatever the steps do."""

    endpoint: str
    verdict: Verdict
    reason: str
    transition: Transition | None = None
    steps: tuple[Step, ...] = ()
    records: Records = field(default_factory=Records)

    @property
    def action(self) -> str:
        """What the audit log and the logs call it."""
        if self.transition is not None and self.verdict != Verdict.LATCHED:
            return self.transition.action.describe()
        return self.steps[-1].kind.value if self.steps else "none"

    @property
    def kind(self) -> str:
        """The action kind metrics count it under."""
        if self.transition is not None and self.verdict != Verdict.LATCHED:
            return self.transition.action.kind.value
        return self.steps[-1].kind.value if self.steps else "none"

    @property
    def is_failure(self) -> bool:
        return self.verdict in (Verdict.BROKEN, Verdict.MISSING, Verdict.UNOBSERVABLE)


def carried_out(decision: Decision, *, at: datetime, error: str | None) -> Records:
    """The records of a decision's steps once sent: the transition applied and an audit entry, or
    the failure and its alert."""
    if error is not None:
        entry = AuditEntry(at, decision.endpoint, decision.action, decision.reason, "failed", error, False)
        return Records(audit=(entry,), alerts=(endpoint_failed(decision.endpoint, error, day=at.date()),))
    entry = AuditEntry(at, decision.endpoint, decision.action, decision.reason, "ok", "", False)
    applied: tuple[AppliedTransition, ...] = ()
    if decision.transition is not None and decision.verdict == Verdict.ACT:
        applied = (_applied(decision.transition),)
    return Records(applied=applied, audit=(entry,))


def dry_run_entry(decision: Decision, *, at: datetime) -> AuditEntry:
    """What a dry run writes instead of acting: the decision, marked as not carried out."""
    return AuditEntry(at, decision.endpoint, decision.action, decision.reason, "dry-run", "no call made", True)


def endpoint_decision(
    key: str,
    schedule: EndpointSchedule | None,
    observation: Observation | None,
    *,
    now: datetime,
    last_applied_key: str | None,
    latch: Latch | None = None,
    unobservable: str | None = None,
    pass_started: datetime | None = None,
    hold: Hold | None = None,
    cap: Cap | None = None,
) -> Decision:
    """One endpoint's decision from everything stored and observed about it, by precedence. A ladder's
    cap is a budget step too: it bounds whatever the hold or schedule decided (unless the hold was
    placed over budget)."""
    if unobservable is not None and (schedule is not None or hold is not None):
        return Decision(key, Verdict.UNOBSERVABLE, f"namespace not observable: {unobservable}")
    over_budget = hold is not None and hold.over_budget
    if latch is not None and not over_budget:
        return _latched(key, schedule, observation, latch, now, last_applied_key, pass_started or now)
    if hold is not None:
        decision = _held(key, schedule, observation, hold, now, last_applied_key)
    elif schedule is None:
        decision = Decision(key, Verdict.IDLE, "no schedule")
    else:
        decision = schedule_decision(schedule, observation, now=now, last_applied_key=last_applied_key)
    return decision if cap is None or over_budget else capped(decision, cap, observation)


def capped(decision: Decision, cap: Cap, observed: Observation | None) -> Decision:
    """A decision bounded by a ladder cap: its sizes clamped, and a size above the cap put back down
    (level-triggered, like a latch) on anything that could bill."""
    why = f"capped at max_replicas {cap.max_replicas} by budget {cap.budget} until {cap.until.isoformat()}"
    steps = [_clamp(step, cap.max_replicas) for step in decision.steps]
    stopping = bool(steps) and steps[-1].kind in (StepKind.PAUSE, StepKind.SCALE_TO_ZERO)
    above = observed is not None and max(observed.max_replica, observed.min_replica) > cap.max_replicas
    movable = observed is not None and observed.state in STABLE_STATES and observed.state != EndpointState.PAUSED
    updates_max = any(s.kind == StepKind.UPDATE and s.max_replicas is not None for s in steps)
    if above and movable and not stopping and not updates_max:
        assert observed is not None
        low = cap.max_replicas if observed.min_replica > cap.max_replicas else None
        steps = [s for s in steps if s.kind != StepKind.UPDATE]  # one PUT, at the cap
        steps.insert(0, Step(StepKind.UPDATE, min_replicas=low, max_replicas=cap.max_replicas))
    if not steps:
        return decision
    verdict = decision.verdict if decision.steps else Verdict.ACT
    transition = decision.transition if decision.steps else None  # only a sent transition counts as applied
    reason = f"{decision.reason}; {why}" if decision.steps else why
    return Decision(decision.endpoint, verdict, reason, transition, tuple(steps), decision.records)


def _clamp(step: Step, cap: int) -> Step:
    if step.kind != StepKind.UPDATE:
        return step
    # None is "leave as it is": the level check in `capped` deals with a size already above the cap.
    high = step.max_replicas if step.max_replicas is None else min(step.max_replicas, cap)
    low = step.min_replicas if step.min_replicas is None else min(step.min_replicas, cap)
    return Step(StepKind.UPDATE, min_replicas=low, max_replicas=high, scale_to_zero_timeout=step.scale_to_zero_timeout)


def stop_step(action: str) -> Step:
    """The call that carries out a budget stop (`pause` or `scale_to_zero`)."""
    return Step(StepKind.SCALE_TO_ZERO if action == StepKind.SCALE_TO_ZERO else StepKind.PAUSE)


def stop_steps(action: str, observed: Observation) -> tuple[Step, ...]:
    """The calls that stop an endpoint for a budget. A scale-to-zero sets the minimum to 0 first, as
    the scheduled one does: the platform needs it, and it lets traffic wake the endpoint and the idle
    timeout put it back to zero."""
    if observed.state == EndpointState.PAUSED:
        return ()
    if action != StepKind.SCALE_TO_ZERO:
        return (Step(StepKind.PAUSE),)
    steps = [Step(StepKind.UPDATE, min_replicas=0)] if observed.min_replica > 0 else []
    if observed.state != EndpointState.SCALED_TO_ZERO:
        steps.append(Step(StepKind.SCALE_TO_ZERO))
    return tuple(steps)


def is_woken(observed: Observation | None) -> bool:
    """Up at minimum 0 under a scale-to-zero latch: traffic woke it (a request cannot raise the
    minimum; a person resuming it or raising the minimum is an override, see `_latched`)."""
    return observed is not None and observed.state in UP_STATES and observed.min_replica == 0


def is_stopped(observed: Observation, step: Step) -> bool:
    """Paused satisfies any stop; scaled to zero satisfies only a scale-to-zero one."""
    return observed.state == EndpointState.PAUSED or (
        step.kind == StepKind.SCALE_TO_ZERO and observed.state == EndpointState.SCALED_TO_ZERO
    )


def latched_because(latch: Latch) -> str:
    return f"latched by budget {latch.budget} until {latch.until.isoformat()}"


def _latched(
    key: str,
    schedule: EndpointSchedule | None,
    observed: Observation | None,
    latch: Latch,
    now: datetime,
    last_applied_key: str | None,
    pass_started: datetime,
) -> Decision:
    """A latch is level-triggered: whatever bills or starts is stopped again, and the schedule's
    transitions count as applied, so the latch lifting resumes nothing."""
    reason = latched_because(latch)
    transition, records = _suppressed(key, schedule, now, last_applied_key, reason)
    if observed is None or observed.state in BROKEN_STATES:
        return Decision(key, Verdict.LATCHED, reason, transition, (), records)
    if latch.action == StepKind.SCALE_TO_ZERO and is_woken(observed):
        # The platform doing its job: billed and projected, not fought (the ladder may escalate).
        woken = f"{reason}; woken by traffic at minimum 0, left to idle back to zero"
        return Decision(key, Verdict.LATCHED, woken, transition, (), records)
    wants = stop_steps(latch.action, observed)
    if not wants:
        return Decision(key, Verdict.LATCHED, reason, transition, (), records)
    if observed.state in UP_STATES and latch.latched_at < pass_started:
        message = f"{key} was started while {reason}; stopped again"
        overridden = Alert(AlertKind.LATCH_OVERRIDDEN, key, now.date(), message, endpoint=key, budget=latch.budget)
        records += Records(alerts=(overridden,))
    return Decision(key, Verdict.LATCHED, reason, transition, wants, records)


def _suppressed(
    key: str, schedule: EndpointSchedule | None, now: datetime, last_applied_key: str | None, reason: str
) -> tuple[Transition | None, Records]:
    """The schedule's latest transition, and if it is new, the records that count it applied and
    audit it as suppressed (by a latch or a hold), so that lifting them resumes nothing by itself."""
    transition = latest_transition(schedule, now) if schedule is not None else None
    if transition is None or transition.key == last_applied_key:
        return transition, Records()
    if schedule is not None and applied_later(schedule, transition, last_applied_key) is not None:
        return transition, Records()  # the clock stepped back: the newer one stays the last applied
    entry = AuditEntry(now, key, transition.action.describe(), f"suppressed: {reason}", "suppressed", "", False)
    return transition, Records(applied=(_applied(transition),), audit=(entry,))


def _held(
    key: str,
    schedule: EndpointSchedule | None,
    observed: Observation | None,
    hold: Hold,
    now: datetime,
    last_applied_key: str | None,
) -> Decision:
    """A hold is level-triggered: a human (or traffic) changing a held endpoint is put back."""
    reason = held_because(hold)
    _, records = _suppressed(key, schedule, now, last_applied_key, reason)
    if observed is None:
        why = f"endpoint not found in its namespace ({reason})"
        return Decision(key, Verdict.MISSING, why, None, (), records + _alerted(key, why, now))
    if observed.state in BROKEN_STATES:
        why = f"endpoint is {observed.state}; needs a human ({reason})"
        return Decision(key, Verdict.BROKEN, why, None, (), records + _alerted(key, why, now))
    if observed.state not in STABLE_STATES:
        return Decision(key, Verdict.WAIT, f"endpoint is {observed.state}; {reason}", None, (), records)
    steps = steps_towards(hold_action(hold), observed)
    return Decision(key, Verdict.ACT if steps else Verdict.HELD, reason, None, steps, records)


def _alerted(key: str, why: str, now: datetime) -> Records:
    return Records(alerts=(endpoint_failed(key, why, day=now.date()),))


def _applied(transition: Transition) -> AppliedTransition:
    return AppliedTransition(transition.endpoint, transition.key, transition.at)


def schedule_decision(
    schedule: EndpointSchedule,
    observation: Observation | None,
    *,
    now: datetime,
    last_applied_key: str | None,
) -> Decision:
    """Compare desired (latest transition), last applied and observed state; return what to do.

    Edge-triggered unless `enforce`: a transition already applied is not re-applied, so a human's
    change stands until the next transition. A transition that fired while hfwarden was down is
    still unapplied, so the first pass after a restart catches it up.
    """
    key = schedule.key
    transition = latest_transition(schedule, now)
    if transition is None:
        return Decision(key, Verdict.IDLE, "no rule has fired yet" + _calendar_note(schedule, now))
    if not schedule.enforce and transition.key == last_applied_key:
        return _left_alone(schedule, transition, observation, now)
    if (later := applied_later(schedule, transition, last_applied_key)) is not None:
        why = f"a later transition (at {later.isoformat()}) is already applied; the clock is behind it"
        return Decision(key, Verdict.IDLE, why, transition)
    if observation is None:
        return _failure(key, Verdict.MISSING, "endpoint not found in its namespace", transition, now)
    if observation.state in BROKEN_STATES:
        return _failure(key, Verdict.BROKEN, f"endpoint is {observation.state}; needs a human", transition, now)
    if observation.state in MOVING_STATES:
        return Decision(key, Verdict.WAIT, f"endpoint is {observation.state}; waiting for a stable state", transition)
    if observation.state not in STABLE_STATES:
        return Decision(key, Verdict.WAIT, f"unknown state {observation.state!r}", transition)
    steps = steps_towards(transition.action, observation)
    why = f"{transition.action.describe()} from rule {transition.rule.number} at {transition.at.isoformat()}"
    why += _calendar_note(schedule, now)
    if steps:
        return Decision(key, Verdict.ACT, why, transition, steps)
    reason = f"already {observation.state}: {why}"
    records = Records()
    if transition.key != last_applied_key:
        entry = AuditEntry(now, key, transition.action.describe(), reason, "already", "", False)
        records = Records(applied=(_applied(transition),), audit=(entry,))
    return Decision(key, Verdict.SATISFIED, reason, transition, (), records)


def _left_alone(
    schedule: EndpointSchedule, transition: Transition, observed: Observation | None, now: datetime
) -> Decision:
    """Edge mode after the transition was applied: a human's change stands, and is alerted as `drift`
    (once per endpoint and local day) when it has lasted `drift_after`."""
    key = schedule.key
    if observed is None:
        return Decision(key, Verdict.IDLE, "latest transition already applied", transition)
    day = now.astimezone(schedule.zone).date()
    alert = drift_alert(transition, observed, now=now, drift_after=schedule.drift_after, day=day)
    if alert is None:
        return Decision(key, Verdict.IDLE, "latest transition already applied", transition)
    reason = f"drift: {alert.message}"
    # Still idle: nothing to send. The alert is the only consequence of a human's change.
    return Decision(key, Verdict.IDLE, reason, transition, (), Records(alerts=(alert,)))


def _calendar_note(schedule: EndpointSchedule, now: datetime) -> str:
    """`; today skipped (de-by: Christmas Day)` when a calendar is why the schedule looks as it does."""
    why = schedule.skipped(now.astimezone(schedule.zone).date()) if schedule.skip else None
    return "" if why is None else f"; today skipped ({why}): its rules do not fire"


def _failure(key: str, verdict: Verdict, reason: str, transition: Transition, now: datetime) -> Decision:
    alert = endpoint_failed(key, reason, day=now.date())
    return Decision(key, verdict, reason, transition, (), Records(alerts=(alert,)))
