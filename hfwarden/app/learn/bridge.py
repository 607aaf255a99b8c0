"""Demand series in, schedule proposal out: the one place that calls the recommendation and backtest
code, so that the daemon's proposals are `hfwarden recommend`'s figures to the cent.

It makes exactly the calls `hfwarden recommend` makes (split, learn, render, reload, backtest of the
held-out weeks); when those move or change shape, this module is what follows them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from hfwarden.adapters.trace import Trace
from hfwarden.app.demand import Demand
from hfwarden.app.predict.backtest import Backtest, Policy, Setup, run_backtest
from hfwarden.app.predict.recommend import MAX_REPLICAS_HEADROOM, RecommendOptions, recommend_schedule, split
from hfwarden.core.learning import Figures, hourly_profile
from hfwarden.core.platform.autoscaling import ReplicaModel, replicas_needed
from hfwarden.core.rules import EndpointSchedule

HOURS_OF_WEEK = 168


@dataclass(frozen=True, slots=True)
class Learning:
    """How to learn: the endpoint's figures and the learn block's knobs (and recommend's flags)."""

    endpoint: str
    capacity_rpm: float
    cold_start_minutes: int
    price_per_hour: float
    instance: str | None
    timezone: str | None
    holdout_weeks: int
    max_failed_pct: float
    max_replicas: int | None = None


@dataclass(frozen=True, slots=True)
class Proposed:
    text: str  # the schedule file, as `hfwarden recommend` prints it
    schedule: EndpointSchedule
    proposal: Figures  # on the held-out weeks (the training weeks when nothing is held out)
    current: Figures | None  # the schedule in force, on the same weeks
    tested_from: datetime
    tested_to: datetime
    trained_from: datetime
    trained_to: datetime
    weeks_tested: float
    missing_minutes: int
    profile: list[float]  # mean requests per hour of each hour of the week (UTC, Monday 00:00 first)


def figures(result: Backtest) -> Figures:
    """The schedule's cost and `failed_pct` as `recommend` and `backtest` print them: failed is
    (late + rejected) / requests, late being a wait longer than the SLO (a request that waited a
    few seconds in the queue was served, not failed)."""
    policy = result.policy(Policy.SCHEDULE)
    return Figures(round(policy.cost_usd, 6), round(policy.failed_pct, 6))


def setup_for(training: Trace, how: Learning) -> Setup:
    """`hfwarden recommend`'s setup: max replicas 1.25x what the busiest training minute needs."""
    need = max(1, replicas_needed(max(training.requests), how.capacity_rpm))
    top = how.max_replicas or math.ceil(MAX_REPLICAS_HEADROOM * need - 1e-9)  # as recommend's default
    return Setup(how.endpoint, ReplicaModel(how.capacity_rpm, how.cold_start_minutes), how.price_per_hour, top)


def propose(demand: Demand, how: Learning, current: EndpointSchedule | None) -> Proposed:
    """Learn from the training weeks, backtest the proposal and the schedule in force on the rest."""
    trace = demand.trace
    training, holdout = split(trace, how.holdout_weeks)
    setup = setup_for(training, how)
    options = RecommendOptions(how.holdout_weeks, how.timezone, how.max_failed_pct)
    found = recommend_schedule(
        trace, setup, options, instance=how.instance, source=demand.source, compared=(Policy.SCHEDULE,)
    )
    text, schedule = found.yaml, found.schedule
    tested = holdout or training
    proposal = figures(found.tested)  # recommend's own backtest of it, on the same weeks
    before = figures(run_backtest(tested, setup, current, policies=[Policy.SCHEDULE])) if current else None
    first = training.start.weekday() * 1440 + training.start.hour * 60 + training.start.minute
    hours = [((first + m) // 60) % HOURS_OF_WEEK for m in range(len(training.requests))]
    return Proposed(
        text, schedule, proposal, before, tested.start, tested.end, training.start, training.end,
        len(tested.requests) / (7 * 1440), len(trace.missing),
        hourly_profile(training.requests, training.known(), hours),
    )  # fmt: skip
