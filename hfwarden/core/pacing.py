"""The order in which a pass sends its calls when the API's quota may not fit them all. Pure.

A pass's calls are one list: the schedules', the restores' and the budget guard's (the guard decides
from what the schedules' calls are expected to bring, core/expected.py, before any is sent). First
the resumes (ready-by pre-warms and scheduled resumes), earliest-due first: a ready-by opening fires
at its start minus the measured lead, so the earliest-due is the one nearest its deadline. Then the
budget's stops (latches and the guard's new stops), the most expensive first. Then everything else,
in the order it was decided. Calls that do not fit the window wait for the next one in this order
(see adapters/ratelimit.py); the pass keeps its observations and lists nothing again. One endpoint's
calls go one after another, at the place of its first (a schedule's resume, then the guard's stop).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from hfwarden.core.decide import Decision, StepKind, Verdict

_STOPS = (StepKind.PAUSE, StepKind.SCALE_TO_ZERO)


def call_rank(decision: Decision, burn_usd_per_hour: float) -> tuple[int, float, float]:
    """(class, then within it: due time for resumes, minus burn for stops)."""
    last = decision.steps[-1].kind if decision.steps else None
    if last == StepKind.RESUME and decision.transition is not None:
        return (0, _epoch(decision.transition.at), 0.0)
    is_budget = decision.verdict == Verdict.LATCHED or decision.transition is None
    if last in _STOPS and is_budget:
        return (1, -burn_usd_per_hour, 0.0)
    return (2, 0.0, 0.0)


def call_order(decisions: Sequence[Decision], burn: Mapping[str, float]) -> list[Decision]:
    """`decisions` in the order their calls are sent (stable within a class)."""
    return sorted(decisions, key=lambda d: call_rank(d, burn.get(d.endpoint, 0.0)))


def in_turn(decisions: Sequence[Decision]) -> list[list[Decision]]:
    """`decisions` grouped by endpoint, each group where its first decision stands, in its own order."""
    groups: dict[str, list[Decision]] = {}
    for decision in decisions:
        groups.setdefault(decision.endpoint, []).append(decision)
    return list(groups.values())


def _epoch(at: datetime) -> float:
    return at.timestamp()
