"""What holds endpoints in a pass beside their schedules (latches, holds, caps), read from the store,
with what ended at `now`. Gathering only: `core.latches`, `core.holds` and `core.ladder` decide."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.report import PassReport
from hfwarden.config import Config
from hfwarden.core.decide import Decision, decide_endpoint
from hfwarden.core.endpoints import Observation, namespace_of
from hfwarden.core.holds import expire_holds
from hfwarden.core.ladder import lift_caps, restorations
from hfwarden.core.latches import lift_expired
from hfwarden.core.records import Cap, Hold, Latch, Records


@dataclass(frozen=True, slots=True)
class Standing:
    """What holds endpoints this pass beside their schedules, and the markers that make a transition
    due again (a hold that ended, a cap lifted since its schedule fired)."""

    latches: dict[str, Latch]
    holds: dict[str, Hold]
    caps: dict[str, Cap]
    markers: Records
    unobservable: dict[str, str]

    def decisions(
        self, config: Config, report: PassReport, last_applied: Mapping[str, str], *, now: datetime
    ) -> list[Decision]:
        """Every declared or standing endpoint's decision, by the core's precedence."""
        keys = {e.key for e in config.endpoints} | set(self.latches) | set(self.holds) | set(self.caps)
        return [
            decide_endpoint(
                key,
                config.endpoint(key),
                report.observations.get(key),
                now=now,
                last_applied_key=last_applied.get(key),
                latch=self.latches.get(key),
                unobservable=self.unobservable.get(namespace_of(key)),
                pass_started=report.started_at,
                hold=self.holds.get(key),
                cap=self.caps.get(key),
            )
            for key in sorted(keys)
        ]


def gather_standing(
    store: Store,
    config: Config,
    observations: dict[str, Observation],
    unobservable: dict[str, str],
    now: datetime,
    *,
    read_only: bool,
) -> tuple[Standing, Records, list[Decision]]:
    """Latches, holds and caps in force, the records of those that ended, and the calls that give a
    lifted cap's sizes back. Read-only (`status`) lifts nothing."""
    latches = store.latches()
    holds, ended, _ = expire_holds(store.holds(), now=now)
    caps, uncapped, uncap_records = lift_caps(store.caps(), now=now)
    if read_only:
        return Standing(latches, holds, caps, Records(), unobservable), Records(), []
    latches, lifted = lift_expired(latches, now=now)
    restored, restores = restorations(
        uncapped,
        {e.key: e for e in config.endpoints},
        observations,
        overridden=set(latches) | set(holds),
        now=now,
    )
    standing = Standing(latches, holds, caps, ended + restored, unobservable)
    return standing, lifted + ended + uncap_records + restored, restores
