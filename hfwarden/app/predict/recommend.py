"""`hfwarden recommend`: learn a schedule from a trace's training weeks and backtest it on the rest.

Value in, value out: a demand series (a `Trace`, which a file, the daemon's history or a metrics
query can give), the platform and the options; the schedule file's text, the kind of schedule
chosen and why, and its backtest. Nothing is printed here.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hfwarden.adapters.trace import Trace
from hfwarden.app.predict.backtest import Backtest, BacktestError, Policy, Setup, run_backtest
from hfwarden.app.predict.schedule_text import render_yaml
from hfwarden.app.predict.zones import zone_of
from hfwarden.config import load_config
from hfwarden.core.choose import Choice, choose, fit
from hfwarden.core.platform.autoscaling import replicas_needed
from hfwarden.core.predict import Recommendation, local_minutes_of_week
from hfwarden.core.rules import EndpointSchedule

WEEK = timedelta(days=7)
MAX_REPLICAS_HEADROOM = 1.25  # the default max_replicas: 1.25× the training peak need, rounded up
COMPARED = (
    Policy.ALWAYS_ON, Policy.AUTOSCALE, Policy.SCALE_TO_ZERO, Policy.KEEPALIVE_10M, Policy.KEEPALIVE_60M,
    Policy.SCHEDULE, Policy.FORESIGHT, Policy.ORACLE,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RecommendOptions:
    """What `recommend` is asked for, beyond the trace and the platform."""

    holdout_weeks: int = 1
    timezone: str | None = None
    max_failed_pct: float = 0.5
    calendar: str | None = None  # COUNTRY[-SUBDIV]: its public holidays are left out and skipped
    holiday: Callable[[date], bool] | None = None  # the calendar's days, resolved by the caller


@dataclass(frozen=True, slots=True)
class Recommended:
    """A recommendation: the schedule file's text, why its kind won, and its backtest."""

    yaml: str
    schedule: EndpointSchedule
    tested: Backtest
    held_out: bool
    choice: Choice
    zone: ZoneInfo
    zone_note: str  # how the zone was found (given, the trace's one offset, inferred)
    left_out_days: tuple[date, ...]  # holidays not learnt from


def split(trace: Trace, holdout_weeks: int) -> tuple[Trace, Trace | None]:
    """Training weeks and the held-out last weeks."""
    if holdout_weeks < 0:
        raise BacktestError("--holdout-weeks cannot be negative")
    cut = trace.end - holdout_weeks * WEEK
    if cut - trace.start < WEEK:
        raise BacktestError(f"the trace needs at least {holdout_weeks + 1} weeks: one to learn from, then held-out")
    if not holdout_weeks:
        return trace, None
    return trace.window(None, cut), trace.window(cut, None)


def training_peak_need(trace: Trace, holdout_weeks: int, capacity_rpm: float) -> int:
    """The default `max_replicas`: 1.25× the replicas the busiest training minute needs, rounded up."""
    training, _holdout = split(trace, holdout_weeks)
    need = max(1, replicas_needed(max(training.requests), capacity_rpm))
    return math.ceil(MAX_REPLICAS_HEADROOM * need - 1e-9)


def left_out(
    training: Trace, zone: ZoneInfo, holiday: Callable[[date], bool] | None
) -> tuple[list[bool], tuple[date, ...]]:
    """Which training minutes are learnt from: not the calendar's holidays, nor a local day without
    any request whose weekday had traffic in most other weeks (a holiday, an outage, a gap in the
    log). A quiet weekend is a weekly pattern, not a holiday."""
    hours = range(0, len(training.requests), 60)
    locals_ = [(training.start + timedelta(minutes=m)).astimezone(zone).date() for m in hours]
    days: dict[date, int] = {}
    for hour, day in enumerate(locals_):
        days[day] = days.get(day, 0) + sum(training.requests[hour * 60 : hour * 60 + 60])
    busy: dict[int, int] = {}
    seen: dict[int, int] = {}
    for day, count in days.items():
        seen[day.weekday()] = seen.get(day.weekday(), 0) + 1
        busy[day.weekday()] = busy.get(day.weekday(), 0) + (count > 0)
    skipped = {
        day
        for day, count in days.items()
        if (holiday is not None and holiday(day)) or (not count and 2 * busy[day.weekday()] > seen[day.weekday()])
    }
    learnt = [locals_[m // 60] not in skipped for m in range(len(training.requests))]
    return learnt, tuple(sorted(skipped))


def learn(
    training: Trace, setup: Setup, zone: ZoneInfo, options: RecommendOptions
) -> tuple[Recommendation, Choice, tuple[date, ...]]:
    """The kind of schedule chosen by validation, fitted to every training week."""
    moments = local_minutes_of_week(training.start, len(training.requests), zone)
    learnt, skipped = left_out(training, zone, options.holiday)
    if training.missing:  # minutes of unknown demand are left out of the profile, not taken as idle
        learnt = [kept and seen for kept, seen in zip(learnt, training.known(), strict=True)]
    choice = choose(
        training.requests, moments, learnt, model=setup.model, zone=zone, max_replicas=setup.max_replicas,
        max_failed_pct=options.max_failed_pct,
    )  # fmt: skip
    rec = fit(
        training.requests, moments, learnt, choice.winner.candidate, model=setup.model, zone=zone,
        max_replicas=setup.max_replicas, max_failed_pct=options.max_failed_pct,
    )  # fmt: skip
    return rec, choice, skipped


def startups_text(minutes: tuple[int, ...]) -> str:
    """`5m`, `4m..12m` (every minute between), or the measured ones: `7m, 9m, 11m`."""
    starts = sorted(set(minutes))
    if len(starts) == 1:
        return f"{starts[0]}m"
    if starts == list(range(starts[0], starts[-1] + 1)) and len(minutes) == len(starts):
        return f"{starts[0]}m..{starts[-1]}m"
    return ", ".join(f"{m}m" for m in sorted(minutes))


def reload(text: str, endpoint: str) -> EndpointSchedule:
    """The schedule file as `validate` and the daemon read it: the proof that it is valid."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "recommended.yaml"
        path.write_text(text)
        schedule = load_config([path]).endpoint(endpoint)
    assert schedule is not None
    return schedule


def _header(
    source: str,
    setup: Setup,
    training: Trace,
    rec: Recommendation,
    choice: Choice,
    holdout: Trace | None,
    zone_note: str,
) -> list[str]:
    model = setup.model
    startup = startups_text(model.startup_minutes)
    startup += "" if len(set(model.startup_minutes)) == 1 else f" (seed {model.seed})"
    held = f"{len(holdout.requests) // (7 * 1440)} week(s) from {holdout.start.isoformat()}" if holdout else "nothing"
    return [
        f"Recommended by hfwarden recommend from {source}",
        f"learnt from {len(training.requests) / (7 * 1440):.1f} weeks ({training.start.isoformat()} to "
        f"{training.end.isoformat()}); held out: {held}; zone {rec.zone.key} ({zone_note})",
        f"{model.capacity_rpm:g} requests/minute per replica, start-up {startup}, lead assumed {rec.lead_minutes}m, "
        f"max {rec.max_replicas}, HF autoscaler at {model.autoscaler.target_utilisation:g} utilisation",
        choice.why(),
    ]


def recommend_schedule(
    trace: Trace,
    setup: Setup,
    options: RecommendOptions,
    *,
    instance: str | None,
    source: str,
    compared: Sequence[Policy] = COMPARED,
) -> Recommended:
    """Learn from the training weeks, render the schedule file, backtest it on the held-out weeks
    with the `compared` policies (the learning job needs the schedule's own figures only)."""
    zone, zone_note = zone_of(trace, options.timezone)
    training, holdout = split(trace, options.holdout_weeks)
    rec, choice, skipped = learn(training, setup, zone, options)
    header = _header(source, setup, training, rec, choice, holdout, zone_note)
    if skipped:
        header.append(f"left out of learning (no traffic, or holidays): {', '.join(map(str, skipped))}")
    text = render_yaml(rec, setup.endpoint, instance, header, options.calendar)
    schedule = reload(text, setup.endpoint)
    tested = holdout or training
    result = run_backtest(tested, setup, schedule, policies=compared)
    return Recommended(text, schedule, result, holdout is not None, choice, zone, zone_note, skipped)
