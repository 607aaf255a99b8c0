"""What the status page shows, gathered once per request: the `status` document of the daemon's last
pass (the very numbers `status --json` prints, not a second computation), each endpoint's day strip,
latches, and the latest actions and alerts. Also the `/api/v1` documents that read the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hfwarden.adapters.prices import PriceBook
from hfwarden.adapters.sinks.document import TITLES
from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.ledger import Ledger
from hfwarden.app.reconcile.report import PassReport
from hfwarden.app.views.dayview import DayStrip, StripCache, day_strip
from hfwarden.app.views.plan import DayPlan, plan_day
from hfwarden.app.views.status import status_document
from hfwarden.config import Config
from hfwarden.core.alerts import AlertKind
from hfwarden.core.budget import BreachAction, Budget
from hfwarden.core.cost import OpenSegment, Segment
from hfwarden.core.formats import moment
from hfwarden.core.holds import held_because
from hfwarden.core.records import Latch

ACTIVITY = 50  # actions and alerts on the page
# Every zone's today began less than this before now (UTC+14 at 23:59, on a 25-hour day).
TODAY_REACH = timedelta(hours=26)
FRACTIONS = (AlertKind.SPENT_THRESHOLD, AlertKind.PROJECTED_THRESHOLD)
STOP_VERBS = {BreachAction.PAUSE: "paused", BreachAction.SCALE_TO_ZERO: "scaled to zero"}


@dataclass(frozen=True, slots=True)
class Guard:
    """Where a budget's guard stands. `step` names the escalation step in force; budgets have one step
    today (`on_breach`), so it is None until a ladder gives them several."""

    on_breach: str
    state: str  # ok | over | alert only
    step: str | None
    stopped: tuple[str, ...]
    summary: str


@dataclass(frozen=True, slots=True)
class BudgetView:
    figures: dict[str, Any]  # the budget's row of the status document
    zone: str
    guard: Guard


@dataclass(frozen=True, slots=True)
class EndpointView:
    figures: dict[str, Any]  # the endpoint's row of the status document
    strip: DayStrip
    latch: Latch | None
    failed: str | None
    declared: bool
    hold: str | None = None  # the hold in force, in words (`held running until ... CET (why)`)


@dataclass(frozen=True, slots=True)
class Activity:
    at: datetime
    kind: str  # action | alert
    subject: str
    what: str
    result: str
    reason: str
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class Overview:
    status: dict[str, Any]
    now: datetime
    budgets: tuple[BudgetView, ...]
    endpoints: tuple[EndpointView, ...]
    activity: tuple[Activity, ...]


def guard_of(budget: Budget, figures: dict[str, Any], latches: Sequence[Latch]) -> Guard:
    stopped = tuple(sorted(latch.endpoint for latch in latches if latch.budget == budget.name))
    over = figures["projected_usd"] > figures["daily_usd"]
    if budget.on_breach == BreachAction.ALERT_ONLY:
        state, summary = "alert only", "alert only" + (": over" if over else "")
    elif stopped:
        state, summary = "over", f"over: {STOP_VERBS[budget.on_breach]} {len(stopped)}"
    else:
        state, summary = ("over", "over") if over else ("ok", "ok")
    rung = figures.get("step")  # the status document's ladder step (None without a ladder or below it)
    step = None if rung is None else f"{rung['step']}: {rung['action']} at {rung['at']:.0%}"
    return Guard(budget.on_breach.value, state, step, stopped, summary)


def _sort_key(view: EndpointView) -> tuple[int, float, str]:
    """Trouble first (latched, failing), then the biggest projected spend: what a reader looks for."""
    attention = 0 if view.latch is not None or view.failed else 1
    return attention, -(view.figures["projected_usd"] or 0.0), view.figures["endpoint"]


def build_overview(
    report: PassReport,
    config: Config,
    store: Store,
    *,
    now: datetime,
    ledger: Ledger | None = None,
    cache: StripCache | None = None,
) -> Overview:
    """The page's content as of `now`, from the last pass and the store. `ledger`: the daemon's own
    (in memory, what the pass computed from) instead of reading the segments back from the store."""
    document = status_document(report)
    latches = store.latches()
    by_name = {b.name: b for b in config.budgets}
    budgets = tuple(
        BudgetView(row, by_name[row["name"]].zone.key, guard_of(by_name[row["name"]], row, list(latches.values())))
        for row in document["budgets"]
        if row["name"] in by_name  # a budget removed by a reload since the pass
    )
    closed, current = _today_ledger(store, ledger, now)
    endpoints = []
    for row in document["endpoints"]:
        key = row["endpoint"]
        schedule = config.endpoint(key)
        strip = day_strip(
            key, schedule, day=None, now=now, segments=closed.get(key, ()), current=current.get(key), cache=cache
        )
        hold = report.holds.get(key)
        shown = f"{held_because(hold, schedule.zone if schedule else None)} ({hold.source})" if hold else None
        endpoints.append(
            EndpointView(row, strip, latches.get(key), report.failed.get(key), schedule is not None, hold=shown)
        )
    return Overview(document, now, budgets, tuple(sorted(endpoints, key=_sort_key)), tuple(activity(store, ACTIVITY)))


def _today_ledger(
    store: Store, ledger: Ledger | None, now: datetime
) -> tuple[dict[str, list[Segment]], dict[str, OpenSegment]]:
    if ledger is not None:
        # Copies of the dicts, each made whole under the GIL: a pass may be folding observations in
        # meanwhile. A list it appends to is read once, by iteration, by `observed_spans`.
        return dict(ledger.closed), dict(ledger.open)
    return _ledger_by_endpoint(store, now - TODAY_REACH), store.open_segments()


def _ledger_by_endpoint(store: Store, since: datetime) -> dict[str, list[Segment]]:
    found: dict[str, list[Segment]] = {}
    for segment in store.segments_since(since):
        found.setdefault(segment.endpoint, []).append(segment)
    return found


def alert_parts(dedupe_key: str) -> tuple[str, str, str, str]:
    """`kind|subject|threshold|day[|stepN]` (core.alerts) into its parts; a subject may hold a `|`."""
    kind, _, rest = dedupe_key.partition("|")
    head, bar, last = rest.rpartition("|")
    if bar and last.startswith("step") and last[4:].isdigit():
        rest = head
    parts = rest.rsplit("|", 2)
    if len(parts) < 3:
        return kind, rest, "", ""
    return kind, parts[0], parts[1], parts[2]


ALERT_WHY = {
    AlertKind.SPENT_THRESHOLD: "spent passed {threshold} of the daily budget",
    AlertKind.PROJECTED_THRESHOLD: "projected spend passed {threshold} of the daily budget",
    AlertKind.GUARD_ACTION: "the guard stopped {stopped}",
    AlertKind.BURN_RATE: "burning more than ${threshold}/h",
    AlertKind.REPLICA_CAP: "more than {threshold} replicas billed",
    AlertKind.LATCH_LIFTED: "its budget latch was lifted: released by an operator, or the budget's new day",
    AlertKind.ENDPOINT_FAILED: "failed or updateFailed, or an action on it failed after retries (see the actions)",
    AlertKind.UNKNOWN_PRICE: "no price known for its instance: counted at $0 until one is set under pricing:",
    AlertKind.LATCH_OVERRIDDEN: "resumed by hand while a budget latch held it: stopped again",
    AlertKind.DRIFT: "its state left what its schedule wants for longer than drift_after",
    AlertKind.HOLD_PLACED: "an operator placed a hold{when}",
    AlertKind.HOLD_EXPIRED: "its hold{when} ended (expired or lifted): its schedule applies again",
    AlertKind.STATE_LOST: "the state store was lost or replaced: the daemon stopped acting",
    AlertKind.NOT_READY: "not running at the start of its ready-by window ({detail})",
    AlertKind.THRASH: "woke from zero {threshold} times or more in an hour, or its cold starts cost more than "
    "a warm replica",
    AlertKind.SPEND_ANOMALY: "spend stayed well above its usual level for the hour of the week",
    AlertKind.UPCOMING_STOP: "a stop or ladder step is coming: announced, with the choices to keep it up or decide",
}
CAP_LIFTED = "its ladder cap was lifted: released by an operator, or the budget's new day"


def _subject_parts(subject: str) -> tuple[str, str, str]:
    """An alert subject as (who, detail after `:`, time after `@`): `budget:a,b`, `ns/name:rule 2`,
    `ns/name:cap`, `ns/name@2026-12-06T02:00:00+00:00`."""
    who, at, when = subject.partition("@")
    who, _, detail = who.partition(":")
    if not at:
        return who, detail, ""
    try:
        return who, detail, moment(datetime.fromisoformat(when).astimezone(UTC))
    except ValueError:
        return who, detail, when


def _alert_item(at: datetime, dedupe_key: str) -> Activity:
    """An alert as the page lists it. The marks keep its kind, subject and threshold (the message went
    to the sinks), which is enough to say what happened in words."""
    kind, subject, threshold, _day = alert_parts(dedupe_key)
    who, detail, when = _subject_parts(subject)
    try:
        known = AlertKind(kind)
    except ValueError:
        return Activity(at, "alert", who, kind, "raised", "")
    shown = f"{float(threshold):.0%}" if threshold and known in FRACTIONS else threshold
    if known == AlertKind.LATCH_LIFTED and detail == "cap":
        return Activity(at, "alert", who, TITLES[known], "raised", CAP_LIFTED)
    when_text = f" (until {when})" if known == AlertKind.HOLD_EXPIRED and when else f" at {when}" if when else ""
    why = ALERT_WHY[known].format(threshold=shown, stopped=detail, detail=detail, when=when_text)
    return Activity(at, "alert", who, TITLES[known], "raised", why)


def activity(store: Store, limit: int) -> list[Activity]:
    """The latest `limit` actions and alerts, newest first: the audit log and the alerts raised."""
    items = [
        Activity(
            e.at, "action", e.endpoint, e.action, e.result, e.reason + (f" ({e.detail})" if e.detail else ""), e.dry_run
        )
        # Newest first before sorting: entries of one instant then stay in the order they were written.
        for e in reversed(store.audit_entries(limit=limit))
    ]
    items += [_alert_item(at, key) for at, key in store.raised_alerts(limit)]
    return sorted(items, key=lambda a: a.at, reverse=True)[:limit]


def audit_document(store: Store, limit: int) -> dict[str, Any]:
    """`/api/v1/audit`: the latest `limit` audit entries and alerts raised, newest first."""
    return {
        "limit": limit,
        "entries": [
            {
                "at": e.at.isoformat(),
                "endpoint": e.endpoint,
                "action": e.action,
                "reason": e.reason,
                "result": e.result,
                "detail": e.detail,
                "dry_run": e.dry_run,
            }
            for e in reversed(store.audit_entries(limit=limit))
        ],
        "alerts": [_alert_row(at, key) for at, key in store.raised_alerts(limit)],
    }


def _alert_row(at: datetime, dedupe_key: str) -> dict[str, Any]:
    kind, subject, threshold, day = alert_parts(dedupe_key)
    return {"at": at.isoformat(), "kind": kind, "subject": subject, "threshold": _number(threshold), "day": day}


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def stored_plan(store: Store, config: Config, *, day: date | None, now: datetime) -> DayPlan:
    """`plan` for the daemon's `/api/v1/plan`: priced as `hfwarden plan` prices, from its open store."""
    prices = PriceBook(store=store, overrides=config.pricing)
    last_prices = {k: o.price_per_hour for k, o in store.open_segments().items()}
    return plan_day(config, prices=prices, last_prices=last_prices, day=day, now=now)
