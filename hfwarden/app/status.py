"""`status`: what a pass saw and computed, as the one document the CLI, the page and `/api/v1` show."""

from __future__ import annotations

from typing import Any

from hfwarden.app.plan import money
from hfwarden.app.report import PassReport


def status_document(report: PassReport) -> dict[str, Any]:
    """`status --json`: see the README for the fields."""
    return {
        "as_of": report.started_at.isoformat(),
        "endpoints": [
            {
                "endpoint": e.endpoint,
                "state": e.state,
                "billed_replicas": e.billed_replicas,
                "price_per_hour": money(e.price_per_hour),
                "spent_usd": money(e.spent_usd),
                "projected_usd": money(e.projected_usd),
                "latched": e.latched,
            }
            for e in report.endpoints
        ],
        "budgets": [
            {
                "name": b.budget.name,
                "daily_usd": money(b.budget.daily_usd),
                "spent_usd": money(b.spent_usd),
                "projected_usd": money(b.projected_usd),
                "headroom_usd": money(b.headroom_usd),
            }
            for b in report.budgets
        ],
        "failed": report.failed,
    }


def status_lines(report: PassReport) -> list[str]:
    """`status` on a terminal."""
    lines = [
        f"as of {report.started_at:%Y-%m-%d %H:%M:%S %Z}",
        f"{'endpoint':<40} {'state':<13} {'replicas':>8} {'$/h':>8} {'spent':>9} {'projected':>10}  latched",
    ]
    for e in report.endpoints:
        price = "unknown" if e.price_per_hour is None else f"{e.price_per_hour:.3f}"
        lines.append(
            f"{e.endpoint:<40} {e.state or 'missing':<13} {e.billed_replicas:>8} {price:>8} "
            f"{usd(e.spent_usd):>9} {usd(e.projected_usd):>10}  {'yes' if e.latched else ''}"
        )
    for b in report.budgets:
        lines.append(
            f"budget {b.budget.name}: daily {usd(b.budget.daily_usd)}, spent {usd(b.spent_usd)}, "
            f"projected {usd(b.projected_usd)}, headroom {usd(b.headroom_usd)}"
        )
    return lines


def usd(value: float) -> str:
    """Dollars for people: `$1.14`, `-$1.14` (not `$-1.14`)."""
    return f"-${-value:.2f}" if value < 0 else f"${value:.2f}"
