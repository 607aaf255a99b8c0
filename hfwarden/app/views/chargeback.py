"""`report`: a month of the stored ledger charged back by team, endpoint, namespace or label, as a
table, CSV or JSON. Reads the state store only; the arithmetic is core.chargeback's."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hfwarden.adapters.store import Store
from hfwarden.config import Config
from hfwarden.core.chargeback import Chargeback, ChargeRow, EndpointCharge, Owner, charge, chargeback
from hfwarden.core.cost import Segment
from hfwarden.core.months import month_bounds

COLUMNS = ("group", "endpoints", "replica_hours", "cost_usd", "always_on_usd", "saved_usd", "estimated", "gaps")


def owner_of(config: Config, key: str) -> Owner:
    """The team and labels of an endpoint's entry, or of the `match:` that covers it."""
    schedule = config.endpoint(key)
    if schedule is None:
        return Owner()
    return Owner(schedule.team, dict(schedule.labels))


def stored_segments(store: Store, since: date, zone: ZoneInfo) -> dict[str, list[Segment]]:
    """Every stored segment reaching into the month of `since`, the open ones up to their last look."""
    start, _ = month_bounds(since, zone)
    segments = {(s.endpoint, s.start): s for s in store.segments_since(start)}
    for current in store.open_segments().values():
        segments.setdefault((current.endpoint, current.start), current.as_segment())
    by_endpoint: dict[str, list[Segment]] = {}
    for segment in sorted(segments.values(), key=lambda s: s.start):
        by_endpoint.setdefault(segment.endpoint, []).append(segment)
    return by_endpoint


def month_charges(
    config: Config, segments: dict[str, list[Segment]], month: date, zone: ZoneInfo
) -> list[EndpointCharge]:
    start, end = month_bounds(month, zone)
    config = config.expanded(segments)  # `match:` entries: the endpoints the ledger holds
    charges = [charge(key, own, start, end, owner_of(config, key)) for key, own in sorted(segments.items())]
    return [c for c in charges if c.replica_hours or c.always_on_usd or c.cost_usd]


def month_report(store: Store, config: Config, *, month: date, zone: ZoneInfo, by: str) -> Chargeback:
    return chargeback(month_charges(config, stored_segments(store, month, zone), month, zone), by=by, month=month)


def _cells(row: ChargeRow) -> list[str]:
    return [
        row.group,
        " ".join(row.endpoints),
        f"{row.replica_hours:.2f}",
        f"{row.cost_usd:.2f}",
        f"{row.always_on_usd:.2f}",
        f"{row.saved_usd:.2f}",
        "yes" if row.estimated else "",
        "yes" if row.gaps else "",
    ]


def report_csv(report: Chargeback) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in (*report.rows, report.total):
        writer.writerow(_cells(row))
    return out.getvalue()


def _money(value: Decimal) -> float:
    return float(value)


def _row_document(row: ChargeRow) -> dict[str, Any]:
    return {
        "group": row.group,
        "endpoints": list(row.endpoints),
        "replica_hours": _money(row.replica_hours),
        "cost_usd": _money(row.cost_usd),
        "always_on_usd": _money(row.always_on_usd),
        "saved_usd": _money(row.saved_usd),
        "estimated": row.estimated,
        "gaps": row.gaps,
    }


def report_document(report: Chargeback, zone: ZoneInfo) -> dict[str, Any]:
    """`report --json`: money as numbers of whole cents; rows add up to `total` exactly."""
    return {
        "month": f"{report.month:%Y-%m}",
        "timezone": str(zone),
        "by": report.by,
        "rows": [_row_document(r) for r in report.rows],
        "total": _row_document(report.total),
    }


def report_lines(report: Chargeback, zone: ZoneInfo) -> Iterable[str]:
    yield f"chargeback for {report.month:%Y-%m} ({zone}) by {report.by}"
    yield f"{'group':<30} {'replica-h':>10} {'cost':>12} {'always on':>12} {'saved':>12}  flags"
    for row in (*report.rows, report.total):
        flags = ", ".join(f for f, on in (("estimated", row.estimated), ("gaps", row.gaps)) if on)
        yield (
            f"{row.group:<30} {row.replica_hours:>10.2f} {'$' + format(row.cost_usd, '.2f'):>12} "
            f"{'$' + format(row.always_on_usd, '.2f'):>12} {'$' + format(row.saved_usd, '.2f'):>12}  {flags}"
        )
