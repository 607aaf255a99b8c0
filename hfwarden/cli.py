"""Command line entry points: `hfwarden <command>`. Parsing only; `commands.py` does the work."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import textwrap
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import NoReturn

from hfwarden import __version__, cli_learn, cli_predict, cli_report
from hfwarden.cli_help import COMMANDS
from hfwarden.cli_types import positive_seconds, writable_file

CONFIG_HELP = "schedule file or directory (default: $HFWARDEN_CONFIG or schedules/)"


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line on stderr and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _command(sub: argparse._SubParsersAction[_Parser], name: str, summary: str) -> _Parser:
    """A subcommand whose --help has its description, environment and example (`cli_help`)."""
    parser = sub.add_parser(name, help=summary)
    _describe(parser, name)
    return parser


def _describe(parser: argparse.ArgumentParser, name: str) -> None:
    about = COMMANDS[name]
    parser.description = textwrap.fill(about.description, 79)
    parser.epilog = about.epilog()
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def _emulator_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _command(sub, "emulator", "serve a local Inference Endpoints API (for tests, demos, try-outs)")
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
    p.add_argument(
        "--rate-limit",
        metavar="N/WINDOW",
        help="at most N /v2 calls per token in each fixed WINDOW (2500/300s, 500/5m); answers carry RateLimit fields",
    )
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
    config_help = CONFIG_HELP
    hold = _command(sub, "hold", "keep an endpoint in one state until a time (break-glass)")
    hold.add_argument("endpoint", metavar="NAMESPACE/NAME")
    hold.add_argument(
        "--until", required=True, help="20:00 (next, in the endpoint's zone), 2h / 90m, or 2026-11-24T09:00+01:00"
    )
    hold.add_argument(
        "--state",
        choices=("running", "paused", "current"),
        default="running",
        help="running (default), paused, or current: whatever it is now",
    )
    hold.add_argument(
        "--min", type=int, dest="min_replicas", help="with --state running: min replicas (default: as it is)"
    )
    hold.add_argument(
        "--max", type=int, dest="max_replicas", help="with --state running: max replicas (default: as it is)"
    )
    hold.add_argument("--reason", default="", help="why, for the audit log and the alert")
    hold.add_argument(
        "--over-budget", action="store_true", help="accept the hold's cost: the budget guard will not stop it"
    )
    hold.add_argument("--config", type=Path, help=config_help)
    holds = _command(sub, "holds", "the holds in force")
    holds.add_argument("--json", action="store_true", help="machine-readable output")
    holds.add_argument("--config", type=Path, help=config_help)
    unhold = _command(sub, "unhold", "lift a hold now; the schedule's state is applied next pass")
    unhold.add_argument("endpoint", metavar="NAMESPACE/NAME")
    unhold.add_argument("--config", type=Path, help=config_help)


def _build_parser() -> _Parser:
    parser = _Parser(prog="hfwarden", description="Schedules, spend and budget guards for Inference Endpoints.")
    parser.add_argument("--version", action="version", version=f"hfwarden {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = _command(sub, "run", "the daemon: apply schedules to endpoints")
    run.add_argument("--config", type=Path, help=CONFIG_HELP)
    run.add_argument("--once", action="store_true", help="one pass, then exit (non-zero if any endpoint failed)")
    run.add_argument("--dry-run", action="store_true", help="decide and log everything, call no mutating API")

    validate = _command(sub, "validate", "check schedule files; exit 0 if valid, 2 with every problem")
    validate.add_argument("paths", type=Path, nargs="+", metavar="PATH")

    plan = _command(sub, "plan", "a day's transitions per endpoint (needs no token)")
    plan.add_argument("--config", type=Path, help=CONFIG_HELP)
    plan.add_argument("--date", type=_plan_day, help="YYYY-MM-DD, local to each endpoint (default today)")
    plan.add_argument("--json", action="store_true", help="machine-readable output")
    plan.add_argument(
        "--html",
        type=writable_file,
        metavar="FILE",
        help="also write the day view (strips, costs) as one self-contained file",
    )

    status = _command(sub, "status", "per endpoint and budget: state, spend and projection today")
    status.add_argument("--config", type=Path, help=CONFIG_HELP)
    status.add_argument("--json", action="store_true", help="machine-readable output")

    release = _command(sub, "release", "lift a budget guard's latch on an endpoint")
    release.add_argument("endpoint", metavar="NAMESPACE/NAME")
    release.add_argument("--config", type=Path, help="schedule file or directory (for alert sinks)")

    _hold_parsers(sub)

    health = _command(sub, "healthcheck", "exit 0 if the local daemon's /healthz is green, else 1")
    health.add_argument("--url", help="default: http://$HFWARDEN_HTTP_HOST:$HFWARDEN_HTTP_PORT/healthz")

    _emulator_parser(sub)
    sandbox = _command(sub, "sandbox", "the demo: the daemon against an emulator with demo endpoints")
    sandbox.add_argument("--seconds", type=positive_seconds, default=150.0, help="how long to run (default 150)")
    sandbox.add_argument(
        "--keep", action="store_true", help="leave the emulator and daemon running; print the environment to export"
    )
    cli_predict.add_commands(sub)
    cli_learn.add_commands(sub)
    for name in ("backtest", "recommend", "trace", "proposals", "adopt", "dismiss", "revert"):
        _describe(sub.choices[name], name)
    cli_report.add_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command; returns the exit code."""
    args = _build_parser().parse_args(argv)
    try:
        return _run(args)
    except BrokenPipeError:
        # `hfwarden status --json | head -1`: the reader has gone, which is no error of ours. Point
        # stdout at /dev/null so that the interpreter's own flush at exit does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + signal.SIGPIPE


def _run(args: argparse.Namespace) -> int:
    # Imported after parsing: `--help` and a bad flag must not pay for pydantic, uvicorn and the rest.
    from hfwarden import commands
    from hfwarden.config import ConfigError
    from hfwarden.core.formats import counted
    from hfwarden.serving import BindError
    from hfwarden.settings import SettingsError

    try:
        return _dispatch(args, commands)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{counted(len(exc.problems), 'problem')}; nothing was changed", file=sys.stderr)
        return 2
    except (SettingsError, BindError, _loaded("hfwarden.adapters.store", "StoreError"), _loaded(*HOLD_ERROR)) as exc:
        print(f"hfwarden: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise
    except OSError as exc:  # a file to write that became unwritable after the flags were checked
        where = f" {exc.filename}" if exc.filename else ""
        print(f"hfwarden: cannot write{where}: {exc.strerror or exc}", file=sys.stderr)
        return 1


HOLD_ERROR = ("hfwarden.app.ops.holds", "HoldError")


class _NeverRaised(Exception):
    pass


def _loaded(module: str, name: str) -> type[Exception]:
    """The exception class `module.name` if its module is loaded, which it is if one was raised.

    Looked up when an exception reaches `_run`, not imported up front: the store (SQLAlchemy, Alembic)
    and the daemon's wiring were ~1.2 s of every `validate`, which needs neither (issue 18's target:
    `validate` of the documented maxima under 5 s)."""
    found = getattr(sys.modules.get(module), name, None)
    return found if isinstance(found, type) and issubclass(found, Exception) else _NeverRaised


def _dispatch(args: argparse.Namespace, commands: ModuleType) -> int:
    match args.command:
        case "run":
            return int(commands.run(args))
        case "validate":
            return int(commands.validate(args))
        case "plan":
            return int(commands.plan(args))
        case "status":
            return int(commands.status(args))
        case "release":
            return int(commands.release(args))
        case "hold":
            return int(commands.hold(args))
        case "holds":
            return int(commands.list_holds(args))
        case "unhold":
            return int(commands.unhold(args))
        case "healthcheck":
            return int(commands.healthcheck(args))
        case "emulator":
            return int(commands.run_emulator(args))
        case "sandbox":
            from hfwarden.sandbox import run_sandbox

            return run_sandbox(seconds=args.seconds, keep=args.keep)
        case "backtest" | "recommend" | "trace" | "proposals" | "adopt" | "dismiss" | "revert" | "report":
            return int(args.handler(args))
    return 2
