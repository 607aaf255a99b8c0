"""What holds endpoints beside their schedules (budget latches, operators' holds, ladder caps), and
what of it ends at a moment: the lifts and expiries, their records, and the calls that give a lifted
cap's sizes back. Pure: the pass reads the stored standing and writes what this returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from hfwarden.core.decide import Decision
from hfwarden.core.endpoints import Observation
from hfwarden.core.holds import holds_at
from hfwarden.core.ladder import caps_at, restorations
from hfwarden.core.latches import latches_at
from hfwarden.core.records import Cap, Hold, LadderMark, Latch, PendingStep, Records
from hfwarden.core.rules import EndpointSchedule


@dataclass(frozen=True, slots=True)
class Standing:
    """Latches, holds and caps in force; the operators' releases (endpoint, budget) still exempt from a
    budget's guard, and the step each budget's ladder last took."""

    latches: Mapping[str, Latch] = field(default_factory=dict)
    holds: Mapping[str, Hold] = field(default_factory=dict)
    caps: Mapping[str, Cap] = field(default_factory=dict)
    exempt: frozenset[tuple[str, str]] = frozenset()
    ladder: Mapping[str, LadderMark] = field(default_factory=dict)
    pending: Mapping[str, PendingStep] = field(default_factory=dict)  # ladder steps waiting for people

    @property
    def keys(self) -> set[str]:
        """Every endpoint something holds: each gets a decision even if no schedule declares it."""
        return set(self.latches) | set(self.holds) | set(self.caps)


@dataclass(frozen=True, slots=True)
class StandingAt:
    """The standing in force at a moment, with what ended to get there."""

    standing: Standing
    ended: Records = field(default_factory=Records)  # lifts and expiries: audit, alerts, removals
    markers: Records = field(default_factory=Records)  # applied markers that make a transition due again
    restores: tuple[Decision, ...] = ()  # the calls that give lifted caps' sizes back


def standing_at(
    stored: Standing,
    *,
    schedules: Mapping[str, EndpointSchedule],
    observations: Mapping[str, Observation],
    now: datetime,
    lifting: bool,
) -> StandingAt:
    """The standing in force at `now`. Expired holds and caps never count; when `lifting` (a pass that
    may write) the latches of a past budget day lift, and the caps that lifted give their sizes back
    unless something stronger holds the endpoint (a latch or a hold) or its schedule fired since."""
    holds, ended_holds, _ = holds_at(stored.holds, now=now)
    caps, uncapped, uncap_records = caps_at(stored.caps, now=now)
    if not lifting:
        return StandingAt(Standing(stored.latches, holds, caps, stored.exempt, stored.ladder, stored.pending))
    latches, lifted = latches_at(stored.latches, now=now)
    restored, restores = restorations(uncapped, schedules, observations, overridden=set(latches) | set(holds), now=now)
    return StandingAt(
        Standing(latches, holds, caps, stored.exempt, stored.ladder, stored.pending),
        ended=lifted + ended_holds + uncap_records + restored,
        markers=ended_holds + restored,
        restores=tuple(restores),
    )
