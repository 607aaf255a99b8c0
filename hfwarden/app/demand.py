"""Where `backtest` and `recommend` read demand from: a trace file, or a Prometheus query
(`--prometheus URL --query PROMQL [--since 6w] [--until T]`)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import UTC, datetime

from hfwarden.adapters.trace import Trace, read_trace
from hfwarden.app.predict.backtest import BacktestError
from hfwarden.core.learning import parse_span


@dataclass(frozen=True, slots=True)
class Demand:
    """What a schedule is learnt from: a trace, and where it came from."""

    trace: Trace
    source: str  # for the schedule file's header: a path, or `Prometheus URL: QUERY`


def prometheus_demand(url: str, template: str, endpoint: str | None, start: datetime, end: datetime) -> Demand:
    """A query's requests per minute in [start, end); PrometheusError with one line when it fails."""
    # Imported here: the HTTP client is a fifth of `recommend --trace`'s start-up, which never uses it.
    from hfwarden.adapters.prometheus import PrometheusSource, query_for, shown

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
        from hfwarden.adapters.prometheus import PrometheusError

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
