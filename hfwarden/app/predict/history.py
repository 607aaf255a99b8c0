"""`hfwarden recommend --from-history`: learn from the replica counts the daemon recorded.

HF's autoscaler already turned demand into replicas, so the ledger's billed replicas per minute are
the demand signal, in replicas (a capacity of one "request" per replica): the same profile, quantile
and rules as for a trace. Minutes the endpoint was paused or scaled to zero (or hfwarden was not
watching) say nothing of demand: it was not served, so it was not seen. They are censored, left out of
learning as unknown minutes, and the output says how many.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hfwarden.adapters.trace import Trace
from hfwarden.app.predict.backtest import BacktestError, Setup
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


def history_trace(recorded: list[Segment], endpoint: str) -> Trace:
    """The billed replicas per minute of the last weeks the daemon recorded for `endpoint`, wherever
    they end (a stopped daemon's history still counts)."""
    own = [s for s in recorded if s.endpoint == endpoint]
    latest = max((s.end for s in own), default=EPOCH)
    segments = [s for s in own if s.end > latest - LOOK_BACK]
    if not segments or max(s.end for s in segments) - min(s.start for s in segments) < NEEDED:
        raise BacktestError(f"{endpoint} needs 7 days of recorded history before recommend --from-history")
    return replica_trace(segments)


def history_holdout_weeks(trace: Trace, requested: int) -> int:
    """The held-out weeks a history allows: a week to learn from comes first."""
    weeks = len(trace.requests) // (7 * 1440)
    return min(requested, max(0, weeks - 1))


def history_setup(trace: Trace, endpoint: str, price: float, model: ReplicaModel, max_replicas: int | None) -> Setup:
    """Replicas are the demand: one "request" a minute per replica, at full utilisation (HF's
    autoscaler already applied its target when it chose them)."""
    top = max_replicas or max(1, max(trace.requests))
    scaler = replace(model.autoscaler, target_utilisation=1.0)
    return Setup(endpoint, replace(model, capacity_rpm=1.0, autoscaler=scaler), price, top)
