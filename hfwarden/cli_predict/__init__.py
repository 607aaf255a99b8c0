"""`hfwarden backtest` and `hfwarden recommend`: argument parsing and rendering only.

The figures come from `app/predict/` (value in, value out); this module reads the files and the
state store the flags name, calls it, and prints.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfwarden.adapters.trace import Trace, TraceError
from hfwarden.app.demand import demand_of, demand_trace
from hfwarden.app.predict.backtest import ALL_POLICIES, Backtest, BacktestError, Policy, Setup, run_backtest
from hfwarden.app.predict.pricing import price_for
from hfwarden.cli_predict import flags
from hfwarden.cli_types import writable_file
from hfwarden.core.platform.autoscaling import Autoscaler, ReplicaModel, replicas_needed

if TYPE_CHECKING:
    from hfwarden.app.predict.recommend import Recommended
    from hfwarden.config import Config
    from hfwarden.core.cost import Segment

LONG_TRACE_MINUTES = 7 * 24 * 60  # a progress bar is worth drawing from a week of minutes
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def add_demand_flags(p: argparse.ArgumentParser) -> None:
    """`--prometheus URL --query PROMQL [--since 6w] [--until T]`, instead of `--trace`."""
    p.add_argument("--prometheus", metavar="URL", help="read demand from this Prometheus instead of --trace")
    p.add_argument("--query", metavar="PROMQL", help="requests per minute; {namespace} {name} are filled in")
    p.add_argument("--since", dest="prom_since", default="6w", metavar="6w", help="how far back (default 6w)")
    p.add_argument("--until", dest="prom_until", metavar="T", help="ISO 8601 end of the window (default now)")


def _common(p: argparse.ArgumentParser, *, trace_required: bool) -> None:
    # recommend --from-history reads no trace and no capacity: it learns from replica counts.
    need = trace_required
    p.add_argument("--trace", type=Path, help="CSV (or .csv.gz) with header minute_start,requests")
    add_demand_flags(p)  # or --prometheus URL --query PROMQL
    p.add_argument("--endpoint", type=flags.endpoint, required=True, metavar="NS/NAME")
    p.add_argument(
        "--capacity-rpm", type=flags.positive, required=need, metavar="N", help="requests/minute per replica"
    )
    p.add_argument("--instance", metavar="VENDOR/REGION/TYPE/SIZE", help="for the price (default: the config's)")
    p.add_argument("--config", type=Path, help="schedule file or directory (default: $HFWARDEN_CONFIG or schedules/)")
    flags.add_platform(p)


def add_commands(sub: Any) -> None:
    """Register `backtest` and `recommend` on the main parser's subcommands."""
    bt = sub.add_parser("backtest", help="replay a request trace against a schedule and HF autoscaling, priced")
    _common(bt, trace_required=True)
    bt.add_argument("--max-replicas", type=flags.replicas, metavar="N", help="default: the schedule's largest")
    bt.add_argument("--from", dest="since", metavar="DATE", help="first day (or ISO instant) to replay")
    bt.add_argument("--to", dest="until", metavar="DATE", help="last day (inclusive) or ISO instant (exclusive)")
    bt.add_argument("--json", action="store_true", help="machine-readable output")
    bt.add_argument("--report", type=writable_file, metavar="FILE.html", help="write a self-contained HTML report")
    bt.set_defaults(handler=backtest_command)

    rec = sub.add_parser("recommend", help="learn a schedule from a trace (or from what the daemon observed)")
    _common(rec, trace_required=False)
    rec.add_argument("--max-replicas", type=flags.replicas, metavar="N", help="default: 1.25× the training peak need")
    rec.add_argument("--timezone", metavar="ZONE", help="zone of the rules (default: the trace's one offset)")
    rec.add_argument(
        "--max-failed-pct", "--max-delayed-pct", dest="max_failed_pct", type=flags.percentage, default=0.5,
        metavar="PCT", help="failed requests (rejected or late) allowed (default 0.5)",
    )  # fmt: skip
    rec.add_argument("--holdout-weeks", type=flags.weeks, default=1, metavar="N", help="last weeks kept for the test")
    rec.add_argument("--calendar", type=flags.calendar, metavar="COUNTRY[-SUBDIV]", help="skip its public holidays")
    rec.add_argument("--from-history", action="store_true", help="learn from the daemon's recorded replica counts")
    rec.set_defaults(handler=recommend_command)


def fail(message: str) -> int:
    print(f"hfwarden: {message}", file=sys.stderr)
    return 2


def load_schedules(path: Path | None) -> Config:
    # Imported here: `--help` and a bad flag must not pay for pydantic (as in cli.py).
    from hfwarden.config import load_config
    from hfwarden.settings import Settings

    return load_config([path or Settings().config])


def optional_config(path: Path | None) -> Config | None:
    """`--config`, or the default schedules when they load: only a source of instance and prices here."""
    from hfwarden.config import ConfigError

    if path:
        return load_schedules(path)
    try:
        return load_schedules(None)
    except ConfigError:
        return None


def _instant(text: str | None, zone: tzinfo, *, end: bool) -> datetime | None:
    """A DATE is that day in the trace's own offset (the whole day for --to); an instant is itself."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
        return datetime.combine(day + timedelta(days=1 if end else 0), time(0), tzinfo=zone)
    except ValueError:
        pass
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise BacktestError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 instant") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=zone)


def progress_bar(total: int) -> Callable[[Policy, int], None] | None:
    """A one-line bar on stderr for long traces on a terminal; nothing otherwise."""
    if total < LONG_TRACE_MINUTES or not sys.stderr.isatty():
        return None
    order = {p: i for i, p in enumerate(ALL_POLICIES)}

    def draw(policy: Policy, minute: int) -> None:
        done = (order[policy] * total + minute) / (len(ALL_POLICIES) * total)
        sys.stderr.write(f"\rbacktest [{'#' * int(30 * done):<30}] {policy.value:<14}")
        sys.stderr.flush()

    return draw


def render_table(result: Backtest) -> str:
    oracle = result.policy(Policy.ORACLE).cost_usd if any(p.name == Policy.ORACLE for p in result.policies) else 0.0
    lines = [
        f"{'policy':<14} {'cost $':>10} {'× oracle':>8} {'replica-h':>10} {'cold':>5} "
        f"{'delayed':>9} {'delayed %':>9} {'late':>9} {'rejected':>9} {'failed %':>9} {'wait p99':>8}"
    ]
    for p in result.policies:
        ratio = f"{p.cost_usd / oracle:.2f}" if oracle else "-"
        lines.append(
            f"{p.name.value:<14} {p.cost_usd:>10.2f} {ratio:>8} {p.replica_hours:>10.1f} {p.cold_starts:>5} "
            f"{p.requests_delayed:>9} {p.delayed_pct:>9.3f} {p.requests_late:>9} {p.requests_rejected:>9} "
            f"{p.failed_pct:>9.3f} {p.wait_p99_s:>7.0f}s"
        )
    return "\n".join(lines)


def measured_startups(endpoint: str, instance: str | None) -> tuple[int, ...]:
    """The start-ups the daemon measured for the endpoint (else its instance), in whole minutes."""
    from hfwarden.adapters.store import Store
    from hfwarden.settings import Settings

    store = Store(Settings().database_url)
    try:
        samples = store.startup_samples(per_endpoint=200, since=EPOCH)
    finally:
        store.close()
    own = [s for s in samples if s.endpoint == endpoint] or [s for s in samples if instance and s.instance == instance]
    if not own:
        raise BacktestError(f"no start-up of {endpoint} (or its instance) measured in the state store")
    return tuple(max(1, math.ceil(s.seconds / 60)) for s in own)


def model_of(args: argparse.Namespace, capacity_rpm: float, instance: str | None) -> ReplicaModel:
    startups = measured_startups(args.endpoint, instance) if args.startups_from_state else tuple(args.cold_start)
    scaler = Autoscaler(
        target_utilisation=args.target_utilisation,
        idle_timeout_minutes=args.idle_timeout,
        scale_up_timeout_s=args.scale_up_timeout,
    )
    return ReplicaModel(capacity_rpm, sorted(startups)[len(startups) // 2], startups, args.seed, scaler, args.slo)


def _backtest(args: argparse.Namespace) -> int:
    config = load_schedules(args.config)
    schedule = config.endpoint(args.endpoint)
    if schedule is None:
        raise BacktestError(f"{args.endpoint} is not declared in {', '.join(map(str, config.sources)) or 'the config'}")
    instance, price = price_for(args.endpoint, args.instance, config)
    trace = demand_trace(args)
    zone = trace.fixed_zone()
    trace = trace.window(_instant(args.since, zone, end=False), _instant(args.until, zone, end=True))
    top = args.max_replicas or max(
        (r.action.max_replicas for r in schedule.rules if r.action.max_replicas is not None),
        default=max(1, replicas_needed(max(trace.requests), args.capacity_rpm)),
    )
    setup = Setup(args.endpoint, model_of(args, args.capacity_rpm, instance), price, top)
    bar = progress_bar(len(trace.requests))
    result = run_backtest(trace, setup, schedule, keep_series=args.report is not None, progress=bar)
    if bar is not None:
        sys.stderr.write("\r" + " " * 48 + "\r")
    if args.report is not None:
        from hfwarden.app.predict.report import render_report

        args.report.write_text(render_report(result, zone), encoding="utf-8")
    print(json.dumps(result.to_json(zone), indent=2) if args.json else render_table(result))
    return 0


def reproduce_command(args: argparse.Namespace, found: Recommended, setup: Setup) -> str:
    """The `backtest` command that prints the same table from the saved schedule file."""
    from hfwarden.app.predict.recommend import startups_text

    model = setup.model
    cold = ["--startups-from-state"] if args.startups_from_state else ["--cold-start", startups_text(model.startups)]
    parts = [
        "hfwarden", "backtest", "--trace", str(args.trace), "--config", "RECOMMENDED.yaml",
        "--endpoint", setup.endpoint, "--capacity-rpm", f"{model.capacity_rpm:g}", *cold,
        "--seed", str(model.seed), "--max-replicas", str(setup.max_replicas),
        "--target-utilisation", f"{model.autoscaler.target_utilisation:g}",
        "--idle-timeout", f"{model.autoscaler.idle_timeout_minutes}m",
        "--scale-up-timeout", f"{model.autoscaler.scale_up_timeout_s:g}s", "--slo", f"{model.slo_s:g}s",
        "--from", found.tested.start.isoformat(), "--to", found.tested.end.isoformat(),
    ]  # fmt: skip
    if args.instance:
        parts += ["--instance", args.instance]
    return shlex.join(parts)


def _recommend(args: argparse.Namespace) -> int:
    from hfwarden.app.predict import history
    from hfwarden.app.predict.recommend import RecommendOptions, recommend_schedule, training_peak_need

    holdout_weeks = args.holdout_weeks
    trace: Trace
    if args.from_history:
        trace = history.history_trace(recorded_segments(), args.endpoint)
        holdout_weeks = history.history_holdout_weeks(trace, holdout_weeks)
        try:
            instance, price = price_for(args.endpoint, args.instance, optional_config(args.config))
        except BacktestError:
            instance, price = args.instance, last_price(args.endpoint)  # what the daemon last paid
        model = model_of(args, 1.0, instance)
        setup = history.history_setup(trace, args.endpoint, price, model, args.max_replicas)
        source = (
            f"the recorded replicas of {args.endpoint} (state store); {len(trace.missing)} of "
            f"{len(trace.requests)} minutes paused or scaled to zero left out as unknown demand"
        )
    else:
        if (args.trace is None and args.prometheus is None) or args.capacity_rpm is None:
            raise BacktestError(
                "recommend needs --trace (or --prometheus and --query) and --capacity-rpm (or --from-history)"
            )
        instance, price = price_for(args.endpoint, args.instance, optional_config(args.config))
        demand = demand_of(args)
        trace = demand.trace
        top = args.max_replicas or training_peak_need(trace, holdout_weeks, args.capacity_rpm)
        setup = Setup(args.endpoint, model_of(args, args.capacity_rpm, instance), price, top)
        source = demand.source
    holiday = _holiday_test(args.calendar)
    options = RecommendOptions(holdout_weeks, args.timezone, args.max_failed_pct, args.calendar, holiday)
    if trace.missing:
        print(f"hfwarden: {len(trace.missing)} minutes of unknown demand left out of learning", file=sys.stderr)
    found = recommend_schedule(trace, setup, options, instance=instance, source=source)
    sys.stdout.write(found.yaml)
    tested = found.tested
    print(f"zone {found.zone.key}: {found.zone_note}", file=sys.stderr)
    print(found.choice.why(), file=sys.stderr)
    weeks = "the held-out weeks" if found.held_out else "the training weeks (nothing held out)"
    print(f"backtest of the recommended schedule (schedule) on {weeks}, from {tested.start.isoformat()} "
          f"to {tested.end.isoformat()}:", file=sys.stderr)  # fmt: skip
    print(render_table(tested), file=sys.stderr)
    if not args.from_history:
        print(f"reproduce it (schedule saved as RECOMMENDED.yaml): {reproduce_command(args, found, setup)}",
              file=sys.stderr)  # fmt: skip
    return 0


def _holiday_test(calendar: str | None) -> Callable[[date], bool] | None:
    if calendar is None:
        return None
    from hfwarden.config.models import public_holidays

    country, _, subdivision = calendar.partition("-")
    named = public_holidays(country, subdivision or None)
    return lambda day: named(day) is not None


def recorded_segments() -> list[Segment]:
    from hfwarden.adapters.store import Store
    from hfwarden.settings import Settings

    store = Store(Settings().database_url)
    try:
        return list(store.segments_since(EPOCH))
    finally:
        store.close()


def last_price(endpoint: str) -> float:
    own = [s for s in recorded_segments() if s.endpoint == endpoint]
    return max(own, key=lambda s: s.end).price_per_hour


def _guarded(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Every input problem is one clear message and exit 2."""
    from hfwarden.config import ConfigError

    try:
        return command(args)
    except (TraceError, BacktestError) as exc:
        return fail(str(exc))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2


def backtest_command(args: argparse.Namespace) -> int:
    return _guarded(_backtest, args)


def recommend_command(args: argparse.Namespace) -> int:
    return _guarded(_recommend, args)
