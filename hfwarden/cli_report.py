"""`hfwarden report`: argument parsing and rendering of a month's chargeback (app/views/chargeback.py)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _month(text: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month such as 2026-11")
    year, month = int(text[:4]), int(text[5:])
    if not 1 <= month <= 12 or year < 1971:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month such as 2026-11")
    return date(year, month, 1)


def _grouping(text: str) -> str:
    from hfwarden.core.chargeback import check_grouping

    try:
        return check_grouping(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _zone(text: str) -> ZoneInfo:
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"unknown time zone {text!r} (use an IANA name such as Europe/Paris)"
        ) from None


def add_command(sub: Any) -> None:
    p = sub.add_parser("report", help="a month's spend from the ledger, by team, endpoint, namespace or label")
    p.add_argument("--month", type=_month, required=True, help="YYYY-MM")
    p.add_argument("--by", type=_grouping, default="team", help="team (default), endpoint, namespace or label:KEY")
    p.add_argument("--timezone", type=_zone, default=ZoneInfo("UTC"), help="the month's zone (default UTC)")
    p.add_argument("--config", type=Path, help="schedule file or directory (for teams and labels)")
    output = p.add_mutually_exclusive_group()
    output.add_argument("--csv", action="store_true", help="CSV on stdout")
    output.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=report_command)


def report_command(args: argparse.Namespace) -> int:
    # Imported here: `--help` and a bad flag must not pay for pydantic and SQLAlchemy (as in cli.py).
    from hfwarden.adapters.store import Store
    from hfwarden.app.views.chargeback import month_report, report_csv, report_document, report_lines
    from hfwarden.config import load_config
    from hfwarden.settings import Settings

    settings = Settings()
    config = load_config([args.config or settings.config], need_secrets=False)
    if not settings.state_exists:
        print("hfwarden report: no state store yet (the daemon has recorded no ledger)", file=sys.stderr)
        return 2
    store = Store(settings.database_url)
    try:
        report = month_report(store, config, month=args.month, zone=args.timezone, by=args.by)
    finally:
        store.close()
    if args.csv:
        sys.stdout.write(report_csv(report))
    elif args.json:
        print(json.dumps(report_document(report, args.timezone), indent=2))
    else:
        for line in report_lines(report, args.timezone):
            print(line)
    return 0
