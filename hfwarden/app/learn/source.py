"""The learning job's demand: a Prometheus query per endpoint, or the replicas the daemon recorded."""

from __future__ import annotations

from datetime import datetime

from hfwarden.adapters.store import Store
from hfwarden.app.demand import Demand, prometheus_demand
from hfwarden.app.learn.cycle import DemandSource
from hfwarden.app.predict.backtest import BacktestError
from hfwarden.app.predict.history import replica_trace
from hfwarden.core.learning import LearnPlan


def recorded_demand(store: Store, endpoint: str, start: datetime, end: datetime) -> Demand:
    """The replicas the daemon recorded, as demand in replicas; paused and zero minutes are unknown."""
    segments = [s for s in store.segments_since(start) if s.endpoint == endpoint and s.start < end]
    if not segments:
        raise BacktestError(f"{endpoint}: nothing recorded since {start:%Y-%m-%d}")
    return Demand(replica_trace(segments).window(start, end), f"the recorded replicas of {endpoint}")


def daemon_source(store: Store) -> DemandSource:
    """Prometheus for `source: {prometheus: ...}`, else the state store."""

    def fetch(plan: LearnPlan, endpoint: str, start: datetime, end: datetime) -> Demand:
        if plan.prometheus and plan.query:
            return prometheus_demand(plan.prometheus, plan.query, endpoint, start, end)
        return recorded_demand(store, endpoint, start, end)

    return fetch
