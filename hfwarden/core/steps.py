"""The mutating API calls that take an endpoint in a stable state to what a rule's action asks for."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import assert_never

from hfwarden.core.endpoints import EndpointState, Observation
from hfwarden.core.rules import Action, ActionKind


class StepKind(StrEnum):
    UPDATE = "update"
    RESUME = "resume"
    PAUSE = "pause"
    SCALE_TO_ZERO = "scale_to_zero"


@dataclass(frozen=True, slots=True)
class Step:
    """One mutating API call."""

    kind: StepKind
    min_replicas: int | None = None
    max_replicas: int | None = None
    scale_to_zero_timeout: int | None = None
    clear_timeout: bool = False  # send `scaleToZeroTimeout: null` (see core/scaling.py)


def steps_towards(action: Action, observed: Observation) -> tuple[Step, ...]:
    """The API calls that take an endpoint in a stable state to what `action` asks for."""
    update = _scaling_update(action, observed)
    match action.kind:
        case ActionKind.PAUSE:
            return () if observed.state == EndpointState.PAUSED else (Step(StepKind.PAUSE),)
        case ActionKind.RESUME:
            if observed.state == EndpointState.RUNNING:
                return (update,) if update else ()
            # The resume first, then the sizes the rule asks for, against what the resume leaves: HF's
            # docs say a resume sets min & max replicas to 1 (a pause set them to 0), so sizes sent
            # before it would be lost. A PUT on a `pending` endpoint only records them: it starts at them.
            resumed = after_resume(observed)
            update = _scaling_update(action, resumed)
            return (Step(StepKind.RESUME), update) if update else (Step(StepKind.RESUME),)
        case ActionKind.SCALE:
            return (update,) if update else ()
        case ActionKind.SCALE_TO_ZERO:
            steps = [update] if update else []
            # Paused is "more stopped" than scaled to zero: never wake what is paused.
            if observed.state not in (EndpointState.SCALED_TO_ZERO, EndpointState.PAUSED):
                steps.append(Step(StepKind.SCALE_TO_ZERO))
            return tuple(steps)
        case _:
            assert_never(action.kind)


def after_resume(observed: Observation) -> Observation:
    """The sizes a resume leaves: 1 and 1 from `paused` (HF's docs), what was there otherwise."""
    if observed.state != EndpointState.PAUSED:
        return observed
    return replace(observed, min_replica=1, max_replica=1)


def _scaling_update(action: Action, observed: Observation) -> Step | None:
    wanted_min = action.min_replicas if action.min_replicas is not None else observed.min_replica
    if action.kind == ActionKind.SCALE_TO_ZERO:
        # Scale to zero needs minReplica 0 (the API's rule); it also lets the endpoint idle back to
        # zero after traffic has woken it.
        wanted_min = 0
    wanted_max = action.max_replicas if action.max_replicas is not None else observed.max_replica
    # A rule that names only one bound must not produce min > max against the other, observed one.
    if action.min_replicas is not None and action.max_replicas is None:
        wanted_max = max(wanted_max, wanted_min)
    if action.max_replicas is not None and action.min_replicas is None:
        wanted_min = min(wanted_min, wanted_max)
    # A timeout only applies at minimum 0 (HF refuses it otherwise): not wanted above, so an enforced
    # rule naming both does not send the same refused (or cleared) timeout every tick.
    wanted_timeout = action.scale_to_zero_timeout if wanted_min == 0 else None
    changes = (
        wanted_min != observed.min_replica,
        wanted_max != observed.max_replica,
        wanted_timeout is not None and wanted_timeout != observed.scale_to_zero_timeout,
    )
    if not any(changes):
        return None
    return Step(
        StepKind.UPDATE,
        min_replicas=wanted_min if changes[0] else None,
        max_replicas=wanted_max if changes[1] else None,
        scale_to_zero_timeout=wanted_timeout if changes[2] else None,
    )
