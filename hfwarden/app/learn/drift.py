"""Forecast tracking: hourly, the demand the schedule in force was learnt for against what came over
the last 7 days (`hfwarden_forecast_error_ratio`, a mean absolute percentage error), and a
`forecast_drift` alert when it stays over `drift_error` for two days."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from hfwarden.adapters.alerts import pending
from hfwarden.adapters.store import Store
from hfwarden.adapters.store.proposals import LearningState, Notes
from hfwarden.app.demand import Demand
from hfwarden.app.learn.cycle import DemandSource
from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.learning import LearnPlan, ProposalStatus, forecast_error, is_drifting, over_since

FORECAST_EVERY = timedelta(hours=1)
LOOK_BACK = timedelta(days=7)


def actual_hours(demand: Demand) -> list[tuple[int, float]]:
    """(hour of the week, requests in it) for each whole UTC hour with known minutes; an hour partly
    unknown is scaled up from the minutes that are known."""
    trace = demand.trace
    known = trace.known()
    first = trace.start.weekday() * 1440 + trace.start.hour * 60 + trace.start.minute
    totals: dict[int, list[int]] = {}
    for index, (requests, seen) in enumerate(zip(trace.requests, known, strict=True)):
        if seen:
            slot = totals.setdefault((first + index) // 60, [0, 0])
            slot[0] += requests
            slot[1] += 1
    return [(hour % 168, 60.0 * total / count) for hour, (total, count) in sorted(totals.items())]


def track_forecast(
    store: Store, plan: LearnPlan, key: str, state: LearningState | None, fetch: DemandSource, *,
    now: datetime, sinks: tuple[str, ...],
) -> LearningState:  # fmt: skip
    """Measure the forecast error once; store it, and alert when it has drifted for two days."""
    state = state or LearningState(key)
    learnt = store.proposals(key, statuses=[ProposalStatus.ADOPTED, ProposalStatus.OPEN])
    profile = learnt[-1].figures.get("profile") if learnt else None
    error = None
    if isinstance(profile, list) and len(profile) == 168:
        try:
            error = forecast_error(profile, actual_hours(fetch(plan, key, now - LOOK_BACK, now)))
        except Exception:  # no demand to compare this hour: try again the next
            error = None
    since = over_since(state.over_since, error, plan.drift_error, now=now)
    updated = replace(state, forecast_error=error, checked_at=now, over_since=since)
    alerts = []
    if is_drifting(since, now=now) and error is not None:
        message = (
            f"{key}: demand has differed from what its schedule was learnt for by {error:.0%} (mean absolute "
            f"error, last 7 days) for two days, over drift_error {plan.drift_error:g}: learn again or check it"
        )
        alert = Alert(AlertKind.FORECAST_DRIFT, key, now.date(), message, threshold=plan.drift_error, endpoint=key)
        alerts.append(pending(alert, created_at=now))
    store.save_learning_state(updated, Notes(alerts=alerts, sinks=sinks), now=now)
    return updated


class ForecastCollector(Collector):
    """`hfwarden_forecast_error_ratio{endpoint}` from the learning job's stored measurements."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "hfwarden_forecast_error_ratio",
            "Mean absolute percentage error of hourly demand against what the schedule was learnt for, last 7 days",
            labels=["endpoint"],
        )
        try:
            states = self.store.learning_states()
        except Exception:  # a scrape must answer even when the store does not
            states = {}
        for key, state in sorted(states.items()):
            if state.forecast_error is not None:
                gauge.add_metric([key], state.forecast_error)
        yield gauge
