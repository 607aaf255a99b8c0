"""What each command does once its arguments are parsed: call the operations, render the answer.
Kept apart from `cli.py` so that `hfwarden --help` and a bad flag load nothing heavy."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from hfwarden import logs
from hfwarden.clock import ManualClock, SystemClock
from hfwarden.config import Config, load_config
from hfwarden.core.formats import counted, dollars, moment
from hfwarden.settings import Settings, SettingsError
from hfwarden.terminal import health_reason, printable, say

if TYPE_CHECKING:
    from hfwarden.app.reconcile.report import PassReport
    from hfwarden.app.views.plan import DayPlan


def _settings(**overrides: object) -> Settings:
    """Settings from the environment; a bad one is a clean message that never echoes a value."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors())
        raise SettingsError(problems) from None


def _load(paths: list[Path], *, structured: bool = False, need_secrets: bool = True) -> Config:
    """Load schedule files; warnings go to stderr, as log events when the daemon's logs are set up.
    `need_secrets=False` for commands that send no alerts: an unset `${VAR}` is then no error."""
    config = load_config(paths, need_secrets=need_secrets)
    for warning in config.warnings:
        if structured:
            logs.get_logger("hfwarden.config").warning("config_warning", problem=str(warning))
        else:
            say(f"warning: {warning}", file=sys.stderr)
    return config


def run(args: argparse.Namespace) -> int:
    overrides: dict[str, object] = {"dry_run": True} if args.dry_run else {}
    settings = _settings(**overrides)
    logs.configure(settings.effective_log_format, level=settings.log_level, secrets=settings.secrets())
    paths = [args.config or settings.config]
    config = _load(paths, structured=True)
    settings.token()  # fail before starting anything if there is none
    if not args.once:
        from hfwarden.daemon import Daemon

        return Daemon(settings, paths, config).run_forever()
    from hfwarden.app.ops import operations

    result = operations.run_once(settings, config, clock=SystemClock())
    if result.report is None:
        say(
            f"another hfwarden ({result.held_by}) is acting on this state; not acting "
            "(`run --once --dry-run` previews beside it)",
            file=sys.stderr,
        )
        return 1
    for endpoint, why in result.report.failed.items():
        say(f"failed: {printable(endpoint)}: {printable(why)}", file=sys.stderr)
    say(once_summary(result.report, dry_run=settings.dry_run, beside=result.held_by if result.preview else None))
    if result.undelivered:
        say(
            f"{result.undelivered} alert deliveries still waiting in the outbox (a sink did not take them); "
            "the daemon will retry them",
            file=sys.stderr,
        )
    return 0 if result.report.ok and not result.undelivered else 1


def once_summary(report: PassReport, *, dry_run: bool, beside: str | None = None) -> str:
    """`run --once`'s one line: what the pass did (or, dry, would do), its alerts and failures."""

    def names(keys: list[str]) -> str:
        shown = sorted(set(keys))
        return f" ({', '.join(shown[:5])}{', ...' if len(shown) > 5 else ''})" if shown else ""

    observed = counted(report.observed, "endpoint")
    if dry_run:
        head = f"dry run beside {beside}, nothing written" if beside else "dry run"
        acted = f"would act on {counted(len(set(report.would_act)), 'endpoint')}{names(report.would_act)}"
    else:
        head = "one pass"
        acted = f"acted on {counted(len(set(report.acted)), 'endpoint')}{names(report.acted)}"
    stopped = f", {len(report.stopped)} stopped by the budget guard" if report.stopped else ""
    alerts = counted(len(report.alerts), "alert")
    return f"{head}: {observed} observed, {acted}{stopped}, {alerts}, {len(report.failed)} failed"


def validate(args: argparse.Namespace) -> int:
    from hfwarden.adapters.prices import PriceBook

    config = _load(args.paths, need_secrets=False)
    prices = PriceBook(store=None, overrides=config.pricing)
    for endpoint, instance in sorted(config.instances.items()):
        if prices.price(instance) is None:
            say(
                f"warning: endpoint {endpoint}: no price known for {instance}; add it under pricing: "
                "(the API's hardware list may still have it at run time)",
                file=sys.stderr,
            )
    rules = sum(len(e.rules) for e in config.endpoints)
    endpoints, files = counted(len(config.endpoints), "endpoint"), counted(len(config.sources), "file")
    matched = f", {counted(len(config.matches), 'match entry', 'match entries')}" if config.matches else ""
    say(f"ok: {endpoints}{matched}, {counted(rules, 'rule')} in {files}")
    return 0


def plan(args: argparse.Namespace) -> int:
    from hfwarden.app.learn.planning import learning_lines, learning_plan
    from hfwarden.app.ops import operations
    from hfwarden.app.views.plan import plan_document

    settings = _settings()
    config = _load([args.config or settings.config], need_secrets=False)
    now = SystemClock().now()  # one instant for the plan and its strips
    config, learning = learning_plan(settings, config, now=now)  # adopted schedules stand in for the file's
    day_plan = operations.plan(settings, config, day=args.date, clock=ManualClock(now))
    if args.html is not None:
        _write_plan_html(args.html, config, day_plan, day=args.date, now=now)
    if args.json:
        print(json.dumps({**plan_document(day_plan), **({"learning": learning} if learning else {})}, indent=2))
    else:
        for line in _plan_lines(day_plan) + learning_lines(learning):
            say(line)
    for warning in day_plan.warnings:
        say(f"warning: {warning}", file=sys.stderr)
    return 0


def _write_plan_html(path: Path, config: Config, day_plan: DayPlan, *, day: date | None, now: datetime) -> None:
    """The same strips the status page draws, from the schedules alone: for reviewing a change."""
    from hfwarden.app.views.dayview import plan_strips
    from hfwarden.web.page import render_plan

    strips = plan_strips(config, day=day, now=now)
    path.write_text(render_plan(day_plan, strips, now=now, sources=[str(s) for s in config.sources]))
    say(f"wrote {path}: {len(strips)} endpoints", file=sys.stderr)


def _plan_lines(day_plan: DayPlan) -> list[str]:
    from hfwarden.app.views.plan import ladder_text, lead_note

    lines = []
    current = None
    for endpoint, t in day_plan.transitions:
        if endpoint.key != current:
            current = endpoint.key
            cost = day_plan.costs.get(endpoint.key)
            priced = "price unknown: add instance: or run the daemon once" if cost is None else dollars(cost)
            lines.append(f"{endpoint.key} ({endpoint.zone.key}), scheduled cost {priced}")
        local, utc = t.at.astimezone(t.rule.zone), t.at.astimezone(UTC)
        note = lead_note(day_plan.lead_of(t), t)
        holiday = "  (calendar day: window outside)" if t.rule.holiday_only else ""
        lines.append(
            f"  {local:%Y-%m-%d %H:%M %Z}  ({utc_column(local, utc)})  {t.action.describe()}  "
            f"[rule {t.rule.number}]{holiday}" + (f"  {note}" if note else "")
        )
    if not day_plan.transitions:
        lines.append("no transitions that day")
    for label, keys in day_plan.coverage.items():
        covered = ", ".join(keys) if keys else "nothing (as last observed)"
        lines.append(f"match {label} covers: {covered}")
    for key, why in sorted(day_plan.skipped.items()):
        lines.append(f"{key}: skipped that day ({why}): its rules do not fire, its windows are outside")
    for b in day_plan.budgets:
        extra = f" (+ {counted(len(b.unpriced), 'unpriced endpoint')})" if b.unpriced else ""
        lines.append(
            f"budget {b.budget.name}: schedules alone {dollars(b.projected_usd)} of "
            f"{dollars(b.budget.daily_usd)}{extra}"
            f"{ladder_text(b.budget.steps, b.step)}"
        )
        if b.budget.month is not None:
            m = b.budget.month
            lines.append(
                f"  month: {dollars(m.monthly_usd)}, the schedules alone {dollars(m.forecast_usd)} by its end; "
                f"an even day's allowance {dollars(m.allowance_usd)}"
            )
    return lines


def probe_host(listen_host: str) -> str:
    """Where to reach a server listening on `listen_host`: a wildcard is reached on loopback, any other
    address as itself (an IPv6 one in brackets)."""
    match listen_host:
        case "" | "0.0.0.0":
            return "127.0.0.1"
        case "::" | "[::]":
            return "[::1]"
    return f"[{listen_host}]" if ":" in listen_host and not listen_host.startswith("[") else listen_host


def utc_column(local: datetime, utc: datetime) -> str:
    """`06:55 UTC`, with the UTC date when it is not the local one (`2026-03-29 23:30 UTC`)."""
    return f"{utc:%H:%M} UTC" if utc.date() == local.date() else f"{utc:%Y-%m-%d %H:%M} UTC"


def healthcheck(args: argparse.Namespace) -> int:
    import httpx

    from hfwarden.adapters.deadline import get_within

    settings = _settings()
    url = args.url or f"http://{probe_host(settings.http_host)}:{settings.http_port}/healthz"
    try:
        response = get_within(url, 5.0)  # a whole-request deadline: a dripped answer cannot wedge the probe
    except httpx.HTTPError as exc:
        say(f"unhealthy: cannot reach {url}: {type(exc).__name__}", file=sys.stderr)
        return 1
    reason = health_reason(response)
    if response.status_code == 200:
        say(f"healthy: {reason}")
        return 0
    say(f"unhealthy: HTTP {response.status_code}: {reason}", file=sys.stderr)
    return 1


def status(args: argparse.Namespace) -> int:
    from hfwarden.app.ops import operations
    from hfwarden.app.views.status import status_document, status_lines

    settings = _settings()
    logs.configure(settings.effective_log_format, level="warning", secrets=settings.secrets())
    config = _load([args.config or settings.config])
    settings.token()
    report = operations.assess(settings, config, clock=SystemClock())
    if args.json:
        print(json.dumps(status_document(report), indent=2))
    else:
        for line in status_lines(report):
            say(line)
    for endpoint, why in report.failed.items():
        say(f"failed: {printable(endpoint)}: {printable(why)}", file=sys.stderr)
    return 0 if report.ok else 1


def release(args: argparse.Namespace) -> int:
    from hfwarden.app.ops import operations
    from hfwarden.app.ops.release import ReleaseError

    settings = _settings()
    logs.configure(settings.effective_log_format, level="warning", secrets=settings.secrets())
    config = _load([args.config or settings.config])
    try:
        result = operations.release(settings, config, args.endpoint, clock=SystemClock())
    except ReleaseError as exc:
        say(f"hfwarden release: {exc}", file=sys.stderr)
        return 2
    latch = result.latch
    if latch is None:
        say(f"{args.endpoint} is not latched; nothing to release")
        return 0
    say(
        f"released {latch.endpoint} (was latched by budget {latch.budget}): exempt from budget {latch.budget} "
        f"until {moment(latch.until)}"
    )
    if result.quote is None:
        say(f"no quote: budget {latch.budget} is no longer configured")
    else:
        say(f"quote: {result.quote.describe()}")
    for where, why in result.failed.items():
        say(f"warning: the quote could not see {where}: {why}", file=sys.stderr)
    return 0


def hold(args: argparse.Namespace) -> int:
    from hfwarden.app.ops.holds import HoldRequest, place_hold

    settings = _settings()
    logs.configure(settings.effective_log_format, level="warning", secrets=settings.secrets())
    config = _load([args.config or settings.config])
    settings.token()
    request = HoldRequest(
        args.endpoint,
        args.until,
        args.state,
        args.min_replicas,
        args.max_replicas,
        args.reason,
        args.over_budget,
    )
    placed = place_hold(settings, config, request, clock=SystemClock())
    say(placed.quote)
    if placed.hold.over_budget:
        say("placed --over-budget: the budget guard will not stop it; its cost is accepted and alerted")
    return 0


def list_holds(args: argparse.Namespace) -> int:
    from hfwarden.app.ops.holds import holds
    from hfwarden.app.views.status import hold_document

    settings = _settings()
    found = holds(settings)
    zones = _zones(args.config or settings.config)
    if args.json:
        print(json.dumps([hold_document(h) for h in found], indent=2))
        return 0
    for h in found:
        extra = " over-budget" if h.over_budget else ""
        why = f"  ({printable(h.reason)})" if h.reason else ""
        until = moment(h.until, zones.get(h.endpoint))
        say(f"{printable(h.endpoint):<40} {h.state.value:<15} until {until}  {printable(h.source)}{extra}{why}")
    if not found:
        say("no holds")
    return 0


def _zones(path: Path) -> dict[str, tzinfo]:
    """Each declared endpoint's zone, to show its times in; none when the schedules cannot be read
    (`holds` must still list the holds: their times are then in UTC, and say so)."""
    from hfwarden.config import ConfigError

    try:
        config = load_config([path], need_secrets=False)
    except ConfigError:
        return {}
    return {e.key: e.zone for e in config.endpoints}


def unhold(args: argparse.Namespace) -> int:
    from hfwarden.app.ops.holds import unhold as lift

    settings = _settings()
    config = _load([args.config or settings.config])
    lifted = lift(settings, config, args.endpoint, clock=SystemClock())
    if lifted is None:
        say(f"{args.endpoint} is not held; nothing to lift")
        return 0
    say(f"lifted the hold on {args.endpoint}; its schedule's state is applied by the next pass")
    return 0


def run_emulator(args: argparse.Namespace) -> int:
    from hfwarden.emulator.server import (
        DEFAULT_TOKEN,
        Emulator,
        EmulatorError,
        clock_from_flags,
        load_seed,
        parse_tokens,
        rate_limit_from_flag,
    )
    from hfwarden.emulator.world import Timings

    try:
        clock = clock_from_flags(args.manual_clock, args.start_time)
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
            rate_limit=rate_limit_from_flag(args.rate_limit),
        )
    except EmulatorError as exc:
        say(f"hfwarden emulator: {exc}", file=sys.stderr)
        return 2
    say(f"hfwarden emulator serving {emulator.base_url}", flush=True)
    say(f"  HFWARDEN_ENDPOINTS_API_URL={emulator.api_url}", flush=True)
    say(f"  HFWARDEN_HUB_URL={emulator.base_url}", flush=True)
    if not args.token:
        say(f"  token: {DEFAULT_TOKEN} (every namespace)", flush=True)
    if seeds:
        say(f"  seeded {len(seeds)} endpoints", flush=True)
    if args.traffic is not None:
        from hfwarden.emulator.traffic import replay_on

        target = args.traffic_endpoint or (f"{seeds[0].namespace}/{seeds[0].name}" if seeds else "")
        try:
            replay_on(emulator.world, emulator.state.counters, target, args.traffic, args.speed).start()
        except (OSError, ValueError) as exc:
            say(f"hfwarden emulator: --traffic: {exc}", file=sys.stderr)
            return 2
        say(f"  replaying {args.traffic} on {target} at {args.speed:g}x; counters on {emulator.base_url}/metrics")
    emulator.serve_forever()
    return 0
