"""Command line of `learn:`: `--prometheus` demand flags, `trace export`, `proposals`, `adopt`,
`dismiss`, `revert`. Parsing only; the work is in `hfwarden.app.learn`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hfwarden.cli_predict import add_demand_flags

CONFIG_HELP = "schedule file or directory (default: $HFWARDEN_CONFIG or schedules/)"


def add_commands(sub: Any) -> None:
    """Register `trace export`, `proposals`, `adopt`, `dismiss` and `revert`."""
    trace = sub.add_parser("trace", help="request traces: `trace export` snapshots one from Prometheus")
    actions = trace.add_subparsers(dest="trace_command", required=True)
    export = actions.add_parser("export", help="write a Prometheus query's requests per minute as a trace CSV")
    add_demand_flags(export)
    export.add_argument("--endpoint", metavar="NS/NAME", help="fills {namespace} and {name} in the query")
    export.set_defaults(handler=_handler("export_trace"))

    proposals = sub.add_parser("proposals", help="schedules learnt by `learn:`, open and decided")
    proposals.add_argument("--json", action="store_true", help="machine-readable output")
    proposals.add_argument("--all", action="store_true", help="decided ones too (default: open and adopted)")
    proposals.set_defaults(handler=_handler("list_proposals"))
    for name, text in (
        ("adopt", "put a learnt schedule in force in place of the file's (audited, alerted)"),
        ("dismiss", "dismiss the open proposal of an endpoint"),
        ("revert", "go back to the schedule file's schedule for an endpoint"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("endpoint", metavar="NAMESPACE/NAME")
        if name == "adopt":
            p.add_argument("--proposal", type=int, metavar="ID", help="default: the endpoint's open proposal")
            p.add_argument(
                "--force",
                action="store_true",
                help="adopt even a stale proposal (the file's entry changed, later demand was learnt, or it "
                "breaks keep:)",
            )
        p.add_argument("--config", type=Path, help=CONFIG_HELP)
        p.set_defaults(handler=_handler(name))


def _handler(name: str) -> Any:
    def run(args: argparse.Namespace) -> int:
        from hfwarden.app.learn import commands

        return int(getattr(commands, name)(args))

    return run
