"""The backtest's HTML report: one self-contained file (inline SVG and CSS, nothing fetched)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import timedelta, tzinfo

from hfwarden.app.predict.backtest import Backtest, Policy, PolicyResult

WEEK = 7 * 24 * 60
BUCKET = 15  # minutes per plotted point: 672 points a week
WIDTH, HEIGHT = 960, 180


def typical_week(demand: Sequence[int]) -> int:
    """Start minute of the whole week (from the trace's start) with the median number of requests;
    the whole trace when it is shorter than two weeks."""
    weeks = len(demand) // WEEK
    if weeks < 2:
        return 0
    totals = sorted((sum(demand[w * WEEK : (w + 1) * WEEK]), w) for w in range(weeks))
    return totals[len(totals) // 2][1] * WEEK


def _means(series: Sequence[float]) -> list[float]:
    return [sum(series[i : i + BUCKET]) / len(series[i : i + BUCKET]) for i in range(0, len(series), BUCKET)]


def _points(values: list[float], top: float) -> str:
    step = WIDTH / max(1, len(values) - 1)
    return " ".join(f"{i * step:.1f},{HEIGHT - HEIGHT * v / top:.1f}" for i, v in enumerate(values))


def shared_top(result: Backtest, first: int) -> float:
    """One y-scale for every policy's chart, so their capacity lines compare at a glance."""
    span = min(WEEK, result.minutes - first)
    tops = [max(_means(result.demand[first : first + span]), default=0.0)]
    for policy in result.policies:
        if policy.ready:
            tops.append(max(_means(policy.ready[first : first + span]), default=0.0) * result.capacity_rpm)
    return max([*tops, 1.0]) * 1.05


def chart(result: Backtest, policy: PolicyResult, first: int, zone: tzinfo | None, top: float | None = None) -> str:
    span = min(WEEK, result.minutes - first)
    demand = _means(result.demand[first : first + span])
    ready = _means([r * result.capacity_rpm for r in policy.ready[first : first + span]])
    top = top or max([*demand, *ready, 1.0]) * 1.05
    days = "".join(
        f'<text x="{WIDTH * d * 1440 / span:.0f}" y="{HEIGHT + 14}">'
        f"{(result.start + timedelta(minutes=first + d * 1440)).astimezone(zone):%a %d %b}</text>"
        for d in range(span // 1440 + (span % 1440 > 0))
    )
    return (
        f'<svg viewBox="0 -4 {WIDTH} {HEIGHT + 22}" role="img" aria-label="{policy.name.value}">'
        f'<polygon class="demand" points="0,{HEIGHT} {_points(demand, top)} {WIDTH},{HEIGHT}"/>'
        f'<polyline class="ready" points="{_points(ready, top)}"/>{days}'
        f'<text x="4" y="10">{top:.0f} req/min</text></svg>'
    )


def _table(result: Backtest) -> str:
    oracle = next((p.cost_usd for p in result.policies if p.name == Policy.ORACLE), 0.0)
    rows = "".join(
        f"<tr><td>{p.name.value}</td><td>{p.cost_usd:,.2f}</td>"
        f"<td>{p.cost_usd / oracle if oracle else 0:.2f}×</td><td>{p.replica_hours:,.1f}</td>"
        f"<td>{p.cold_starts}</td><td>{p.requests_delayed:,}</td><td>{p.delayed_pct:.3f}</td>"
        f"<td>{p.requests_late:,}</td><td>{p.requests_rejected:,}</td><td>{p.failed_pct:.3f}</td>"
        f"<td>{p.wait_p99_s:,.0f}</td></tr>"
        for p in result.policies
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "policy", "cost $", "vs oracle", "replica-h", "cold starts", "delayed", "delayed %", "late",
            "rejected", "failed %", "wait p99 s",
        )
    )  # fmt: skip
    return f"<table><tr>{head}</tr>{rows}</table>"


STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1000px}
table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}
svg{width:100%;height:auto;font-size:11px;fill:#555}
.demand{fill:#f4a261;fill-opacity:.55;stroke:none}.ready{fill:none;stroke:#1d3557;stroke-width:1.4}
.key span{display:inline-block;width:1em;height:.7em;margin:0 .3em 0 1em}
"""


def headline(p: PolicyResult) -> str:
    """Cost and every way a request can fail, never the delay alone."""
    return (
        f"{p.cost_usd:,.2f} USD, {p.failed_pct:.3f} % failed: {p.requests_rejected:,} rejected "
        f"({p.rejected_pct:.3f} %), {p.requests_late:,} late, {p.delayed_pct:.3f} % delayed"
    )


def cost_against_failed(result: Backtest) -> str:
    """Every policy as a point: cost (x) against failed % (y)."""
    points = [p for p in result.policies]
    most_cost = max([p.cost_usd for p in points] + [1e-9]) * 1.1
    most_failed = max([p.failed_pct for p in points] + [1e-9]) * 1.1
    dots = "".join(
        f'<circle cx="{WIDTH * p.cost_usd / most_cost:.1f}" cy="{HEIGHT - HEIGHT * p.failed_pct / most_failed:.1f}" '
        f'r="4"/><text x="{WIDTH * p.cost_usd / most_cost + 6:.1f}" '
        f'y="{HEIGHT - HEIGHT * p.failed_pct / most_failed - 4:.1f}">{p.name.value}</text>'
        for p in points
    )
    return (
        f'<svg viewBox="-10 -10 {WIDTH + 120} {HEIGHT + 40}" role="img" aria-label="cost against failed">'
        f'<line x1="0" y1="{HEIGHT}" x2="{WIDTH}" y2="{HEIGHT}" stroke="#999"/>'
        f'<line x1="0" y1="0" x2="0" y2="{HEIGHT}" stroke="#999"/>{dots}'
        f'<text x="{WIDTH - 200}" y="{HEIGHT + 24}">cost, up to {most_cost:,.2f} USD</text>'
        f'<text x="4" y="-2">failed %, up to {most_failed:.3f}</text></svg>'
    )


def render_report(result: Backtest, zone: tzinfo | None = None) -> str:
    first = typical_week(result.demand)
    week_start = (result.start + timedelta(minutes=first)).astimezone(zone)
    top = shared_top(result, first)
    sections = "".join(
        f"<h2>{p.name.value}</h2><p>{headline(p)}</p>{chart(result, p, first, zone, top)}"
        for p in result.policies
        if p.ready
    )
    title = html.escape(f"Backtest of {result.endpoint}")
    return (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title><style>{STYLE}</style>"
        f"<h1>{title}</h1><p>{result.start.astimezone(zone):%Y-%m-%d %H:%M} to "
        f"{result.end.astimezone(zone):%Y-%m-%d %H:%M}, {result.minutes:,} minutes, {result.requests:,} requests, "
        f"{result.capacity_rpm:g} requests/minute per replica.</p>{_table(result)}"
        f"<h2>Cost against failed requests</h2><p>Failed: rejected, or served later than the SLO.</p>"
        f"{cost_against_failed(result)}"
        f"<h2>A typical week</h2><p>The week from {week_start:%a %d %b %Y} (median requests), in 15-minute means."
        f'<span class="key"><span style="background:#f4a261"></span>demand'
        f'<span style="background:#1d3557"></span>ready capacity</span></p>{sections}</html>\n'
    )
