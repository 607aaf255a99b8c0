"""Where demand comes from: a trace file, a Prometheus query, or the replicas the daemon recorded."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from hfwarden.adapters.prometheus import PrometheusError, PrometheusSource, query_for, shown
from hfwarden.adapters.store import Store
from hfwarden.adapters.trace import Trace, read_trace
from hfwarden.app.backtest import BacktestError
from hfwarden.app.learn.bridge import Demand
from hfwarden.app.learn.cycle import DemandSource
from hfwarden.core.learning import LearnPlan, parse_span


def prometheus_demand(url: str, template: str, endpoint: str | None, start: datetime, end: datetime) -> Demand:
    """A query's requests per minute in [start, end); PrometheusError with one line when it fails."""
    query = query_for(template, endpoint)
    source = PrometheusSource(url)
    try:
        trace = source.demand(query, start, end)
    finally:
        source.close()
    return Demand(trace, f"Prometheus {shown(url)}: {query}")


def window(args: argparse.Namespace, now: datetime) -> tuple[datetime, datetime]:
    """`--since 6w` back from `--until` (an ISO instant; default now)."""
    until = now
    if args.prom_until:
        try:
            until = datetime.fromisoformat(args.prom_until)
        except ValueError:
            raise BacktestError(f"--until {args.prom_until!r} is not an ISO 8601 instant") from None
        until = until if until.tzinfo else until.replace(tzinfo=UTC)
    try:
        since = parse_span(args.prom_since)
    except ValueError as exc:
        raise BacktestError(f"--since: {exc}") from None
    return until - since, until


def demand_of(args: argparse.Namespace) -> Demand:
    """`--trace FILE`, or `--prometheus URL --query PROMQL [--since 6w] [--until T]`."""
    if getattr(args, "prometheus", None):
        if not args.query:
            raise BacktestError("--prometheus needs --query PROMQL (requests per minute)")
        start, end = window(args, datetime.now(UTC))
        try:
            return prometheus_demand(args.prometheus, args.query, getattr(args, "endpoint", None), start, end)
        except PrometheusError as exc:
            raise BacktestError(str(exc)) from None
    if getattr(args, "trace", None) is None:
        raise BacktestError("give --trace FILE or --prometheus URL --query PROMQL")
    return Demand(read_trace(args.trace), str(args.trace))


def demand_trace(args: argparse.Namespace) -> Trace:
    return demand_of(args).trace


def recorded_demand(store: Store, endpoint: str, start: datetime, end: datetime) -> Demand:
    """The replicas the daemon recorded, as demand in replicas; paused and zero minutes are unknown."""
    from hfwarden.app.history import replica_trace

    segments = [s for s in store.segments_since(start) if s.endpoint == endpoint and s.start < end]
    if not segments:
        raise BacktestError(f"{endpoint}: nothing recorded since {start:%Y-%m-%d}")
    return Demand(replica_trace(segments).window(start, end), f"the recorded replicas of {endpoint}")


def daemon_source(store: Store) -> DemandSource:
    """The learning job's demand source: Prometheus for `source: {prometheus: ...}`, else the store."""

    def fetch(plan: LearnPlan, endpoint: str, start: datetime, end: datetime) -> Demand:
        if plan.prometheus and plan.query:
            return prometheus_demand(plan.prometheus, plan.query, endpoint, start, end)
        return recorded_demand(store, endpoint, start - timedelta(0), end)

    return fetch
