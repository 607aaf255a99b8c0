"""Command line entry points: `hfwarden <command>`."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError

from hfwarden import __version__, cli_predict, logs
from hfwarden.adapters.store import Store, lease_holder_id
from hfwarden.clock import SystemClock
from hfwarden.config import Config, ConfigError, load_config
from hfwarden.serving import BindError
from hfwarden.settings import Settings, SettingsError


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line on stderr and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _emulator_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("emulator", help="serve a local Inference Endpoints API (for tests, demos, try-outs)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback)")
    p.add_argument("--port", type=int, default=8800, help="port (default 8800; 0 picks a free one)")
    p.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="TOKEN:NS1,NS2",
        help="a token and the namespaces it may use (* for all); repeatable. Default: hf_emulator_token:*",
    )
    p.add_argument("--pending-seconds", type=float, default=2.0, help="time in `pending` (default 2)")
    p.add_argument("--init-seconds", type=float, default=20.0, help="time in `initializing` (default 20)")
    p.add_argument("--update-seconds", type=float, default=10.0, help="time in `updating` (default 10)")
    p.add_argument(
        "--replica-capacity-rpm",
        type=float,
        default=60.0,
        help="data-plane requests per minute one replica absorbs before autoscaling adds one (default 60)",
    )
    p.add_argument("--seed", type=Path, help="YAML/JSON list of endpoints to create at start")
    p.add_argument(
        "--manual-clock",
        action="store_true",
        help="emulated time moves only on POST /_emulator/clock {advance_seconds}",
    )
    p.add_argument("--start-time", help="with --manual-clock: the emulated start, ISO 8601 with offset")


def _build_parser() -> _Parser:
    parser = _Parser(prog="hfwarden", description="Schedules, spend and budget guards for Inference Endpoints.")
    parser.add_argument("--version", action="version", version=f"hfwarden {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="the daemon: apply schedules to endpoints")
    run.add_argument("--config", type=Path, help="schedule file or directory (default: $HFWARDEN_CONFIG or schedules/)")
    run.add_argument("--once", action="store_true", help="one pass, then exit (non-zero if any endpoint failed)")
    run.add_argument("--dry-run", action="store_true", help="decide and log everything, call no mutating API")

    validate = sub.add_parser("validate", help="check schedule files; exit 0 if valid, 2 with every problem")
    validate.add_argument("paths", type=Path, nargs="+", metavar="PATH")

    plan = sub.add_parser("plan", help="a day's transitions per endpoint (needs no token)")
    plan.add_argument(
        "--config", type=Path, help="schedule file or directory (default: $HFWARDEN_CONFIG or schedules/)"
    )
    plan.add_argument("--date", type=date.fromisoformat, help="YYYY-MM-DD, local to each endpoint (default today)")
    plan.add_argument("--json", action="store_true", help="machine-readable output")

    status = sub.add_parser("status", help="per endpoint and budget: state, spend and projection today")
    status.add_argument(
        "--config", type=Path, help="schedule file or directory (default: $HFWARDEN_CONFIG or schedules/)"
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")

    release = sub.add_parser("release", help="lift a budget guard's latch on an endpoint")
    release.add_argument("endpoint", metavar="NAMESPACE/NAME")
    release.add_argument("--config", type=Path, help="schedule file or directory (for alert sinks)")

    health = sub.add_parser("healthcheck", help="exit 0 if the local daemon's /healthz is green, else 1")
    health.add_argument("--url", help="default: http://127.0.0.1:$HFWARDEN_HTTP_PORT/healthz")

    _emulator_parser(sub)
    sandbox = sub.add_parser("sandbox", help="the demo: the daemon against an emulator with demo endpoints")
    sandbox.add_argument("--seconds", type=float, default=150.0, help="how long to run (default 150)")
    cli_predict.add_commands(sub)
    return parser


def _settings(**overrides: object) -> Settings:
    """Settings from the environment; a bad one is a clean message that never echoes a value."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors())
        raise SettingsError(problems) from None


def _load(paths: list[Path], *, structured: bool = False) -> Config:
    """Load schedule files; warnings go to stderr, as log events when the daemon's logs are set up."""
    config = load_config(paths)
    for warning in config.warnings:
        if structured:
            logs.get_logger("hfwarden.config").warning("config_warning", problem=str(warning))
        else:
            print(f"warning: {warning}", file=sys.stderr)
    return config


def _run(args: argparse.Namespace) -> int:
    from hfwarden.daemon import Daemon, build_hub
    from hfwarden.reconciler import Reconciler

    overrides: dict[str, object] = {"dry_run": True} if args.dry_run else {}
    settings = _settings(**overrides)
    logs.configure(settings.effective_log_format, level=settings.log_level, secrets=settings.secrets())
    paths = [args.config or settings.config]
    config = _load(paths, structured=True)
    settings.token()  # fail before starting anything if there is none
    if args.once:
        cancel = threading.Event()
        store = Store(settings.database_url)
        holder = lease_holder_id()
        ttl = timedelta(seconds=settings.lease_ttl_seconds)
        if not store.take_lease(holder, now=datetime.now(UTC), ttl=ttl):
            print(f"another hfwarden ({store.lease_holder()}) is acting on this state; not acting", file=sys.stderr)
            store.close()
            return 1
        reconciler = Reconciler(
            config=config,
            hub=build_hub(settings, cancel),
            store=store,
            clock=SystemClock(),
            dry_run=settings.dry_run,
            max_concurrency=settings.max_concurrency,
        )
        try:
            report = reconciler.run_pass()
        finally:
            reconciler.close()
            store.release_lease(holder)
            store.close()
        for endpoint, why in report.failed.items():
            print(f"failed: {endpoint}: {why}", file=sys.stderr)
        return 0 if report.ok else 1
    return Daemon(settings, paths, config).run_forever()


def _validate(args: argparse.Namespace) -> int:
    from hfwarden.adapters.prices import PriceBook

    config = _load(args.paths)
    prices = PriceBook(store=None, overrides=config.pricing)
    for endpoint, instance in sorted(config.instances.items()):
        if prices.price(instance) is None:
            print(
                f"warning: endpoint {endpoint}: no price known for {instance}; add it under pricing: "
                "(the API's hardware list may still have it at run time)",
                file=sys.stderr,
            )
    rules = sum(len(e.rules) for e in config.endpoints)
    print(f"ok: {len(config.endpoints)} endpoints, {rules} rules in {len(config.sources)} files")
    return 0


def _plan(args: argparse.Namespace) -> int:
    from hfwarden.adapters.prices import PriceBook
    from hfwarden.core.cost import scheduled_cost
    from hfwarden.core.rules import local_day_bounds, transitions_between

    settings = _settings()
    config = _load([args.config or settings.config])
    # Read what the daemon learnt (API prices, observed instances) if it has a state store; create none.
    store = Store(settings.database_url) if settings.state_exists else None
    prices = PriceBook(store=store, overrides=config.pricing)
    open_prices = {k: o.price_per_hour for k, o in store.open_segments().items()} if store else {}
    rows = []
    costs: dict[str, float | None] = {}
    for endpoint in config.endpoints:
        day = args.date or datetime.now(endpoint.zone).date()
        start, end = local_day_bounds(day, endpoint.zone)
        for t in transitions_between(endpoint, start, end):
            rows.append((endpoint, t))
        instance = config.instances.get(endpoint.key)
        price = prices.price(instance) if instance else open_prices.get(endpoint.key)
        costs[endpoint.key] = (
            None if price is None else scheduled_cost(endpoint, day_start=start, day_end=end, price_per_hour=price)
        )
    budget_rows = []
    for budget in config.budgets:
        covered = [k for k in costs if budget.scope.covers(k)]
        known = [costs[k] for k in covered if costs[k] is not None]
        total = sum(c for c in known if c is not None)
        unknown = [k for k in covered if costs[k] is None]
        budget_rows.append((budget, total, unknown))
    warnings = [
        f"warning: the schedules alone cost ${total:.2f}, over budget {budget.name} (${budget.daily_usd:.2f})"
        for budget, total, _unknown in budget_rows
        if total > budget.daily_usd
    ]
    if args.json:
        day_text = (args.date or datetime.now(UTC).date()).isoformat()
        transitions = [
            {
                "endpoint": endpoint.key,
                "at": t.at.astimezone(t.rule.zone).isoformat(),
                "at_utc": t.at.astimezone(UTC).isoformat(),
                "action": t.action.kind.value,
                "min_replicas": t.action.min_replicas,
                "max_replicas": t.action.max_replicas,
                "scale_to_zero_timeout": t.action.scale_to_zero_timeout,
                "rule": t.rule.number,
            }
            for endpoint, t in rows
        ]
        document = {
            "date": day_text,
            "transitions": transitions,
            "endpoints": [{"endpoint": k, "projected_usd": _round(v)} for k, v in costs.items()],
            "budgets": [
                {
                    "name": b.name,
                    "daily_usd": b.daily_usd,
                    "projected_usd": round(total, 4),
                    "unpriced_endpoints": unknown,
                    "over_budget": total > b.daily_usd,
                }
                for b, total, unknown in budget_rows
            ],
        }
        print(json.dumps(document, indent=2))
    else:
        current = None
        for endpoint, t in rows:
            if endpoint.key != current:
                current = endpoint.key
                cost = costs.get(endpoint.key)
                priced = "price unknown: add instance: or run the daemon once" if cost is None else f"${cost:.2f}"
                print(f"{endpoint.key} ({endpoint.zone.key}), scheduled cost {priced}")
            local = t.at.astimezone(t.rule.zone)
            utc = t.at.astimezone(UTC)
            print(f"  {local:%Y-%m-%d %H:%M %Z}  ({utc:%H:%M} UTC)  {t.action.describe()}  [rule {t.rule.number}]")
        if not rows:
            print("no transitions that day")
        for budget, total, unknown in budget_rows:
            extra = f" (+ {len(unknown)} unpriced endpoints)" if unknown else ""
            print(f"budget {budget.name}: schedules alone ${total:.2f} of ${budget.daily_usd:.2f}{extra}")
    for warning in warnings:
        print(warning, file=sys.stderr)
    if store is not None:
        store.close()
    return 0


def _healthcheck(args: argparse.Namespace) -> int:
    import httpx

    settings = _settings()
    url = args.url or f"http://127.0.0.1:{settings.http_port}/healthz"
    try:
        response = httpx.get(url, timeout=5)
    except httpx.HTTPError as exc:
        print(f"unhealthy: cannot reach {url}: {type(exc).__name__}", file=sys.stderr)
        return 1
    reason = (
        response.json().get("reason", "")
        if response.headers.get("content-type", "").startswith("application/json")
        else ""
    )
    if response.status_code == 200:
        print(f"healthy: {reason}")
        return 0
    print(f"unhealthy: HTTP {response.status_code}: {reason}", file=sys.stderr)
    return 1


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _status(args: argparse.Namespace) -> int:
    from hfwarden.daemon import build_hub
    from hfwarden.reconciler import Reconciler

    settings = _settings()
    logs.configure(settings.effective_log_format, level="warning", secrets=settings.secrets())
    config = _load([args.config or settings.config])
    settings.token()
    store = Store(settings.database_url)
    reconciler = Reconciler(
        config=config, hub=build_hub(settings, threading.Event()), store=store, clock=SystemClock(), dry_run=True
    )
    try:
        report = reconciler.assess()
    finally:
        reconciler.close()
        store.close()
    if args.json:
        document = {
            "as_of": report.started_at.isoformat(),
            "endpoints": [
                {
                    "endpoint": e.endpoint,
                    "state": e.state,
                    "billed_replicas": e.billed_replicas,
                    "price_per_hour": e.price_per_hour,
                    "spent_usd": round(e.spent_usd, 4),
                    "projected_usd": round(e.projected_usd, 4),
                    "latched": e.latched,
                }
                for e in report.endpoints
            ],
            "budgets": [
                {
                    "name": b.budget.name,
                    "daily_usd": b.budget.daily_usd,
                    "spent_usd": round(b.spent_usd, 4),
                    "projected_usd": round(b.projected_usd, 4),
                    "headroom_usd": round(b.headroom_usd, 4),
                }
                for b in report.budgets
            ],
            "failed": report.failed,
        }
        print(json.dumps(document, indent=2))
        return 0 if report.ok else 1
    print(f"as of {report.started_at:%Y-%m-%d %H:%M:%S %Z}")
    print(f"{'endpoint':<40} {'state':<13} {'replicas':>8} {'$/h':>8} {'spent':>9} {'projected':>10}  latched")
    for e in report.endpoints:
        price = "unknown" if e.price_per_hour is None else f"{e.price_per_hour:.3f}"
        print(
            f"{e.endpoint:<40} {e.state or 'missing':<13} {e.billed_replicas:>8} {price:>8} "
            f"{e.spent_usd:>9.2f} {e.projected_usd:>10.2f}  {'yes' if e.latched else ''}"
        )
    for b in report.budgets:
        print(
            f"budget {b.budget.name}: daily ${b.budget.daily_usd:.2f}, spent ${b.spent_usd:.2f}, "
            f"projected ${b.projected_usd:.2f}, headroom ${b.headroom_usd:.2f}"
        )
    for endpoint, why in report.failed.items():
        print(f"failed: {endpoint}: {why}", file=sys.stderr)
    return 0 if report.ok else 1


def _release(args: argparse.Namespace) -> int:
    from hfwarden.adapters.alerts import pending
    from hfwarden.adapters.store import AuditEntry
    from hfwarden.core.alerts import Alert, AlertKind

    settings = _settings()
    config = _load([args.config or settings.config])
    store = Store(settings.database_url)
    try:
        latch = store.latches().get(args.endpoint)
        if latch is None:
            print(f"{args.endpoint} is not latched; nothing to release")
            return 0
        now = SystemClock().now()
        message = f"{args.endpoint}: latch of budget {latch.budget} released by an operator"
        store.commit(
            audit=[AuditEntry(now, args.endpoint, "release", message, "ok", "hfwarden release", False)],
            remove_latches=[args.endpoint],
            alerts=[
                pending(
                    Alert(
                        AlertKind.LATCH_LIFTED,
                        args.endpoint,
                        now.date(),
                        message,
                        endpoint=args.endpoint,
                        budget=latch.budget,
                    ),
                    created_at=now,
                )
            ],
            sinks=config.alerts.sinks,
            now=now,
        )
    finally:
        store.close()
    print(
        f"released {args.endpoint} (was latched by budget {latch.budget}); it stays stopped until its next "
        "scheduled transition or a manual resume"
    )
    return 0


def _run_emulator(args: argparse.Namespace) -> int:
    from hfwarden.clock import Clock, ManualClock, SystemClock, require_aware
    from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator, EmulatorError, load_seed, parse_tokens
    from hfwarden.emulator.world import Timings

    try:
        clock: Clock = SystemClock()
        if args.manual_clock:
            start = None
            if args.start_time:
                try:
                    start = require_aware(datetime.fromisoformat(args.start_time))
                except ValueError as exc:
                    raise EmulatorError(f"--start-time: {exc}") from None
            clock = ManualClock(start)
        elif args.start_time:
            raise EmulatorError("--start-time needs --manual-clock")
        if min(args.pending_seconds, args.init_seconds, args.update_seconds) < 0:
            raise EmulatorError("durations must be >= 0 seconds")
        if args.replica_capacity_rpm <= 0:
            raise EmulatorError("--replica-capacity-rpm must be > 0")
        tokens = parse_tokens(args.token)
        seeds = load_seed(args.seed) if args.seed else []
        emulator = Emulator(
            host=args.host,
            port=args.port,
            clock=clock,
            timings=Timings(
                pending_seconds=args.pending_seconds,
                init_seconds=args.init_seconds,
                update_seconds=args.update_seconds,
                replica_capacity_rpm=args.replica_capacity_rpm,
            ),
            tokens=tokens,
            seeds=seeds,
        )
    except EmulatorError as exc:
        print(f"hfwarden emulator: {exc}", file=sys.stderr)
        return 2
    print(f"hfwarden emulator serving {emulator.base_url}", flush=True)
    print(f"  HFWARDEN_ENDPOINTS_API_URL={emulator.api_url}", flush=True)
    print(f"  HFWARDEN_HUB_URL={emulator.base_url}", flush=True)
    if not args.token:
        print(f"  token: {DEFAULT_TOKEN} (every namespace)", flush=True)
    if seeds:
        print(f"  seeded {len(seeds)} endpoints", flush=True)
    emulator.serve_forever()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command; returns the exit code."""
    args = _build_parser().parse_args(argv)
    try:
        match args.command:
            case "run":
                return _run(args)
            case "validate":
                return _validate(args)
            case "plan":
                return _plan(args)
            case "status":
                return _status(args)
            case "release":
                return _release(args)
            case "healthcheck":
                return _healthcheck(args)
            case "emulator":
                return _run_emulator(args)
            case "sandbox":
                from hfwarden.sandbox import run_sandbox

                return run_sandbox(seconds=args.seconds)
            case "backtest" | "recommend":
                return int(args.handler(args))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s); nothing was changed", file=sys.stderr)
        return 2
    except (SettingsError, BindError) as exc:
        print(f"hfwarden: {exc}", file=sys.stderr)
        return 2
    return 2
