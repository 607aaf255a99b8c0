"""What each command does once its arguments are parsed: call the operations, render the answer.

Kept apart from `cli.py` so that `hfwarden --help` and a bad flag load nothing heavy.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from hfwarden import logs
from hfwarden.clock import SystemClock
from hfwarden.config import Config, load_config
from hfwarden.settings import Settings, SettingsError

if TYPE_CHECKING:
    from hfwarden.app.plan import DayPlan


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
            print(f"warning: {warning}", file=sys.stderr)
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
    from hfwarden.app import operations

    result = operations.run_once(settings, config, clock=SystemClock())
    if result.report is None:
        print(f"another hfwarden ({result.held_by}) is acting on this state; not acting", file=sys.stderr)
        return 1
    for endpoint, why in result.report.failed.items():
        print(f"failed: {endpoint}: {why}", file=sys.stderr)
    if result.undelivered:
        print(
            f"{result.undelivered} alert deliveries still waiting in the outbox (a sink did not take them); "
            "the daemon will retry them",
            file=sys.stderr,
        )
    return 0 if result.report.ok and not result.undelivered else 1


def validate(args: argparse.Namespace) -> int:
    from hfwarden.adapters.prices import PriceBook

    config = _load(args.paths, need_secrets=False)
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


def plan(args: argparse.Namespace) -> int:
    from hfwarden.app import operations
    from hfwarden.app.plan import plan_document

    settings = _settings()
    config = _load([args.config or settings.config], need_secrets=False)
    day_plan = operations.plan(settings, config, day=args.date, clock=SystemClock())
    if args.json:
        print(json.dumps(plan_document(day_plan), indent=2))
    else:
        for line in _plan_lines(day_plan):
            print(line)
    for warning in day_plan.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _plan_lines(day_plan: DayPlan) -> list[str]:
    from hfwarden.app.plan import lead_note

    lines = []
    current = None
    for endpoint, t in day_plan.transitions:
        if endpoint.key != current:
            current = endpoint.key
            cost = day_plan.costs.get(endpoint.key)
            priced = "price unknown: add instance: or run the daemon once" if cost is None else f"${cost:.2f}"
            lines.append(f"{endpoint.key} ({endpoint.zone.key}), scheduled cost {priced}")
        local, utc = t.at.astimezone(t.rule.zone), t.at.astimezone(UTC)
        note = lead_note(day_plan.lead_of(t), t)
        lines.append(
            f"  {local:%Y-%m-%d %H:%M %Z}  ({utc:%H:%M} UTC)  {t.action.describe()}  [rule {t.rule.number}]"
            + (f"  {note}" if note else "")
        )
    if not day_plan.transitions:
        lines.append("no transitions that day")
    for b in day_plan.budgets:
        extra = f" (+ {len(b.unpriced)} unpriced endpoints)" if b.unpriced else ""
        lines.append(
            f"budget {b.budget.name}: schedules alone ${b.projected_usd:.2f} of ${b.budget.daily_usd:.2f}{extra}"
        )
    return lines


def healthcheck(args: argparse.Namespace) -> int:
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


def status(args: argparse.Namespace) -> int:
    from hfwarden.app import operations
    from hfwarden.app.status import status_document, status_lines

    settings = _settings()
    logs.configure(settings.effective_log_format, level="warning", secrets=settings.secrets())
    config = _load([args.config or settings.config])
    settings.token()
    report = operations.assess(settings, config, clock=SystemClock())
    if args.json:
        print(json.dumps(status_document(report), indent=2))
    else:
        for line in status_lines(report):
            print(line)
    for endpoint, why in report.failed.items():
        print(f"failed: {endpoint}: {why}", file=sys.stderr)
    return 0 if report.ok else 1


def release(args: argparse.Namespace) -> int:
    from hfwarden.app import operations

    settings = _settings()
    config = _load([args.config or settings.config])
    latch = operations.release(settings, config, args.endpoint, clock=SystemClock())
    if latch is None:
        print(f"{args.endpoint} is not latched; nothing to release")
        return 0
    print(
        f"released {args.endpoint} (was latched by budget {latch.budget}); it stays stopped until its next "
        "scheduled transition or a manual resume"
    )
    return 0


def run_emulator(args: argparse.Namespace) -> int:
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
