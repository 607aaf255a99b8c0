"""What holds endpoints beside their schedules, as stored, and each endpoint's decision in its light.
Gathering only: `core.standing` decides what ends, `core.decide` what each endpoint needs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.listing import Sight
from hfwarden.config import Config
from hfwarden.core.decide import Decision, endpoint_decision
from hfwarden.core.endpoints import namespace_of
from hfwarden.core.standing import Standing, StandingAt


def stored_standing(store: Store, now: datetime) -> Standing:
    """Latches, holds and caps as stored, the releases still in force at `now`, the ladders' steps."""
    exempt = frozenset((e.endpoint, e.budget) for e in store.exemptions(now))
    return Standing(store.latches(), store.holds(), store.caps(), exempt, store.ladder_marks(), store.pending_steps())


def endpoint_decisions(
    config: Config, at: StandingAt, sight: Sight, last_applied: Mapping[str, str], *, now: datetime
) -> list[Decision]:
    """Every declared or standing endpoint's decision, by the core's precedence. A hold that ended or
    a cap lifted this pass leaves a marker as the last applied transition: the schedule's state for
    this moment is then applied now, as an edge."""
    standing = at.standing
    last = {**last_applied, **{a.endpoint: a.transition_key for a in at.markers.applied}}
    return [
        endpoint_decision(
            key,
            config.endpoint(key),
            sight.observations.get(key),
            now=now,
            last_applied_key=last.get(key),
            latch=standing.latches.get(key),
            unobservable=sight.unobservable.get(namespace_of(key)),
            pass_started=now,
            hold=standing.holds.get(key),
            cap=standing.caps.get(key),
        )
        for key in sorted({e.key for e in config.endpoints} | standing.keys)
    ]
