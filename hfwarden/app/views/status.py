"""`status`: what a pass saw and computed, as the one document the CLI, the page and `/api/v1` show.

An endpoint whose namespace could not be listed is not `missing` and costs not $0: its figures are
unknown (`null`), and so are the projection and headroom of every budget whose scope reaches that
namespace. A reassuring zero is worse than no figure.
"""

from __future__ import annotations

from typing import Any

from hfwarden.app.reconcile.report import PassReport
from hfwarden.app.reconcile.spend import EndpointFigures
from hfwarden.app.views.plan import ladder_step, ladder_text
from hfwarden.core.anomaly import AnomalyStatus
from hfwarden.core.budget import BudgetStatus
from hfwarden.core.endpoints import namespace_of
from hfwarden.core.formats import counted, dollars, json_money, moment
from hfwarden.core.holds import held_because, placed_by
from hfwarden.core.months import MonthPace
from hfwarden.core.records import Hold

UNOBSERVABLE = "unobservable"
PROJECTED = (
    "projected: spent + what it bills to the end of the day (now until its next transition or the end of "
    "its hold, then its schedule); an endpoint's own day in its zone, a budget's day in the budget's zone"
)
NOT_TRACKED = (
    "spend not tracked yet: no hfwarden has run on this state (HFWARDEN_STATE_DIR / HFWARDEN_STATE_URL); "
    "`hfwarden run` keeps the ledger from then on. Projections count each endpoint from when it was created "
    "or the day began, whichever is later (an estimate that errs high)"
)


def unobserved_reason(report: PassReport, figures: EndpointFigures) -> str | None:
    """Why an endpoint's figures are unknown (its namespace could not be listed), or None."""
    why = report.unobservable.get(namespace_of(figures.endpoint))
    return None if why is None or figures.state is not None else why


def unobserved_in(report: PassReport, status: BudgetStatus) -> list[str]:
    """The unreadable namespaces (`ns/*`) a budget's scope reaches: its figures leave them out."""
    namespaces = status.budget.scope.namespaces
    return [f"{ns}/*" for ns in sorted(report.unobservable) if namespaces is None or ns in namespaces]


def hold_document(hold: Hold) -> dict[str, object]:
    """One hold as `holds --json`, `status --json` and the API show it."""
    return {
        "endpoint": hold.endpoint,
        "state": hold.state.value,
        "until": hold.until.isoformat(),
        "placed_at": hold.placed_at.isoformat(),
        "reason": hold.reason,
        "over_budget": hold.over_budget,
        "min_replicas": hold.min_replicas,
        "max_replicas": hold.max_replicas,
        "source": hold.source,
        "placed_by": hold.placed_by,
    }


def status_document(report: PassReport) -> dict[str, Any]:
    """`status --json`: see the README for the fields."""
    endpoints = []
    for e in report.endpoints:
        why = unobserved_reason(report, e)
        endpoints.append(
            {
                "endpoint": e.endpoint,
                "state": UNOBSERVABLE if why else e.state,
                "billed_replicas": None if why else e.billed_replicas,
                "price_per_hour": json_money(e.price_per_hour),
                "spent_usd": None if why or not report.spend_tracked else json_money(e.spent_usd),
                "projected_usd": None if why else json_money(e.projected_usd),
                "latched": e.latched,
                **({"team": e.team} if e.team else {}),  # only for endpoints that name one
                **({"unobservable": why} if why else {}),
                **startup_fields(report, e.endpoint),
            }
        )
    budgets = []
    for b in report.budgets:
        blind = unobserved_in(report, b)
        budgets.append(
            {
                "name": b.budget.name,
                "daily_usd": json_money(b.budget.daily_usd),
                "spent_usd": json_money(b.spent_usd) if report.spend_tracked else None,
                "projected_usd": None if blind else json_money(b.projected_usd),
                "headroom_usd": None if blind else json_money(b.headroom_usd),
                "step": ladder_step(b.budget.steps, b.step),
                **month_fields(b.budget.month),
                "anomaly": anomaly_field(report.anomalies.get(b.budget.name)),
                **({"unobserved": blind} if blind else {}),
            }
        )
    return {
        "as_of": report.started_at.isoformat(),
        "spend_tracked": report.spend_tracked,
        "endpoints": endpoints,
        "budgets": budgets,
        "holds": [hold_document(h) for _, h in sorted(report.holds.items())],
        "caps": [
            {"endpoint": k, "budget": c.budget, "max_replicas": c.max_replicas, "until": c.until.isoformat()}
            for k, c in sorted(report.caps.items())
        ],
        "failed": report.failed,
        # Month to date per team (the UTC month): only when some endpoint names its team.
        **(
            {"teams": [{"team": t, "month_spent_usd": json_money(usd)} for t, usd in report.teams.items()]}
            if report.teams
            else {}
        ),
    }


def status_lines(report: PassReport) -> list[str]:
    """`status` on a terminal: what could not be seen comes first, before any figure."""
    lines = [f"as of {moment(report.started_at)}"]
    if not report.spend_tracked:
        lines.append(NOT_TRACKED)
    for namespace, why in sorted(report.unobservable.items()):
        lines.append(f"NOT OBSERVED: namespace {namespace}: {why}; its endpoints' figures below are unknown")
    lines.append(f"{'endpoint':<40} {'state':<13} {'replicas':>8} {'$/h':>8} {'spent':>9} {'projected':>10}  latched")
    for e in report.endpoints:
        price = "unknown" if e.price_per_hour is None else f"{e.price_per_hour:.3f}"
        if unobserved_reason(report, e):
            state, replicas, spent, projected = UNOBSERVABLE, "?", "?", "?"
        else:
            state, replicas = e.state or "missing", str(e.billed_replicas)
            spent = dollars(e.spent_usd) if report.spend_tracked else "untracked"
            projected = dollars(e.projected_usd)
        lines.append(
            f"{e.endpoint:<40} {state:<13} {replicas:>8} {price:>8} {spent:>9} {projected:>10}  "
            f"{'yes' if e.latched else ''}"
        )
        lines.extend(startup_lines(report, e.endpoint))
    for key, cap in sorted(report.caps.items()):
        lines.append(f"cap {key}: max_replicas {cap.max_replicas} by budget {cap.budget} until {moment(cap.until)}")
    for key, hold in sorted(report.holds.items()):
        lines.append(f"hold {key}: {held_because(hold)} [{placed_by(hold)}]")
    for b in report.budgets:
        blind = unobserved_in(report, b)
        spent = dollars(b.spent_usd) if report.spend_tracked else "not tracked yet"
        head = f"budget {b.budget.name}: daily {dollars(b.budget.daily_usd)}, spent {spent}, "
        ladder = ladder_text(b.budget.steps, b.step)
        ladder += month_text(b.budget.month) + anomaly_text(report.anomalies.get(b.budget.name))
        if blind:
            lines.append(head + f"projected and headroom UNKNOWN: {', '.join(blind)} not observed" + ladder)
        else:
            lines.append(head + f"projected {dollars(b.projected_usd)}, headroom {dollars(b.headroom_usd)}" + ladder)
    lines.append(PROJECTED)
    return lines


def month_fields(month: MonthPace | None) -> dict[str, float | None]:
    """A monthly budget's month (null for a daily-only one): `daily_usd` is then today's limit."""
    return {
        "monthly_usd": json_money(month.monthly_usd) if month else None,
        "month_spent_usd": json_money(month.spent_usd) if month else None,
        "month_forecast_usd": json_money(month.forecast_usd) if month else None,
        "allowance_usd": json_money(month.allowance_usd) if month else None,
    }


def anomaly_field(status: AnomalyStatus | None) -> dict[str, Any] | None:
    """A budget's spend-anomaly detector (null when it has no `anomaly:`); `starts_at` while learning."""
    if status is None:
        return None
    return {
        "state": status.state,
        "starts_at": status.starts_at.isoformat() if status.starts_at else None,
        "rate_usd_per_hour": json_money(status.rate_usd_per_hour),
        "baseline_usd_per_hour": json_money(status.baseline_usd_per_hour),
        "since": status.since.isoformat() if status.since else None,
        "endpoints": [{"endpoint": k, "excess_usd_per_hour": json_money(v)} for k, v in status.endpoints],
    }


def anomaly_text(status: AnomalyStatus | None) -> str:
    if status is None:
        return ""
    if status.state == "learning" and status.starts_at is not None:
        return f"; anomaly detection starts {status.starts_at:%Y-%m-%d %H:%M %Z} (two weeks of ledger)"
    if status.state == "anomalous" and status.since is not None:
        names = ", ".join(k for k, _ in status.endpoints) or "no single endpoint"
        return (
            f"; SPEND ANOMALY since {status.since:%Y-%m-%d %H:%M %Z}: {dollars(status.rate_usd_per_hour)}/h against "
            f"a usual {dollars(status.baseline_usd_per_hour)}/h ({names})"
        )
    return f"; spend {dollars(status.rate_usd_per_hour)}/h, usually {dollars(status.baseline_usd_per_hour)}/h now"


def month_text(month: MonthPace | None) -> str:
    if month is None:
        return ""
    return (
        f"; month {dollars(month.spent_usd)} of {dollars(month.monthly_usd)}, forecast {dollars(month.forecast_usd)}"
        f" by month end, today's allowance {dollars(month.allowance_usd)} ({month.days_left} days left)"
    )


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
        "cold_start_usd": json_money(figures.cold_start_usd),
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
    cold = f"cold starts {dollars(figures.cold_start_usd)} ({figures.cold_start_seconds:.0f} s initialising)"
    return [f"  {measured}; {counted(figures.wakes_today, 'wake')} today, {cold}"]


def _seconds(value: float | None) -> float | None:
    return None if value is None else float(round(value, 1))
