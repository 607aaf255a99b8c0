"""Drift: an endpoint whose observed state has left what its schedule wants, with enforce off. Pure.

"Differs" is what an on-call engineer would call a difference, not every field the API returns: a
scale-to-zero endpoint woken by traffic is doing its job, a paused one (which requests do not wake)
is not. Since when is derived from stored and observed facts, never from a clock read: the later of
the transition's fire time and the endpoint's own `updatedAt` (the last change the API saw).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import assert_never

from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.endpoints import STABLE_STATES, EndpointState, Observation
from hfwarden.core.rules import Action, ActionKind, Transition


def drift_of(action: Action, observed: Observation) -> str | None:
    """How `observed` differs from what `action` asks for, or None if it does not (or is moving)."""
    if observed.state not in STABLE_STATES:
        return None
    paused = observed.state == EndpointState.PAUSED
    match action.kind:
        case ActionKind.PAUSE:
            return None if paused else f"is {observed.state}"
        case ActionKind.RESUME:
            if paused:
                return "is paused"
            asleep = observed.state == EndpointState.SCALED_TO_ZERO
            if asleep and (action.min_replicas or 0) > 0:
                return "is scaled to zero"
            return _bounds(action, observed)
        case ActionKind.SCALE:
            return _bounds(action, observed)
        case ActionKind.SCALE_TO_ZERO:
            if paused:
                return "is paused (requests do not wake it)"
            return None if observed.min_replica == 0 else f"has min_replicas {observed.min_replica}"
        case _:
            assert_never(action.kind)


def _bounds(action: Action, observed: Observation) -> str | None:
    wrong = [
        f"{label} {seen} (not {wanted})"
        for label, wanted, seen in (
            ("min_replicas", action.min_replicas, observed.min_replica),
            ("max_replicas", action.max_replicas, observed.max_replica),
        )
        if wanted is not None and wanted != seen
    ]
    return "has " + ", ".join(wrong) if wrong else None


def drift_since(transition: Transition, observed: Observation) -> datetime:
    """When the difference began: not before the transition fired, nor before the last change seen."""
    return max(transition.at, observed.updated_at)


def drift_alert(
    transition: Transition,
    observed: Observation,
    *,
    now: datetime,
    drift_after: timedelta,
    day: date,
) -> Alert | None:
    """A `drift` alert (once per endpoint and local day) once the difference has lasted `drift_after`."""
    difference = drift_of(transition.action, observed)
    if difference is None:
        return None
    since = drift_since(transition, observed)
    if now - since < drift_after:
        return None
    key = transition.endpoint
    zone = transition.rule.zone
    minutes = int((now - since).total_seconds() // 60)
    message = (
        f"{key}: schedule wants {transition.action.describe()} (rule {transition.rule.number} at "
        f"{transition.at.astimezone(zone):%Y-%m-%d %H:%M %Z}); it {difference} since "
        f"{since.astimezone(zone):%Y-%m-%d %H:%M %Z} ({minutes} min); enforce is off, so hfwarden leaves it"
    )
    return Alert(AlertKind.DRIFT, key, day, message, endpoint=key)
