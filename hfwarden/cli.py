"""Command line entry points: `hfwarden <command>`. Parsing only; `commands.py` does the work."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import NoReturn

from hfwarden import __version__, cli_learn, cli_predict, cli_report


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
    p.add_argument("--traffic", type=Path, metavar="TRACE.csv", help="replay a trace as data-plane requests")
    p.add_argument("--speed", type=float, default=1.0, metavar="N", help="--traffic N times faster (default 1)")
    p.add_argument("--traffic-endpoint", metavar="NS/NAME", help="where --traffic goes (default: first seeded)")


def _plan_day(text: str) -> date:
    """`--date`: a bad or far-off day is one line and exit 2, not a traceback."""
    from hfwarden.core.rules import plannable_day

    try:
        return plannable_day(date.fromisoformat(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def _hold_parsers(sub: argparse._SubParsersAction[_Parser]) -> None:
    config_help = "schedule file or directory (default: $HFWARDEN_CONFIG or schedules/)"
    hold = sub.add_parser("hold", help="keep an endpoint in one state until a time (break-glass)")
    hold.add_argument("endpoint", metavar="NAMESPACE/NAME")
    hold.add_argument(
        "--until", required=True, help="20:00 (next, in the endpoint's zone), 2h / 90m, or 2026-11-24T09:00+01:00"
    )
    hold.add_argument("--state", choices=("running", "paused", "current"), default="running")
    hold.add_argument("--min", type=int, dest="min_replicas", help="with --state running: min replicas")
    hold.add_argument("--max", type=int, dest="max_replicas", help="with --state running: max replicas")
    hold.add_argument("--reason", default="", help="why, for the audit log and the alert")
    hold.add_argument(
        "--over-budget", action="store_true", help="accept the hold's cost: the budget guard will not stop it"
    )
    hold.add_argument("--config", type=Path, help=config_help)
    holds = sub.add_parser("holds", help="the holds in force")
    holds.add_argument("--json", action="store_true", help="machine-readable output")
    holds.add_argument("--config", type=Path, help=config_help)
    unhold = sub.add_parser("unhold", help="lift a hold now; the schedule's state is applied next pass")
    unhold.add_argument("endpoint", metavar="NAMESPACE/NAME")
    unhold.add_argument("--config", type=Path, help=config_help)


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
    plan.add_argument("--date", type=_plan_day, help="YYYY-MM-DD, local to each endpoint (default today)")
    plan.add_argument("--json", action="store_true", help="machine-readable output")
    plan.add_argument(
        "--html", type=Path, metavar="FILE", help="also write the day view (strips, costs) as one self-contained file"
    )

    status = sub.add_parser("status", help="per endpoint and budget: state, spend and projection today")
    status.add_argument(
        "--config", type=Path, help="schedule file or directory (default: $HFWARDEN_CONFIG or schedules/)"
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")

    release = sub.add_parser("release", help="lift a budget guard's latch on an endpoint")
    release.add_argument("endpoint", metavar="NAMESPACE/NAME")
    release.add_argument("--config", type=Path, help="schedule file or directory (for alert sinks)")

    _hold_parsers(sub)

    health = sub.add_parser("healthcheck", help="exit 0 if the local daemon's /healthz is green, else 1")
    health.add_argument("--url", help="default: http://127.0.0.1:$HFWARDEN_HTTP_PORT/healthz")

    _emulator_parser(sub)
    sandbox = sub.add_parser("sandbox", help="the demo: the daemon against an emulator with demo endpoints")
    sandbox.add_argument("--seconds", type=float, default=150.0, help="how long to run (default 150)")
    cli_predict.add_commands(sub)
    cli_learn.add_commands(sub)
    cli_report.add_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command; returns the exit code."""
    args = _build_parser().parse_args(argv)
    # Imported after parsing: `--help` and a bad flag must not pay for pydantic, uvicorn and the rest.
    from hfwarden import commands
    from hfwarden.adapters.store import StoreError
    from hfwarden.app.ops.holds import HoldError
    from hfwarden.config import ConfigError
    from hfwarden.core.formats import counted
    from hfwarden.serving import BindError
    from hfwarden.settings import SettingsError

    try:
        match args.command:
            case "run":
                return commands.run(args)
            case "validate":
                return commands.validate(args)
            case "plan":
                return commands.plan(args)
            case "status":
                return commands.status(args)
            case "release":
                return commands.release(args)
            case "hold":
                return commands.hold(args)
            case "holds":
                return commands.list_holds(args)
            case "unhold":
                return commands.unhold(args)
            case "healthcheck":
                return commands.healthcheck(args)
            case "emulator":
                return commands.run_emulator(args)
            case "sandbox":
                from hfwarden.sandbox import run_sandbox

                return run_sandbox(seconds=args.seconds)
            case "backtest" | "recommend" | "trace" | "proposals" | "adopt" | "dismiss" | "revert" | "report":
                return int(args.handler(args))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{counted(len(exc.problems), 'problem')}; nothing was changed", file=sys.stderr)
        return 2
    except (SettingsError, BindError, StoreError, HoldError) as exc:
        print(f"hfwarden: {exc}", file=sys.stderr)
        return 2
    return 2
