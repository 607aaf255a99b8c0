"""The status page and the `plan --html` file, as HTML strings. Self-contained: the stylesheet and the
refresh script are package data inlined into the page, so nothing is fetched from anywhere else and
the plan file opens from a pull request's artifacts as it is. Every value is escaped."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from html import escape
from typing import Any

from hfwarden.app.views.dayview import DayStrip, Mark, Span
from hfwarden.app.views.overview import Activity, BudgetView, EndpointView, Overview
from hfwarden.app.views.plan import DayPlan
from hfwarden.core.formats import json_money
from hfwarden.core.records import Latch
from hfwarden.web.markup import asset, attr, pct, usd

REFRESH_SECONDS = 30


def _document(title: str, body: str, *, refresh: int | None) -> str:
    """`refresh`: seconds between refreshes (the script, or a meta refresh without it); None: a file."""
    script = f"<script>{asset('page.js')}</script>" if refresh else ""
    noscript = f'<noscript><meta http-equiv="refresh" content="{refresh}"></noscript>' if refresh else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>{noscript}<style>{asset('page.css')}</style></head>"
        f"<body>{body}{script}</body></html>"
    )


def _clock(at: datetime) -> str:
    shown = at.astimezone(UTC)
    return f'<time datetime="{attr(at.isoformat())}">{shown:%Y-%m-%d %H:%M:%S} UTC</time>'


# -- budgets -------------------------------------------------------------------------------------------


def _figure(label: str, field: str, value: float | None) -> str:
    return f'<div><dt>{label}</dt><dd data-field="{field}" data-value="{attr(value)}">{usd(value)}</dd></div>'


def _bar(daily: float, spent: float | None, projected: float) -> str:
    """Spent (solid) inside projected (light), against the daily budget (a line)."""
    scale = max(daily, projected, spent or 0.0) or 1.0
    over = " over" if projected > daily else ""
    spent_part = "" if spent is None else f'<div class="bar-spent" style="width:{pct(spent / scale)}"></div>'
    label = f"{'' if spent is None else f'spent {usd(spent)}, '}projected {usd(projected)} of {usd(daily)}"
    return (
        f'<div class="bar{over}" role="img" aria-label="{attr(label)}">'
        f'<div class="bar-projected" style="width:{pct(projected / scale)}"></div>{spent_part}'
        f'<div class="bar-limit" style="left:{pct(daily / scale)}"></div></div>'
    )


def budget_card(view: BudgetView) -> str:
    f, guard = view.figures, view.guard
    stopped = f'<p class="reason">stopped: {escape(", ".join(guard.stopped))}</p>' if guard.stopped else ""
    step = "" if guard.step is None else f' <span class="step">step {escape(guard.step)}</span>'
    return (
        f'<article class="card budget" data-budget="{attr(f["name"])}" data-guard-state="{attr(guard.state)}" '
        f'data-step="{attr(guard.step or "")}">'
        f'<header><h3>{escape(f["name"])}</h3><span class="guard guard-{attr(guard.state.replace(" ", "-"))}" '
        f'title="on breach: {attr(guard.on_breach)}">{escape(guard.summary)}</span>{step}</header>'
        f"{_bar(f['daily_usd'], f['spent_usd'], f['projected_usd'])}"
        f'<dl class="figures">{_figure("daily", "daily_usd", f["daily_usd"])}'
        f"{_figure('spent', 'spent_usd', f['spent_usd'])}{_figure('projected', 'projected_usd', f['projected_usd'])}"
        f"{_figure('headroom', 'headroom_usd', f['headroom_usd'])}</dl>"
        f'<p class="zone">day: midnight to midnight {escape(view.zone)}</p>{_month(f)}{_anomaly(f)}{stopped}</article>'
    )


def _anomaly(f: Mapping[str, Any]) -> str:
    """The budget's spend-anomaly detector, when it has one: when it starts, or the episode under way."""
    anomaly = f.get("anomaly")
    if not anomaly:
        return ""
    if anomaly["state"] == "learning":
        return (
            f'<p class="zone" data-anomaly="learning">anomaly detection starts {escape(anomaly["starts_at"][:16])}</p>'
        )
    if anomaly["state"] == "anomalous":
        names = ", ".join(e["endpoint"] for e in anomaly["endpoints"]) or "no single endpoint"
        return (
            f'<p class="reason" data-anomaly="anomalous">spend anomaly since {escape(anomaly["since"][:16])}: '
            f"{usd(anomaly['rate_usd_per_hour'])}/h, usually {usd(anomaly['baseline_usd_per_hour'])}/h "
            f"({escape(names)})</p>"
        )
    return ""


def _month(f: Mapping[str, Any]) -> str:
    """A monthly budget's month: to date, forecast to the month's end, today's allowance."""
    if f.get("monthly_usd") is None:
        return ""
    return (
        f'<dl class="figures month">{_figure("month to date", "month_spent_usd", f["month_spent_usd"])}'
        f"{_figure('month forecast', 'month_forecast_usd', f['month_forecast_usd'])}"
        f"{_figure('monthly', 'monthly_usd', f['monthly_usd'])}"
        f"{_figure('allowance today', 'allowance_usd', f['allowance_usd'])}</dl>"
    )


# -- the strip -------------------------------------------------------------------------------------------


def _spans(spans: Iterable[Span]) -> str:
    return "".join(
        f'<div class="span {attr(s.kind)}" style="left:{pct(s.start)};width:{pct(s.end - s.start)}" '
        f'title="{attr(s.label)}"></div>'
        for s in spans
        if s.end > s.start
    )


def _marks(marks: Iterable[Mark], css: str) -> str:
    return "".join(
        f'<div class="{css}" style="left:{pct(m.position)}" title="{attr(m.label)}"></div>'
        for m in marks
        if m.position is not None
    )


def _latch_span(view: DayStrip, latch: Latch | None) -> str:
    """A latch overrides the plan: hatched over the scheduled lane, from the stop to the lift."""
    if latch is None:
        return ""
    start, end = view.fraction(latch.latched_at), view.fraction(latch.until)
    if end <= start:
        return ""
    return (
        f'<div class="span latched" style="left:{pct(start)};width:{pct(end - start)}" '
        f'title="{attr("latched: " + latch.reason)}"></div>'
    )


def strip(view: DayStrip, *, observed: bool, latch: Latch | None = None) -> str:
    """Scheduled states (a latch over them), observed billing (on the page), hour ticks, the
    transitions and "now"."""
    now = "" if view.now is None else f'<div class="now" style="left:{pct(view.now)}" title="now"></div>'
    seen = (
        f'<div class="lane observed"><span class="lane-name">seen</span>'
        f'<div class="track">{_spans(view.observed)}</div></div>'
        if observed
        else ""
    )
    ticks = "".join(
        f'<span class="tick" style="left:{pct(m.position)}">{escape(m.label)}</span>'
        for m in view.ticks
        if m.position is not None
    )
    summary = "; ".join(m.label for m in view.transitions) or "no transition"
    return (
        f'<div class="strip" data-day="{view.day.isoformat()}" data-zone="{attr(view.zone)}" role="img" '
        f'aria-label="{attr(f"{view.day} in {view.zone}: {summary}")}">'
        f'<div class="lane scheduled"><span class="lane-name">plan</span><div class="track">'
        f"{_spans(view.scheduled)}{_latch_span(view, latch)}{_marks(view.transitions, 'transition')}</div></div>{seen}"
        f'<div class="overlay">{now}</div><div class="ticks">{ticks}</div></div>'
    )


def _next(view: DayStrip, now: datetime | None) -> str:
    following = view.next_transition
    if following is None:
        return f'<p class="next">next transition: none scheduled · {escape(view.zone)} time</p>'
    wait = ""
    if now is not None:
        minutes = max(int((following.at - now).total_seconds() // 60), 0)
        wait = f" (in {minutes // 60} h {minutes % 60:02d} min)" if minutes >= 60 else f" (in {minutes} min)"
    return (
        f'<p class="next">next: <span class="next-transition">{escape(following.label)}</span>{wait} · '
        f"{escape(view.zone)} time</p>"
    )


# -- endpoints -----------------------------------------------------------------------------------------


def _badges(view: EndpointView) -> str:
    badges = []
    if view.latch is not None:
        badges.append(
            f'<span class="badge latch" title="{attr(view.latch.reason)}">latched: {escape(view.latch.action)} '
            f"by budget {escape(view.latch.budget)}</span>"
        )
    if view.hold is not None:
        badges.append(f'<span class="badge hold">{escape(view.hold)}</span>')
    if view.failed:
        badges.append('<span class="badge failed">failing</span>')
    if not view.declared:
        badges.append('<span class="badge undeclared" title="counted in budgets, priority 0">in no schedule</span>')
    return "".join(badges)


def _reasons(view: EndpointView) -> str:
    lines = []
    if view.latch is not None:
        until = view.latch.until.astimezone(UTC)
        lines.append(
            f'<p class="reason latch-reason">{escape(view.latch.reason)}; held until {until:%Y-%m-%d %H:%M} UTC '
            "or <code>hfwarden release</code></p>"
        )
    if view.failed:
        lines.append(f'<p class="reason failed-reason">{escape(view.failed)}</p>')
    return "".join(lines)


def write_tools(view: EndpointView) -> str:
    """Hold and release buttons (the page's script sends them to the write API with the UI token)."""
    key = view.figures["endpoint"]
    buttons = [
        f'<button type="button" data-write="hold" data-until="{hours}h">Keep up {hours} h</button>' for hours in (1, 2)
    ]
    if view.hold is not None:
        buttons.append('<button type="button" data-write="unhold">Lift hold</button>')
    if view.latch is not None:
        buttons.append('<button type="button" data-write="release">Release</button>')
    return (
        f'<div class="write" data-write-endpoint="{attr(key)}">{"".join(buttons)}'
        '<span class="write-result" role="status"></span></div>'
    )


def endpoint_row(view: EndpointView, now: datetime, *, writable: bool = False) -> str:
    f = view.figures
    state = f["state"] or "missing"
    price = "unknown" if f["price_per_hour"] is None else f"${f['price_per_hour']:.3f}/h"
    return (
        f'<article class="card endpoint" data-endpoint="{attr(f["endpoint"])}" data-state="{attr(state)}" '
        f'data-latched="{"true" if f["latched"] else "false"}">'
        f'<header><h3>{escape(f["endpoint"])}</h3><span class="state state-{attr(state)}">{escape(state)}</span>'
        f"{_badges(view)}</header>{_reasons(view)}"
        f'<dl class="figures small"><div><dt>replicas</dt><dd data-field="billed_replicas">'
        f"{f['billed_replicas']}</dd></div><div><dt>price</dt><dd>{price}</dd></div>"
        f"{_figure('spent', 'spent_usd', f['spent_usd'])}{_figure('projected', 'projected_usd', f['projected_usd'])}"
        f"</dl>{strip(view.strip, observed=True, latch=view.latch)}{_next(view.strip, now)}"
        f"{write_tools(view) if writable else ''}</article>"
    )


# -- activity ------------------------------------------------------------------------------------------


def activity_table(items: Iterable[Activity]) -> str:
    rows = "".join(
        f'<tr class="kind-{attr(a.kind)}"><td data-label="when">{_clock(a.at)}</td>'
        f'<td data-label="what">{escape(a.what)}{" (dry run)" if a.dry_run else ""}</td>'
        f'<td data-label="subject">{escape(a.subject)}</td><td data-label="result">{escape(a.result)}</td>'
        f'<td data-label="why">{escape(a.reason)}</td></tr>'
        for a in items
    )
    if not rows:
        return '<p class="empty">No action taken and no alert raised yet.</p>'
    return (
        '<table class="activity"><thead><tr><th>when</th><th>what</th><th>endpoint / budget</th>'
        f"<th>result</th><th>why</th></tr></thead><tbody>{rows}</tbody></table>"
    )


LEGEND = (
    '<p class="legend"><span class="key up"></span>running <span class="key zero"></span>scaled to zero '
    '<span class="key down"></span>paused / not billing <span class="key none"></span>no schedule '
    '<span class="key latched"></span>latched by a budget '
    '<span class="key now-key"></span>now</p>'
)


def summary(status: dict[str, Any]) -> str:
    """The day in one line, summed from the status document's own rows."""
    rows = status["endpoints"]
    billing = sum(1 for r in rows if r["billed_replicas"] > 0)
    latched = sum(1 for r in rows if r["latched"])
    spent = sum(r["spent_usd"] or 0.0 for r in rows)
    projected = sum(r["projected_usd"] or 0.0 for r in rows)
    return (
        f'<p class="summary" id="summary"><strong>{len(rows)}</strong> endpoints: <strong>{billing}</strong> billing '
        f"now, <strong>{latched}</strong> latched, <strong>{len(status['failed'])}</strong> failing · spent today "
        f"<strong>{usd(spent)}</strong>, projected <strong>{usd(projected)}</strong> "
        f'<span class="note">{ENDPOINT_DAY}</span></p>'
    )


# One definition of "projected" (spent + what it bills to the end of a day, holds until they end,
# then the schedule); only the day differs between the views, so each view names its day.
ENDPOINT_DAY = "(each endpoint to the end of its own day, in its zone)"
BUDGET_DAY = "projected to the end of each budget's day, in the budget's zone, over the endpoints in its scope"

FILTER = (
    '<div class="tools"><input id="filter" type="search" placeholder="Filter endpoints by name" '
    'aria-label="Filter endpoints by name" autocomplete="off"></div>'
)


def teams_section(teams: Iterable[Mapping[str, Any]]) -> str:
    """Month to date per team (the UTC month), when endpoints name their teams."""
    rows = "".join(
        f'<tr data-team="{attr(t["team"])}"><th scope="row">{escape(t["team"])}</th>'
        f'<td data-field="month_spent_usd" data-value="{attr(t["month_spent_usd"])}">'
        f"{usd(t['month_spent_usd'])}</td></tr>"
        for t in teams
    )
    if not rows:
        return ""
    return (
        '<section id="teams"><h2>Month to date by team</h2><table class="teams"><thead><tr><th scope="col">team</th>'
        f'<th scope="col">spent this month</th></tr></thead><tbody>{rows}</tbody></table></section>'
    )


def render_overview(overview: Overview, *, refresh_seconds: int = REFRESH_SECONDS, buttons: bool = False) -> str:
    """`buttons`: the write API is on (a UI token is set), so each endpoint gets hold/release buttons."""
    failed = overview.status["failed"]
    trouble = f'<p class="banner">{len(failed)} failing: {escape(", ".join(sorted(failed)))}</p>' if failed else ""
    budgets = "".join(budget_card(b) for b in overview.budgets) or '<p class="empty">No budget configured.</p>'
    endpoints = "".join(endpoint_row(e, overview.now, writable=buttons) for e in overview.endpoints)
    mode = "hold/release buttons" if buttons else "read-only"
    body = (
        '<header class="top"><h1>hfwarden</h1><p class="meta">last pass '
        f'<span id="as-of">{_clock(datetime.fromisoformat(overview.status["as_of"]))}</span> · page '
        f"{_clock(overview.now)} · refreshes every {refresh_seconds} s · {mode} · "
        '<a href="api/v1">API</a></p><p id="stale" class="banner" hidden></p></header>'
        f'{FILTER}<main id="content" data-refresh="{refresh_seconds}">{summary(overview.status)}{trouble}'
        f'<section id="budgets"><h2>Budgets today</h2><p class="note">{BUDGET_DAY}</p>'
        f'<div class="grid">{budgets}</div></section>'
        f"{teams_section(overview.status.get('teams') or [])}"
        f'<section id="endpoints"><h2>Endpoints ({len(overview.endpoints)})</h2>{LEGEND}{endpoints}</section>'
        f'<section id="activity"><h2>Latest actions and alerts</h2>{activity_table(overview.activity)}</section>'
        "</main>"
    )
    return _document("hfwarden status", body, refresh=refresh_seconds)


def render_waiting() -> str:
    body = (
        '<header class="top"><h1>hfwarden</h1></header><main id="content" data-refresh="5">'
        '<p class="empty">Starting: the first pass has not completed yet.</p></main>'
    )
    return _document("hfwarden status", body, refresh=5)


def render_plan(plan: DayPlan, strips: Iterable[DayStrip], *, now: datetime, sources: Iterable[str]) -> str:
    """`plan --html`: the day's strips from the schedules alone, with what they cost against budgets."""
    budgets = "".join(
        f'<article class="card budget" data-budget="{attr(b.budget.name)}"><header><h3>{escape(b.budget.name)}'
        f'</h3><span class="guard guard-{"over" if b.over_budget else "ok"}">'
        f"{'schedules alone pass it' if b.over_budget else 'ok'}</span></header>"
        f"{_bar(b.budget.daily_usd, None, b.projected_usd)}"
        f'<dl class="figures">{_figure("daily", "daily_usd", json_money(b.budget.daily_usd))}'
        f"{_figure('scheduled cost', 'projected_usd', json_money(b.projected_usd))}</dl>"
        + (f'<p class="reason">unpriced: {escape(", ".join(b.unpriced))}</p>' if b.unpriced else "")
        + "</article>"
        for b in plan.budgets
    )
    rows = "".join(_plan_row(s, plan.costs.get(s.endpoint)) for s in strips)
    body = (
        f'<header class="top"><h1>hfwarden plan for {plan.day.isoformat()}</h1><p class="meta">from '
        f"{escape(', '.join(sources))} · written {_clock(now)} · each endpoint on its own local day</p></header>"
        f'<main id="content"><section id="budgets"><h2>Budgets</h2><div class="grid">{budgets}</div></section>'
        f'<section id="endpoints"><h2>Endpoints</h2>{LEGEND}{rows or "<p class=empty>No endpoint.</p>"}</section>'
        "</main>"
    )
    return _document(f"hfwarden plan {plan.day.isoformat()}", body, refresh=None)


def _plan_row(view: DayStrip, cost: float | None) -> str:
    changes = "".join(f"<li>{escape(m.label)}</li>" for m in view.transitions) or "<li>no transition</li>"
    return (
        f'<article class="card endpoint" data-endpoint="{attr(view.endpoint)}"><header><h3>'
        f'{escape(view.endpoint)}</h3><span class="zone">{escape(view.zone)}</span></header>'
        f'<dl class="figures small">{_figure("scheduled cost", "projected_usd", json_money(cost))}</dl>'
        f'{strip(view, observed=False)}<ul class="changes">{changes}</ul></article>'
    )
