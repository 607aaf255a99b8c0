"""What the API is expected to answer once a decision's calls are sent. Pure.

A pass sends its calls as one ordered list (core/pacing.py), so the budget guard decides before any
call is carried out: from the listing with the schedules' and restores' decisions applied as the
platform applies them (an UPDATE records the sizes and restarts a running endpoint through
`updating`; a resume starts `pending`, at 1 and 1 replicas from `paused`; a pause or scale-to-zero
bills nothing more at once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from hfwarden.core.decide import Decision
from hfwarden.core.endpoints import EndpointState, Observation
from hfwarden.core.scaling import conflict_free, resulting_min, resulting_timeout
from hfwarden.core.steps import Step, StepKind, after_resume

_RESTARTED_BY_UPDATE = (EndpointState.RUNNING, EndpointState.UPDATING, EndpointState.UPDATE_FAILED)
_STARTED_BY_RESUME = (EndpointState.PAUSED, EndpointState.SCALED_TO_ZERO, EndpointState.FAILED)


def after_step(observed: Observation, step: Step) -> Observation:
    """`observed` as the API answers right after `step` (what the emulator and HF answer)."""
    match step.kind:
        case StepKind.UPDATE:
            step = conflict_free(step, observed)
            low = resulting_min(step, observed)
            high = step.max_replicas if step.max_replicas is not None else observed.max_replica
            updated = replace(
                observed, min_replica=low, max_replica=high, scale_to_zero_timeout=resulting_timeout(step, observed)
            )
            if observed.state not in _RESTARTED_BY_UPDATE or updated == observed:
                return updated
            target = min(max(observed.target_replicas, max(low, 1)), high)
            return replace(updated, state=EndpointState.UPDATING, ready_replicas=0, target_replicas=target)
        case StepKind.RESUME:
            if observed.state not in _STARTED_BY_RESUME:
                return observed
            return replace(after_resume(observed), state=EndpointState.PENDING, ready_replicas=0, target_replicas=0)
        case StepKind.PAUSE:
            return replace(observed, state=EndpointState.PAUSED, ready_replicas=0, target_replicas=0)
        case StepKind.SCALE_TO_ZERO:
            return replace(observed, state=EndpointState.SCALED_TO_ZERO, ready_replicas=0, target_replicas=0)


def expected_answers(observations: Mapping[str, Observation], decisions: Sequence[Decision]) -> dict[str, Observation]:
    """Each acting endpoint as expected once the decisions' steps are sent (in order, per endpoint)."""
    expected: dict[str, Observation] = {}
    for decision in decisions:
        observed = expected.get(decision.endpoint) or observations.get(decision.endpoint)
        if observed is None or not decision.steps:
            continue
        for step in decision.steps:
            observed = after_step(observed, step)
        expected[decision.endpoint] = observed
    return expected


def undone_by_pauses(
    scheduled: Sequence[Decision], stops: Sequence[Decision], observations: Mapping[str, Observation]
) -> tuple[list[Decision], list[Decision], list[Decision]]:
    """The schedules' calls and the guard's stops worth sending, and the schedules' calls withheld.

    A schedule's call for an endpoint the guard pauses in the same pass is undone by that pause: a
    resume would start the endpoint (a cold start, a bill, a page) only to stop it a second later.
    It is withheld; the guard's latch holds the endpoint and its release restores the schedule. A pause
    of an endpoint the listing already shows paused then needs no call. A scale-to-zero stop keeps the
    schedule's calls: its endpoint is meant to wake on traffic, resumed first if it was paused."""
    paused = {d.endpoint for d in stops if any(step.kind is StepKind.PAUSE for step in d.steps)}
    kept = [d for d in scheduled if d.endpoint not in paused]
    withheld = [d for d in scheduled if d.endpoint in paused]
    undone = {d.endpoint for d in withheld}
    needed = [
        d
        for d in stops
        if not (
            d.endpoint in undone
            and (observed := observations.get(d.endpoint)) is not None
            and observed.state == EndpointState.PAUSED
        )
    ]
    return kept, needed, withheld
