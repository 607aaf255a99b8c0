"""Start-ups and wakes in memory, persisted each pass: the observations the core's start-up figures,
`prewarm: auto` leads and cold-start alerts read (core/startups.py, core/readyby.py, core/coldstarts.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.leads import KEEP_SAMPLES, compile_leads, group_samples
from hfwarden.config import Config
from hfwarden.core.endpoints import Observation
from hfwarden.core.readyby import AppliedLead
from hfwarden.core.startups import StartupSample, Watch, next_watch, startup_stats

# Kept in memory: every start-up and wake of the last day and a bit (a local day is at most 25 h).
KEEP = timedelta(hours=26)


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
        tracked = next_watch(previous, observed, at=at, price_per_hour=price_per_hour)
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

    def expected(self) -> dict[str, datetime]:
        """When each endpoint now starting should be running: its start plus its typical start-up."""
        expected = {}
        for key, watch in self.watches.items():
            typical = startup_stats(self.samples.get(key, [])).p50_s
            if watch.starting_since is not None and typical is not None:
                expected[key] = watch.starting_since + timedelta(seconds=typical)
        return expected
