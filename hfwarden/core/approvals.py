"""Ladder steps with people in the loop: `notice:` (announce, then act when it runs out, or at once if
the day's spent amount passes the budget first) and `approve: {within, otherwise}` (announce with
Approve / Skip, act on approval, or when the time runs out per `otherwise`). Pure.

The guard climbs its ladder as always; `gate` then holds back a gated step's stops and caps (and its
ladder mark, so the next pass climbs to it again) until the step is due, recording a `PendingStep`.
A skipped step keeps its mark (it counts as taken today) and acts on nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from hfwarden.core.action_tokens import Grant, GrantKind
from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.budget import Budget, BudgetReview, BudgetStatus
from hfwarden.core.formats import dollars
from hfwarden.core.ladder import LadderStep
from hfwarden.core.offers import Choice, Notice
from hfwarden.core.records import AuditEntry, PendingStep, Records

NOTICE, APPROVE = "notice", "approve"


@dataclass(frozen=True, slots=True)
class Gated:
    """The guard's outcome with held-back steps removed, what to store, and what to write."""

    outcome: BudgetReview
    put: tuple[PendingStep, ...] = ()
    drop: tuple[str, ...] = ()  # budgets whose pending step is over
    records: Records = field(default_factory=Records)


def _taken(outcome: BudgetReview) -> dict[str, int]:
    return {mark.budget: mark.step for mark in outcome.records.ladder}


def without(outcome: BudgetReview, budget: str, *, keep_mark: bool) -> BudgetReview:
    """The outcome with one budget's step held back: no stops, no caps, no step alert or audit (and no
    ladder mark unless `keep_mark`, so that the step is climbed again next pass)."""
    records = outcome.records
    kept = replace(
        records,
        audit=tuple(e for e in records.audit if e.endpoint != f"budget:{budget}"),
        alerts=tuple(a for a in records.alerts if not (a.budget == budget and a.kind == AlertKind.GUARD_ACTION)),
        ladder=tuple(m for m in records.ladder if keep_mark or m.budget != budget),
    )
    return BudgetReview(
        statuses=outcome.statuses,
        alerts=outcome.alerts,
        stops=[s for s in outcome.stops if s.budget != budget],
        caps=[c for c in outcome.caps if c.budget != budget],
        records=kept,
    )


def announcement(pending: PendingStep, status: BudgetStatus, rung: LadderStep, outcome: BudgetReview) -> Alert:
    """The `upcoming_stop` of a gated step: what it will do, when, and (approvals) Approve / Skip."""
    budget = status.budget
    targets = [s.endpoint for s in outcome.stops if s.budget == budget.name]
    targets += [f"cap {c.endpoint} at {c.max_replicas}" for c in outcome.caps if c.budget == budget.name]
    saved = sum(s.saved_usd for s in outcome.stops if s.budget == budget.name)
    local = pending.due_at.astimezone(budget.zone)
    why = f"budget {budget.name} step {pending.step} ({rung.describe()})"
    what = f"{rung.action.value} {', '.join(targets) or 'nothing yet'}"
    if pending.kind == NOTICE:
        ask = f"at {local:%H:%M %Z} unless spent passes the budget first"
        choices: tuple[Choice, ...] = ()
    else:
        otherwise = "acts" if rung.otherwise == "act" else "skips it"
        ask = f"on approval; with no answer by {local:%H:%M %Z} it {otherwise}"
        choices = tuple(_decision(pending, kind) for kind in (GrantKind.APPROVE, GrantKind.SKIP))
    message = f"{budget.name}: {why}: will {what} {ask}; saves {dollars(saved)} by the end of the budget day"
    _, day_end = budget.day_bounds(pending.announced_at)
    notice = Notice(pending.due_at, str(budget.zone), why, saved, day_end, choices)
    return Alert(
        AlertKind.UPCOMING_STOP,
        f"budget:{pending.ref}",
        pending.day,
        message,
        budget=budget.name,
        daily_usd=budget.daily_usd,
        spent_usd=status.spent_usd,
        projected_usd=status.projected_usd,
        step=pending.step,
        notice=notice,
    )


def _decision(pending: PendingStep, kind: GrantKind) -> Choice:
    """Approve or Skip, expiring when the wait ends; signed into a link when the alert is written."""
    label = "Approve" if kind == GrantKind.APPROVE else "Skip"
    return Choice(label, kind, grant=Grant(kind, f"budget:{pending.budget}", pending.due_at, pending.ref))


def gate(
    outcome: BudgetReview,
    budgets: Sequence[Budget],
    pending: Mapping[str, PendingStep],
    *,
    now: datetime,
) -> Gated:
    """Hold back each gated step this pass took until it is due; see the module's docstring."""
    result = Gated(outcome)
    statuses = {s.budget.name: s for s in outcome.statuses}
    for budget in budgets:
        step = _taken(outcome).get(budget.name)
        if step is None or not budget.steps:
            continue
        rung = budget.steps[step - 1]
        if rung.notice is None and rung.approve_within is None:
            continue
        waiting = pending.get(budget.name)
        day = budget.day_of(now)
        if waiting is not None and (waiting.day, waiting.step) != (day, step):
            waiting = None  # another day's or another step's: this one starts its own wait
        result = _one(result, budget, statuses[budget.name], rung, step, waiting, now=now)
    return result


def _one(
    result: Gated,
    budget: Budget,
    status: BudgetStatus,
    rung: LadderStep,
    step: int,
    waiting: PendingStep | None,
    *,
    now: datetime,
) -> Gated:
    if waiting is None:
        kind = NOTICE if rung.notice is not None else APPROVE
        wait = rung.notice if rung.notice is not None else rung.approve_within
        assert wait is not None
        new = PendingStep(budget.name, budget.day_of(now), step, kind, now, now + wait)
        alert = announcement(new, status, rung, result.outcome)
        entry = _audit(now, budget.name, f"step {step} announced", alert.message)
        records = result.records + Records(audit=(entry,), alerts=(alert,))
        return Gated(without(result.outcome, budget.name, keep_mark=False), (*result.put, new), result.drop, records)
    acted, why = _verdict(waiting, status, rung, now=now)
    if acted is None:
        return replace(result, outcome=without(result.outcome, budget.name, keep_mark=False))
    entry = _audit(now, budget.name, f"step {step} {'taken' if acted else 'skipped'}", why)
    records = result.records + Records(audit=(entry,))
    outcome = result.outcome if acted else without(result.outcome, budget.name, keep_mark=True)
    return Gated(outcome, result.put, (*result.drop, budget.name), records)


def _verdict(waiting: PendingStep, status: BudgetStatus, rung: LadderStep, *, now: datetime) -> tuple[bool | None, str]:
    """(True: act, False: skip, None: keep waiting) and why, for the audit."""
    if waiting.kind == NOTICE:
        if status.spent_usd >= status.budget.daily_usd:
            return True, f"spent {dollars(status.spent_usd)} passed the budget during the notice: acting now"
        if now >= waiting.due_at:
            return True, f"the notice announced at {waiting.announced_at.isoformat()} ran out"
        return None, ""
    if waiting.decision is not None:
        verb = "approved" if waiting.decision == "approve" else "skipped"
        return waiting.decision == "approve", f"{verb} by {waiting.decided_by or 'someone'}"
    if now >= waiting.due_at:
        acts = rung.otherwise == "act"
        return acts, f"no answer by {waiting.due_at.isoformat()}: otherwise {rung.otherwise}"
    return None, ""


def _audit(now: datetime, budget: str, action: str, message: str) -> AuditEntry:
    return AuditEntry(now, f"budget:{budget}", action, message, "ok", "", False)
