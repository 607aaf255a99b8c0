"""Start-ups and wakes in memory, persisted each pass; what the pass needs of them: the schedules with
`prewarm: auto` leads filled in, each endpoint's start-up and cold-start figures, and their alerts.

The measuring, the statistics, the leads and the alert decisions are the core's (core/startups.py,
core/readyby.py, core/coldstarts.py); this keeps the observations they read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hfwarden.adapters.store import Store
from hfwarden.config import Config
from hfwarden.core.alerts import Alert
from hfwarden.core.coldstarts import DEFAULT_THRASH_WAKES_PER_HOUR, cold_starts, thrash_alert
from hfwarden.core.endpoints import Observation
from hfwarden.core.readyby import AppliedLead, apply_leads, not_ready_alerts
from hfwarden.core.rules import EndpointSchedule
from hfwarden.core.startups import LAST_SAMPLES, StartupSample, Watch, startup_stats, track

# Kept in memory: twice what a lead reads (the lead of an opening may read older ones than the
# newest 20) and every start-up and wake of the last day and a bit (a local day is at most 25 h).
KEEP_SAMPLES = 2 * LAST_SAMPLES
KEEP = timedelta(hours=26)
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class StartupFigures:
    """What `status` and the metrics show of one endpoint's start-ups and cold starts."""

    endpoint: str
    startup_p50_s: float | None
    startup_p90_s: float | None
    startups_measured: int
    wakes_today: int
    cold_start_usd: float
    cold_start_seconds: float = 0.0


class StartupBook:
    """Watches, measured start-ups and wakes; the changes of a pass until they are stored."""

    def __init__(self, store: Store, *, now: datetime) -> None:
        self.store = store
        self.watches: dict[str, Watch] = store.watches()
        self.samples, self.instances = group_samples(store.startup_samples(per_endpoint=KEEP_SAMPLES, since=now - KEEP))
        self.wakes: dict[str, list[datetime]] = {}
        for endpoint, at in store.wakes_since(now - KEEP):
            self.wakes.setdefault(endpoint, []).append(at)
        self.leads: dict[str, AppliedLead] = {}  # rule id → the lead its auto window uses now
        self._touched: set[str] = set()
        self._new_samples: list[StartupSample] = []
        self._new_wakes: list[tuple[str, datetime]] = []

    # -- observations -------------------------------------------------------------------------------

    def observe(self, observed: Observation, *, at: datetime, price_per_hour: float | None) -> StartupSample | None:
        """Fold one observation in; the start-up it completed, if any."""
        key = observed.key
        previous = self.watches.get(key)
        tracked = track(previous, observed, at=at, price_per_hour=price_per_hour)
        self.watches[key] = tracked.watch
        self.instances[key] = observed.instance
        if previous is None or previous.state != tracked.watch.state:
            # Stored on a change of state only: a stored `observed_at` older than the last look only
            # widens the span in which `updatedAt` is believed, and the state did not change in it.
            self._touched.add(key)
        if tracked.woke_at is not None:
            self.wakes.setdefault(key, []).append(tracked.woke_at)
            self._new_wakes.append((key, tracked.woke_at))
        if tracked.sample is not None:
            self.samples.setdefault(key, []).append(tracked.sample)
            self._new_samples.append(tracked.sample)
        return tracked.sample

    def new_samples(self) -> list[StartupSample]:
        """The start-ups measured since the last flush (for the histogram)."""
        return list(self._new_samples)

    def flush(self, now: datetime, *, write: bool) -> None:
        """Store this pass's changes (not for a read-only pass), then forget what no figure needs."""
        if write:
            watches = [self.watches[k] for k in sorted(self._touched)]
            self.store.save_startups(watches, self._new_samples, self._new_wakes)
        self._touched, self._new_samples, self._new_wakes = set(), [], []
        horizon = now - KEEP
        for endpoint, samples in self.samples.items():
            if len(samples) > KEEP_SAMPLES and samples[0].ready_at < horizon:
                self.samples[endpoint] = [
                    s for i, s in enumerate(samples) if s.ready_at >= horizon or i >= len(samples) - KEEP_SAMPLES
                ]
        for endpoint, wakes in self.wakes.items():
            if wakes and wakes[0] < horizon:
                self.wakes[endpoint] = [w for w in wakes if w >= horizon]

    # -- what the pass reads ------------------------------------------------------------------------

    def with_leads(self, config: Config, now: datetime) -> Config:
        """`config` with every auto window compiled for the lead in force at `now`."""
        config, self.leads = compile_leads(config, self.samples, self.instances, now)
        return config

    def _expected(self) -> dict[str, datetime]:
        """When each endpoint now starting should be running: its start plus its typical start-up."""
        expected = {}
        for key, watch in self.watches.items():
            typical = startup_stats(self.samples.get(key, [])).p50_s
            if watch.starting_since is not None and typical is not None:
                expected[key] = watch.starting_since + timedelta(seconds=typical)
        return expected

    def figures(
        self,
        config: Config,
        observations: Mapping[str, Observation],
        price_of: Callable[[str, Observation | None], float | None],
        now: datetime,
    ) -> tuple[dict[str, StartupFigures], list[Alert]]:
        """Each endpoint's start-up and cold-start figures in its own day; `thrash` and `not_ready`."""
        figures: dict[str, StartupFigures] = {}
        alerts: list[Alert] = not_ready_alerts(config.ready_by, observations, now=now, expected=self._expected())
        for key in sorted(set(observations) | {e.key for e in config.endpoints}):
            schedule = config.endpoint(key)
            own = self.samples.get(key, [])
            stats = startup_stats(own)
            cold = cold_starts(key, self.wakes.get(key, []), own, zone=schedule.zone if schedule else UTC_ZONE, now=now)
            figures[key] = StartupFigures(
                key,
                stats.p50_s,
                stats.p90_s,
                stats.count,
                cold.wakes_today,
                cold.cold_start_usd,
                cold.cold_start_seconds,
            )
            if cold.wakes_today:
                alert = thrash_alert(
                    cold, price_per_hour=price_of(key, observations.get(key)), wakes_per_hour=thrash_wakes(config, key)
                )
                alerts.extend([alert] if alert is not None else [])
        return figures, alerts


def compile_leads(
    config: Config, samples: Mapping[str, list[StartupSample]], instances: Mapping[str, str], now: datetime
) -> tuple[Config, dict[str, AppliedLead]]:
    """`config` with every auto window compiled for the lead in force at `now`, and the lead of each
    opening rule (by rule id). Idempotent: windows compile from `config.ready_by`, whatever leads the
    rules had. An endpoint's hardware is its `instance:`, else the instance it was last seen on."""
    auto = {w.endpoint for w in config.ready_by if w.auto}
    if not auto:
        return config, {}
    endpoints: list[EndpointSchedule] = []
    leads: dict[str, AppliedLead] = {}
    by_hardware: dict[str, list[StartupSample]] = {}
    for own in samples.values():
        for sample in own:
            by_hardware.setdefault(sample.instance, []).append(sample)
    for schedule in config.endpoints:
        if schedule.key not in auto:
            endpoints.append(schedule)
            continue
        hardware = config.instances.get(schedule.key) or instances.get(schedule.key, "")
        compiled, applied = apply_leads(
            schedule,
            config.ready_by,
            own=samples.get(schedule.key, []),
            same_hardware=by_hardware.get(hardware, []) if hardware else [],
            hardware=hardware,
            now=now,
        )
        endpoints.append(compiled)
        leads.update((rule_id, lead) for lead in applied for rule_id in lead.rule_ids)
    return replace(config, endpoints=tuple(endpoints)), leads


def group_samples(samples: list[StartupSample]) -> tuple[dict[str, list[StartupSample]], dict[str, str]]:
    """Start-ups by endpoint (oldest first), and the instance each endpoint was last measured on."""
    by_endpoint: dict[str, list[StartupSample]] = {}
    for sample in samples:
        by_endpoint.setdefault(sample.endpoint, []).append(sample)
    return by_endpoint, {s.endpoint: s.instance for s in samples}


def thrash_wakes(config: Config, endpoint: str) -> int:
    """The endpoint's `thrash_wakes_per_hour`, else the lowest of the budgets covering it, else 3."""
    own = config.thrash_wakes.get(endpoint)
    if own is not None:
        return own
    budgets = [b.thrash_wakes_per_hour for b in config.budgets if b.thrash_wakes_per_hour and b.scope.covers(endpoint)]
    return min(budgets, default=DEFAULT_THRASH_WAKES_PER_HOUR)
