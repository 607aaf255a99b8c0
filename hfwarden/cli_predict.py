"""`hfwarden backtest` and `hfwarden recommend`: argument parsing and rendering only."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfwarden.adapters.trace import TraceError
from hfwarden.app.backtest import ALL_POLICIES, Backtest, BacktestError, Policy, Setup, run_backtest
from hfwarden.catalogue import builtin_price
from hfwarden.core.endpoints import EndpointKey
from hfwarden.core.platform.autoscaling import ReplicaModel, replicas_needed
from hfwarden.core.windows import parse_duration_minutes

if TYPE_CHECKING:
    from hfwarden.config import Config

LONG_TRACE_MINUTES = 7 * 24 * 60  # a progress bar is worth drawing from a week of minutes


def _duration(text: str) -> int:
    try:
        return parse_duration_minutes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not above 0")
    return value


def _endpoint(text: str) -> str:
    try:
        return str(EndpointKey.parse(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    p.add_argument("--endpoint", type=_endpoint, required=True, metavar="NS/NAME")
    p.add_argument("--capacity-rpm", type=_positive, required=need, metavar="N", help="requests/minute per replica")
    p.add_argument("--instance", metavar="VENDOR/REGION/TYPE/SIZE", help="for the price (default: the config's)")
    p.add_argument("--cold-start", type=_duration, default=5, metavar="5m", help="replica start-up (default 5m)")
    p.add_argument("--config", type=Path, help="schedule file or directory (default: $HFWARDEN_CONFIG or schedules/)")


def add_commands(sub: Any) -> None:
    """Register `backtest` and `recommend` on the main parser's subcommands."""
    bt = sub.add_parser("backtest", help="replay a request trace against a schedule and HF autoscaling, priced")
    _common(bt, trace_required=True)
    bt.add_argument("--max-replicas", type=int, metavar="N", help="default: the schedule's largest max_replicas")
    bt.add_argument("--from", dest="since", metavar="DATE", help="first day (or ISO instant) to replay")
    bt.add_argument("--to", dest="until", metavar="DATE", help="last day (inclusive) or ISO instant (exclusive)")
    bt.add_argument("--json", action="store_true", help="machine-readable output")
    bt.add_argument("--report", type=Path, metavar="FILE.html", help="write a self-contained HTML report")
    bt.set_defaults(handler=backtest_command)

    rec = sub.add_parser("recommend", help="learn a schedule from a trace (or from what the daemon observed)")
    _common(rec, trace_required=False)
    rec.add_argument("--max-replicas", type=int, metavar="N", help="default: what the busiest training minute needs")
    rec.add_argument("--timezone", metavar="ZONE", help="zone of the rules (default: the trace's own, else UTC)")
    rec.add_argument("--max-delayed-pct", type=float, default=1.0, metavar="PCT", help="delay allowed (default 1.0)")
    rec.add_argument("--holdout-weeks", type=int, default=1, metavar="N", help="last weeks kept for the backtest")
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


def price_for(endpoint: str, instance: str | None, config: Config | None) -> tuple[str, float]:
    """The instance and its price per replica-hour: `--instance`, else the config's; the config's
    `pricing:` beats the built-in table."""
    instance = instance or (config.instances.get(endpoint) if config else None)
    if instance is None:
        raise BacktestError(f"no price for {endpoint}: give --instance VENDOR/REGION/TYPE/SIZE or instance: in config")
    price = (config.pricing.get(instance) if config else None) or builtin_price(instance)
    if price is None:
        raise BacktestError(f"no price for instance {instance}: add it to pricing: in the schedule file")
    return instance, price


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
        f"{'delayed':>9} {'delayed %':>9} {'rejected':>9}"
    ]
    for p in result.policies:
        ratio = f"{p.cost_usd / oracle:.2f}" if oracle else "-"
        lines.append(
            f"{p.name.value:<14} {p.cost_usd:>10.2f} {ratio:>8} {p.replica_hours:>10.1f} {p.cold_starts:>5} "
            f"{p.requests_delayed:>9} {p.delayed_pct:>9.3f} {p.requests_rejected:>9}"
        )
    return "\n".join(lines)


def _backtest(args: argparse.Namespace) -> int:
    config = load_schedules(args.config)
    schedule = config.endpoint(args.endpoint)
    if schedule is None:
        raise BacktestError(f"{args.endpoint} is not declared in {', '.join(map(str, config.sources)) or 'the config'}")
    _instance, price = price_for(args.endpoint, args.instance, config)
    from hfwarden.app.demand import demand_trace

    trace = demand_trace(args)
    zone = trace.fixed_zone()
    trace = trace.window(_instant(args.since, zone, end=False), _instant(args.until, zone, end=True))
    top = args.max_replicas or max(
        (r.action.max_replicas for r in schedule.rules if r.action.max_replicas is not None),
        default=max(1, replicas_needed(max(trace.requests), args.capacity_rpm)),
    )
    setup = Setup(args.endpoint, ReplicaModel(args.capacity_rpm, args.cold_start), price, top)
    bar = progress_bar(len(trace.requests))
    result = run_backtest(trace, setup, schedule, keep_series=args.report is not None, progress=bar)
    if bar is not None:
        sys.stderr.write("\r" + " " * 48 + "\r")
    if args.report is not None:
        from hfwarden.app.backtest_report import write_report

        write_report(args.report, result, zone)
    print(json.dumps(result.to_json(zone), indent=2) if args.json else render_table(result))
    return 0


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
    from hfwarden.app.recommend import run_recommend

    return _guarded(run_recommend, args)
