"""`hfwarden recommend --from-history`: learn from the replica counts the daemon recorded.

HF's autoscaler already turned demand into replicas, so the ledger's billed replicas per minute are
the demand signal, in replicas (a capacity of one "request" per replica): the same profile, quantile
and rules as for a trace. Minutes the endpoint was paused or scaled to zero (or hfwarden was not
watching) say nothing of demand: it was not served, so it was not seen. They are censored, left out of
learning as unknown minutes, and the output says how many.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from hfwarden.adapters.trace import Trace
from hfwarden.app.backtest import BacktestError, Setup
from hfwarden.core.cost import Segment
from hfwarden.core.platform.autoscaling import ReplicaModel

MINUTE = timedelta(minutes=1)
NEEDED = timedelta(days=7)
LOOK_BACK = timedelta(weeks=8)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def replica_trace(segments: list[Segment]) -> Trace:
    """Billed replicas per minute (the most in each minute), from the first segment's minute; a minute
    with no replica running (paused, scaled to zero, not watched) is missing, not zero."""
    start = min(s.start for s in segments).replace(second=0, microsecond=0)
    end = max(s.end for s in segments)
    counts = [0] * int((end - start) / MINUTE)
    for segment in segments:
        if segment.gap:
            continue
        first = int((segment.start - start) / MINUTE)
        last = int((segment.end - start) / MINUTE - 1e-9)
        for minute in range(first, min(last + 1, len(counts))):
            counts[minute] = max(counts[minute], segment.replicas)
    missing = frozenset(i for i, replicas in enumerate(counts) if replicas == 0)
    return Trace(start.astimezone(UTC), tuple(counts), frozenset({timedelta(0)}), missing)


def recommend_from_history(args: argparse.Namespace) -> int:
    from hfwarden.adapters.store import Store
    from hfwarden.app.recommend import emit, optional_config
    from hfwarden.cli_predict import price_for
    from hfwarden.settings import Settings

    store = Store(Settings().database_url)
    try:
        recorded = [s for s in store.segments_since(EPOCH) if s.endpoint == args.endpoint]
    finally:
        store.close()
    # The last weeks of what was recorded, wherever they end: a stopped daemon's history still counts.
    latest = max((s.end for s in recorded), default=EPOCH)
    segments = [s for s in recorded if s.end > latest - LOOK_BACK]
    if not segments or max(s.end for s in segments) - min(s.start for s in segments) < NEEDED:
        raise BacktestError(f"{args.endpoint} needs 7 days of recorded history before recommend --from-history")
    trace = replica_trace(segments)
    weeks = len(trace.requests) // (7 * 1440)
    args.holdout_weeks = min(args.holdout_weeks, max(0, weeks - 1))  # a week to learn from comes first
    try:
        instance, price = price_for(args.endpoint, args.instance, optional_config(args))
    except BacktestError:
        instance, price = args.instance, segments[-1].price_per_hour  # what the daemon last paid
    top = args.max_replicas or max(1, max(trace.requests))
    setup = Setup(args.endpoint, ReplicaModel(1, args.cold_start), price, top)
    source = (
        f"the recorded replicas of {args.endpoint} (state store); {len(trace.missing)} of {len(trace.requests)} "
        "minutes paused or scaled to zero left out as unknown demand"
    )
    return emit(trace, setup, args, instance, source)
