"""HF's scale-to-zero rule on a spec: a `scaleToZeroTimeout` needs `minReplica` 0. Pure.

The platform refuses a create or an update whose resulting spec has a timeout and `minReplica` >= 1
(huggingface_hub PR #3062). Schedules, ladder caps and their restores, holds and releases all raise
the minimum through one UPDATE step; `conflict_free` is applied to every one of them just before it
is sent, against the newest observation, so whatever the order of those rules no spec sent conflicts.
"""

from __future__ import annotations

from dataclasses import replace

from hfwarden.core.decide import Step, StepKind
from hfwarden.core.endpoints import Observation


def resulting_timeout(step: Step, observed: Observation) -> int | None:
    """The timeout the endpoint has once `step` is applied (a PUT merges: what it omits is kept)."""
    if step.clear_timeout:
        return None
    return step.scale_to_zero_timeout if step.scale_to_zero_timeout is not None else observed.scale_to_zero_timeout


def resulting_min(step: Step, observed: Observation) -> int:
    return step.min_replicas if step.min_replicas is not None else observed.min_replica


def conflict_free(step: Step, observed: Observation) -> Step:
    """`step` as it may be sent: an update that leaves `minReplica` >= 1 with a timeout clears the
    timeout in the same PUT (it only matters at minimum 0; HF idles an endpoint without one after 1 h)."""
    if step.kind != StepKind.UPDATE:
        return step
    if resulting_min(step, observed) >= 1 and resulting_timeout(step, observed) is not None:
        return replace(step, scale_to_zero_timeout=None, clear_timeout=True)
    return step
