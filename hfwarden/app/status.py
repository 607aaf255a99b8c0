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
                **startup_fields(report, e.endpoint),
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
        lines.extend(startup_lines(report, e.endpoint))
    for b in report.budgets:
        lines.append(
            f"budget {b.budget.name}: daily {usd(b.budget.daily_usd)}, spent {usd(b.spent_usd)}, "
            f"projected {usd(b.projected_usd)}, headroom {usd(b.headroom_usd)}"
        )
    return lines


def startup_fields(report: PassReport, endpoint: str) -> dict[str, Any]:
    """Start-ups (p50, p90 of the last 20, seconds; null before the first) and today's cold starts."""
    figures = report.startups.get(endpoint)
    if figures is None:
        return {
            "startup_p50_s": None,
            "startup_p90_s": None,
            "wakes_today": 0,
            "cold_start_usd": 0.0,
        }
    return {
        "startup_p50_s": _seconds(figures.startup_p50_s),
        "startup_p90_s": _seconds(figures.startup_p90_s),
        "wakes_today": figures.wakes_today,
        "cold_start_usd": money(figures.cold_start_usd),
    }


def startup_lines(report: PassReport, endpoint: str) -> list[str]:
    figures = report.startups.get(endpoint)
    if figures is None or (figures.startup_p50_s is None and not figures.wakes_today):
        return []
    measured = (
        "no start-up measured yet"
        if figures.startup_p50_s is None or figures.startup_p90_s is None
        else f"start-up p50 {figures.startup_p50_s:.0f}s, p90 {figures.startup_p90_s:.0f}s "
        f"({figures.startups_measured} measured)"
    )
    cold = f"cold starts {usd(figures.cold_start_usd)} ({figures.cold_start_seconds:.0f} s initialising)"
    return [f"  {measured}; {figures.wakes_today} wakes today, {cold}"]


def _seconds(value: float | None) -> float | None:
    return None if value is None else float(round(value, 1))


def usd(value: float) -> str:
    """Dollars for people: `$1.14`, `-$1.14` (not `$-1.14`)."""
    return f"-${-value:.2f}" if value < 0 else f"${value:.2f}"
