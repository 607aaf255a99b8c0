"""Command line entry points: `hfwarden <command>`."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from hfwarden import __version__


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
    parser = _Parser(prog="hfwarden", description=__doc__)
    parser.add_argument("--version", action="version", version=f"hfwarden {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _emulator_parser(sub)
    sandbox = sub.add_parser("sandbox", help="the demo: an emulator with demo endpoints and a scripted session")
    sandbox.add_argument("--port", type=int, default=0, help="emulator port (default: a free one)")
    return parser


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
    match args.command:
        case "emulator":
            return _run_emulator(args)
        case "sandbox":
            from hfwarden.emulator.sandbox import run_sandbox

            return run_sandbox(port=args.port)
    return 2
