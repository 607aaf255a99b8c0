"""`hfwarden recommend`: learn a schedule from a trace's training weeks and backtest it on the rest."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hfwarden.adapters.trace import Trace
from hfwarden.app.backtest import BASELINES, Backtest, BacktestError, Policy, Setup, run_backtest
from hfwarden.config import Config, ConfigError, load_config
from hfwarden.core.endpoints import EndpointKey
from hfwarden.core.platform.autoscaling import ReplicaModel, replicas_needed
from hfwarden.core.predict import DAY_NAMES, PAUSE, ZERO, Change, Recommendation, local_minutes_of_week, recommend
from hfwarden.core.rules import EndpointSchedule

WEEK = timedelta(days=7)
QUANTILES = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.87, 0.9, 0.92, 0.95, 0.97, 0.99, 1.0)
# The training weeks are the weeks the schedule was fitted to: aim at half the delay allowed there,
# leaving the other half for weeks it has not seen.
IN_SAMPLE_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Learnt:
    recommendation: Recommendation
    in_sample: Backtest


def zone_of(trace: Trace, requested: str | None) -> ZoneInfo:
    """`--timezone`, else the trace's one offset as an `Etc/GMT±N` zone (POSIX signs are inverted),
    else UTC."""
    if requested:
        try:
            return ZoneInfo(requested)
        except (ValueError, KeyError) as exc:
            raise BacktestError(f"unknown time zone {requested!r}") from exc
    offset = trace.single_offset
    if offset is None or offset % timedelta(hours=1) or not offset:
        return ZoneInfo("UTC")
    hours = int(offset / timedelta(hours=1))
    return ZoneInfo(f"Etc/GMT{-hours:+d}")


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


def learn(training: Trace, setup: Setup, zone: ZoneInfo, max_delayed_pct: float) -> Learnt:
    """The cheapest quantile whose schedule keeps the training weeks' delay within the aim; the
    highest one when none does."""
    moments = local_minutes_of_week(training.start, len(training.requests), zone)
    demand: Sequence[int] = training.requests
    if training.missing:  # minutes of unknown demand are left out of the profile, not taken as idle
        known = training.known()
        demand = [r for r, seen in zip(demand, known, strict=True) if seen]
        moments = [m for m, seen in zip(moments, known, strict=True) if seen]
    best: Learnt | None = None
    for quantile in QUANTILES:
        recommendation = recommend(
            demand,
            moments,
            capacity_rpm=setup.model.capacity_rpm,
            quantile=quantile,
            cold_start_minutes=setup.model.cold_start_minutes,
            zone=zone,
            max_replicas=setup.max_replicas,
        )
        key = EndpointKey.parse(setup.endpoint)
        schedule = recommendation.schedule(key.namespace, key.name)
        in_sample = run_backtest(training, setup, schedule, policies=[Policy.SCHEDULE, Policy.ORACLE])
        best = Learnt(recommendation, in_sample)
        if in_sample.policy(Policy.SCHEDULE).delayed_pct <= max_delayed_pct * IN_SAMPLE_SHARE:
            break
    assert best is not None
    return best


def _when(change: Change, days: tuple[int, ...]) -> str:
    minute = change.minute_of_week % (24 * 60)
    names = DAY_NAMES[days[0]] + (f"-{DAY_NAMES[days[-1]]}" if len(days) > 1 else "")
    contiguous = list(days) == list(range(days[0], days[-1] + 1))
    label = names if contiguous else ",".join(DAY_NAMES[d] for d in days)
    return f"{label} {minute // 60:02d}:{minute % 60:02d}"


def _why(rec: Recommendation, change: Change) -> str:
    rate = f"{change.requests_per_hour:,.0f} requests/hour on average, busiest minute needs {change.peak_need}"
    if change.level == PAUSE:
        return "no request at all in the training weeks: paused"
    if change.level == ZERO:
        return f"p{rec.quantile * 100:g} need 0 replicas ({rate}): min 0, idles to zero, traffic wakes it"
    return f"p{rec.quantile * 100:g} need {change.level} replicas ({rate}), ready {rec.cold_start_minutes}m ahead"


def render_yaml(rec: Recommendation, endpoint: str, instance: str | None, header: list[str]) -> str:
    namespace, name = EndpointKey.parse(endpoint)
    lines = [f"# {line}" for line in header]
    lines += [
        "version: 1",
        f"timezone: {rec.zone.key}",
        "endpoints:",
        f"  - namespace: {namespace}",
        f"    name: {name}",
    ]
    if instance:
        lines.append(f"    instance: {instance}")
    lines.append("    schedule:")
    for expression, change, days in rec.rules():
        action = rec.action(change)
        lines.append(f"      # {_when(change, days)}: {_why(rec, change)}")
        lines.append(f'      - cron: "{expression}"')
        lines.append(f"        action: {action.kind.value}")
        for field in ("min_replicas", "max_replicas", "scale_to_zero_timeout"):
            value = getattr(action, field)
            if value is not None:
                lines.append(f"        {field}: {value}")
    return "\n".join(lines) + "\n"


def reload(text: str, endpoint: str) -> EndpointSchedule:
    """The schedule file as `validate` and the daemon read it: the proof that it is valid."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "recommended.yaml"
        path.write_text(text)
        schedule = load_config([path]).endpoint(endpoint)
    assert schedule is not None
    return schedule


def _header(source: str, setup: Setup, training: Trace, learnt: Learnt, holdout: Trace | None) -> list[str]:
    rec, fit = learnt.recommendation, learnt.in_sample
    ratio = fit.policy(Policy.SCHEDULE).cost_usd / (fit.policy(Policy.ORACLE).cost_usd or 1.0)
    held = f"{len(holdout.requests) // (7 * 1440)} week(s) from {holdout.start:%Y-%m-%d}" if holdout else "nothing"
    return [
        f"Recommended by hfwarden recommend from {source}",
        f"learnt from {len(training.requests) / (7 * 1440):.1f} weeks ({training.start:%Y-%m-%d} to "
        f"{training.end:%Y-%m-%d} UTC); held out: {held}",
        f"{setup.model.capacity_rpm:g} requests/minute per replica, cold start {setup.model.cold_start_minutes}m, "
        f"max {rec.max_replicas}; min replicas = p{rec.quantile * 100:g} of the per-minute need in 15-minute slots",
        f"on the training weeks: {fit.policy(Policy.SCHEDULE).delayed_pct:.3f} % delayed at {ratio:.2f}× the oracle",
    ]


def emit(trace: Trace, setup: Setup, args: argparse.Namespace, instance: str | None, source: str) -> int:
    """Learn from the training weeks, print the schedule file, backtest it on the held-out weeks."""
    from hfwarden.cli_predict import render_table

    if trace.missing:
        print(f"hfwarden: {len(trace.missing)} minutes of unknown demand left out of learning", file=sys.stderr)
    training, holdout = split(trace, args.holdout_weeks)
    learnt = learn(training, setup, zone_of(trace, args.timezone), args.max_delayed_pct)
    text = render_yaml(
        learnt.recommendation, setup.endpoint, instance, _header(source, setup, training, learnt, holdout)
    )
    schedule = reload(text, setup.endpoint)
    sys.stdout.write(text)
    tested = holdout or training
    result = run_backtest(tested, setup, schedule, policies=[*BASELINES[:3], Policy.SCHEDULE, Policy.ORACLE])
    weeks = "the held-out weeks" if holdout else "the training weeks (nothing held out)"
    print(f"backtest of the recommended schedule (schedule) on {weeks}, {tested.start:%Y-%m-%d} to "
          f"{tested.end:%Y-%m-%d} UTC:", file=sys.stderr)  # fmt: skip
    print(render_table(result), file=sys.stderr)
    return 0


def optional_config(args: argparse.Namespace) -> Config | None:
    """`--config`, or the default schedules when they load: only a source of instance and prices here."""
    from hfwarden.cli_predict import load_schedules

    if args.config:
        return load_schedules(args.config)
    try:
        return load_schedules(None)
    except ConfigError:
        return None


def run_recommend(args: argparse.Namespace) -> int:
    from hfwarden.app.demand import demand_of
    from hfwarden.cli_predict import price_for

    if args.from_history:
        from hfwarden.app.history import recommend_from_history

        return recommend_from_history(args)
    if (args.trace is None and args.prometheus is None) or args.capacity_rpm is None:
        raise BacktestError(
            "recommend needs --trace (or --prometheus and --query) and --capacity-rpm (or --from-history)"
        )
    instance, price = price_for(args.endpoint, args.instance, optional_config(args))
    demand = demand_of(args)
    trace = demand.trace
    training, _holdout = split(trace, args.holdout_weeks)
    top = args.max_replicas or max(1, replicas_needed(max(training.requests), args.capacity_rpm))
    setup = Setup(args.endpoint, ReplicaModel(args.capacity_rpm, args.cold_start), price, top)
    return emit(trace, setup, args, instance, demand.source)
