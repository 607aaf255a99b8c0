"""The backtest's HTML report: one self-contained file (inline SVG and CSS, nothing fetched)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import timedelta, tzinfo
from pathlib import Path

from hfwarden.app.backtest import Backtest, Policy, PolicyResult

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


def chart(result: Backtest, policy: PolicyResult, first: int, zone: tzinfo | None) -> str:
    span = min(WEEK, result.minutes - first)
    demand = _means(result.demand[first : first + span])
    ready = _means([r * result.capacity_rpm for r in policy.ready[first : first + span]])
    top = max([*demand, *ready, 1.0]) * 1.05
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
        f"<td>{p.requests_rejected:,}</td></tr>"
        for p in result.policies
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("policy", "cost $", "vs oracle", "replica-h", "cold starts", "delayed", "delayed %", "rejected")
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1000px}
table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}
svg{width:100%;height:auto;font-size:11px;fill:#555}
.demand{fill:#f4a261;fill-opacity:.55;stroke:none}.ready{fill:none;stroke:#1d3557;stroke-width:1.4}
.key span{display:inline-block;width:1em;height:.7em;margin:0 .3em 0 1em}
"""


def render_report(result: Backtest, zone: tzinfo | None = None) -> str:
    first = typical_week(result.demand)
    week_start = (result.start + timedelta(minutes=first)).astimezone(zone)
    sections = "".join(
        f"<h2>{p.name.value}</h2><p>{p.cost_usd:,.2f} USD, {p.delayed_pct:.3f} % delayed, "
        f"{p.requests_rejected:,} rejected</p>"
        f"{chart(result, p, first, zone)}"
        for p in result.policies
        if p.ready
    )
    title = html.escape(f"Backtest of {result.endpoint}")
    return (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title><style>{STYLE}</style>"
        f"<h1>{title}</h1><p>{result.start.astimezone(zone):%Y-%m-%d %H:%M} to "
        f"{result.end.astimezone(zone):%Y-%m-%d %H:%M}, {result.minutes:,} minutes, {result.requests:,} requests, "
        f"{result.capacity_rpm:g} requests/minute per replica.</p>{_table(result)}"
        f"<h2>A typical week</h2><p>The week from {week_start:%a %d %b %Y} (median requests), in 15-minute means."
        f'<span class="key"><span style="background:#f4a261"></span>demand'
        f'<span style="background:#1d3557"></span>ready capacity</span></p>{sections}</html>\n'
    )


def write_report(path: Path, result: Backtest, zone: tzinfo | None = None) -> None:
    path.write_text(render_report(result, zone), encoding="utf-8")
