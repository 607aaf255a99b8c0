"""Budget latches: a guard's stops become latches (with their audit entries and alert), and latches
lift at the next budget day. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.decide import Decision, StepKind, Verdict, is_woken, stop_steps
from hfwarden.core.endpoints import Observation
from hfwarden.core.formats import dollars
from hfwarden.core.records import AuditEntry, Latch, Records
from hfwarden.core.stops import StopDecision


def latches_at(latches: Mapping[str, Latch], *, now: datetime) -> tuple[dict[str, Latch], Records]:
    """Latches still holding at `now`, and the records of those that lifted (a new budget day)."""
    holding: dict[str, Latch] = {}
    records = Records()
    for key, latch in latches.items():
        if now < latch.until:
            holding[key] = latch
            continue
        message = f"{latch.endpoint}: latch of budget {latch.budget} lifted at the new budget day"
        entry = AuditEntry(now, latch.endpoint, "release", message, "ok", "budget day rolled over", False)
        alert = Alert(
            AlertKind.LATCH_LIFTED,
            latch.endpoint,
            latch.until.date(),
            message,
            endpoint=latch.endpoint,
            budget=latch.budget,
        )
        records += Records(audit=(entry,), remove_latches=(latch.endpoint,), alerts=(alert,))
    return holding, records


def stop_latches(
    stops: Sequence[StopDecision],
    *,
    latched: Mapping[str, Latch],
    observations: Mapping[str, Observation],
    guard_alerts: Sequence[Alert],
    now: datetime,
) -> tuple[Records, list[Decision]]:
    """The guard's new stops as latches, audit entries and its alert (to write before any call, so a
    crash between the two still holds the endpoint), and the calls that stop what still bills."""
    # A scale-to-zero latch escalates to a pause (traffic kept waking it past the ladder's next line).
    new = [s for s in stops if s.endpoint not in latched or _escalates(latched[s.endpoint], s)]
    if not new:
        return Records(), []
    records = Records(
        audit=tuple(
            AuditEntry(now, s.endpoint, s.action.value, s.reason, "latched", f"saves {dollars(s.saved_usd)}", False)
            for s in new
        ),
        add_latches=tuple(Latch(s.endpoint, s.budget, s.action.value, now, s.until, s.reason) for s in new),
        alerts=tuple(guard_alerts),
    )
    decisions = []
    for stop in new:
        observed = observations.get(stop.endpoint)
        steps = stop_steps(stop.action, observed) if observed is not None else ()
        if not steps:
            continue  # already stopped: the latch alone keeps its schedule from resuming it
        decisions.append(Decision(stop.endpoint, Verdict.ACT, stop.reason, None, steps))
    return records, decisions


def woken_under(latch: Latch, observed: Observation | None) -> bool:
    """A scale-to-zero latch whose endpoint traffic woke: billed, projected, and a `pause` step's to stop."""
    return latch.action == StepKind.SCALE_TO_ZERO and is_woken(observed)


def _escalates(latch: Latch, stop: StopDecision) -> bool:
    return latch.action == StepKind.SCALE_TO_ZERO and stop.action.value == StepKind.PAUSE
