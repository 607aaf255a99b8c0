"""Timed holds (break-glass): placing one, what it costs, what it asks of the endpoint, its expiry. Pure.

A hold keeps an endpoint in one state until it expires, whatever its schedule says meanwhile (the
transitions are recorded as suppressed, as under a latch). At expiry the schedule's state for that
moment is applied as an edge, even without `enforce`: the expiry records a marker as the endpoint's
last applied transition, so the schedule's latest transition is "not yet applied" and the ordinary
catch-up carries it out, across waits and restarts alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time, timedelta, tzinfo
from typing import assert_never
from zoneinfo import ZoneInfo

from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.cost import future_cost, through_schedule, usd
from hfwarden.core.endpoints import EndpointState, Observation
from hfwarden.core.formats import dollars, moment, signed_dollars
from hfwarden.core.platform.billing import replicas_after
from hfwarden.core.records import AppliedTransition, AuditEntry, Hold, HoldState, Records
from hfwarden.core.rules import Action, ActionKind, EndpointSchedule, latest_transition
from hfwarden.core.windows import parse_duration_minutes

MAX_HOLD = timedelta(days=7)
EXPIRED_MARKER = "hold-expired"
CLOCK_TIME = re.compile(r"^\d{1,2}:\d{2}$")
DURATION = re.compile(r"^(?:\d+h)?(?:\d+m)?$")


def hold_until(text: str, *, now: datetime, zone: ZoneInfo) -> datetime:
    """`20:00` (its next occurrence in `zone`), `2h`/`90m`/`1h30m` (from now) or an ISO date-time (in
    `zone` if it has no offset); ValueError if it is not after now or more than 7 days ahead."""
    text = text.strip()
    if CLOCK_TIME.match(text):
        hours, minutes = (int(p) for p in text.split(":"))
        if hours > 23 or minutes > 59:
            raise ValueError(f"--until {text!r} is not a time of day")
        local = now.astimezone(zone)
        until = datetime.combine(local.date(), time(hours, minutes), tzinfo=zone)
        if until <= local:  # 08:00 typed at 21:00 means tomorrow morning
            until = datetime.combine(local.date() + timedelta(days=1), time(hours, minutes), tzinfo=zone)
    elif text and DURATION.match(text):
        until = now + timedelta(minutes=parse_duration_minutes(text))
    else:
        try:
            until = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"--until {text!r} is not HH:MM, a duration like 2h or an ISO date-time") from None
        if until.tzinfo is None:
            until = until.replace(tzinfo=zone)
    # What was typed, then what it means in the endpoint's zone: `200h` alone says nothing of when.
    if until <= now:
        raise ValueError(f"--until {text} ({moment(until, zone)}) is in the past")
    if until - now > MAX_HOLD:
        raise ValueError(f"--until {text} ({moment(until, zone)}) is more than 7 days ahead (at most 168h)")
    return until


def resolved_state(state: str, observed: Observation | None) -> HoldState:
    """`running`, `paused`, or `current` read from the observation at placement."""
    if state != "current":
        return HoldState(state)
    if observed is None:
        raise ValueError("--state current needs the endpoint to be observed")
    match observed.state:
        case EndpointState.PAUSED:
            return HoldState.PAUSED
        case EndpointState.SCALED_TO_ZERO:
            return HoldState.SCALED_TO_ZERO
        case EndpointState.RUNNING | EndpointState.INITIALIZING | EndpointState.UPDATING | EndpointState.PENDING:
            return HoldState.RUNNING
        case _:
            raise ValueError(f"--state current: the endpoint is {observed.state}; say running or paused")


def hold_action(hold: Hold) -> Action:
    """What keeping the hold asks of the endpoint, as a schedule action would."""
    match hold.state:
        case HoldState.RUNNING:
            return Action(ActionKind.RESUME, hold.min_replicas, hold.max_replicas)
        case HoldState.PAUSED:
            return Action(ActionKind.PAUSE)
        case HoldState.SCALED_TO_ZERO:
            return Action(ActionKind.SCALE_TO_ZERO)
        case _:
            assert_never(hold.state)


def describe(hold: Hold, zone: tzinfo | None = None) -> str:
    """`running (min=1, max=2) until 2026-01-05 20:00 CET`, as reasons and lists show it (in `zone`,
    the endpoint's, when given)."""
    action = hold_action(hold).describe()
    state = hold.state.value + (action[len(action.split("(")[0]) :] if "(" in action else "")
    return f"{state} until {moment(hold.until, zone)}"


def held_because(hold: Hold, zone: tzinfo | None = None) -> str:
    """`held running until 2026-01-05 20:00 CET, over budget (demo)`: the status line and the page's badge."""
    why = f" ({hold.reason})" if hold.reason else ""
    extra = ", over budget" if hold.over_budget else ""
    return f"held {describe(hold, zone)}{extra}{why}"


def hold_placed(hold: Hold, quote: str, *, now: datetime) -> Records:
    """The records of placing a hold: the hold, its audit entry and its `hold_placed` alert."""
    message = f"{hold.endpoint}: {held_because(hold)}; {quote}"
    if hold.over_budget:
        message += "; placed --over-budget: the guard will not stop it, its cost is accepted"
    entry = AuditEntry(now, hold.endpoint, "hold", message, "ok", placed_by(hold), False)
    subject = f"{hold.endpoint}@{hold.placed_at.isoformat()}"
    alert = Alert(AlertKind.HOLD_PLACED, subject, now.date(), message, endpoint=hold.endpoint)
    return Records(audit=(entry,), alerts=(alert,), add_holds=(hold,))


def placed_by(hold: Hold) -> str:
    """`hfwarden hold` for the CLI; `link`, `slack @maria`, `api ci-bot`: where a hold came from, and who."""
    if hold.source == "cli":
        return "hfwarden hold"
    return f"{hold.source} {hold.placed_by}".strip()


def hold_removed(hold: Hold, *, now: datetime, why: str) -> Records:
    """A hold ending (expired or lifted by `unhold`): removed, audited, alerted, and a marker as its
    endpoint's last applied transition so that its schedule's state is applied next (an edge)."""
    message = f"{hold.endpoint}: hold ({describe(hold)}) ended: {why}; its schedule's state applies"
    entry = AuditEntry(now, hold.endpoint, "hold_expired", message, "ok", why, False)
    subject = f"{hold.endpoint}@{hold.until.isoformat()}"
    alert = Alert(AlertKind.HOLD_EXPIRED, subject, now.date(), message, endpoint=hold.endpoint)
    marker = AppliedTransition(hold.endpoint, f"{EXPIRED_MARKER}@{now.isoformat()}", now)
    return Records(applied=(marker,), audit=(entry,), alerts=(alert,), remove_holds=(hold.endpoint,))


def holds_at(holds: Mapping[str, Hold], *, now: datetime) -> tuple[dict[str, Hold], Records, set[str]]:
    """Holds still holding at `now`, the records of those that expired, and which endpoints they were."""
    holding: dict[str, Hold] = {}
    records = Records()
    for key, hold in holds.items():
        if now < hold.until:
            holding[key] = hold
        else:
            records += hold_removed(hold, now=now, why="expired")
    return holding, records, set(holds) - set(holding)


def held_replicas(hold: Hold, observed: Observation | None) -> int:
    """Replicas the held state bills: running keeps at least its minimum (and what it bills now)."""
    if hold.state != HoldState.RUNNING:
        return 0
    floor = hold.min_replicas if hold.min_replicas is not None else (observed.min_replica if observed else 1)
    return max(floor, 1, observed.billed_replicas if observed else 0)


def held_future_cost(
    hold: Hold,
    schedule: EndpointSchedule | None,
    observed: Observation | None,
    *,
    now: datetime,
    day_end: datetime,
    price_per_hour: float,
) -> float:
    """An endpoint's cost from now to `day_end` with the hold: its held replicas until it expires,
    then the schedule's state at that moment and the schedule's transitions after it."""
    end = min(hold.until, day_end)
    total = usd(held_replicas(hold, observed), price_per_hour, now, end) if end > now else 0.0
    if hold.until >= day_end:
        return total
    if schedule is None:  # nobody's schedule: as it is now
        return total + usd(held_replicas(hold, observed), price_per_hour, hold.until, day_end)
    replicas, before = 0, latest_transition(schedule, hold.until)
    if before is not None:
        action = before.action
        replicas = replicas_after(
            action.kind.value, action.min_replicas, action.max_replicas, running=True, current=0, conservative=False
        )
    # The same walk as the projection's, the endpoint taken as running (the hold kept it up).
    return total + through_schedule(
        schedule,
        replicas,
        start=hold.until,
        billed_from=hold.until,
        end=day_end,
        price_per_hour=price_per_hour,
        conservative=False,
        running=True,
    )


def hold_extra_cost(
    hold: Hold,
    schedule: EndpointSchedule | None,
    observed: Observation | None,
    *,
    now: datetime,
    day_end: datetime,
    price_per_hour: float,
) -> float:
    """What the hold adds to the day's projection over what the schedule alone would cost."""
    with_hold = held_future_cost(hold, schedule, observed, now=now, day_end=day_end, price_per_hour=price_per_hour)
    without = future_cost(schedule, observed, now=now, day_end=day_end, price_per_hour=price_per_hour)
    return with_hold - without


def hold_quote(hold: Hold, extra_usd: float, budgets: list[tuple[str, float, float]], *, zone: ZoneInfo) -> str:
    """`keeps acme/chat running until 20:00: +$9.60; budget acme-prod projected $141.20 of $150`.

    `budgets` are (name, projected with the hold, daily) for every budget covering the endpoint."""
    local_until = hold.until.astimezone(zone)
    same_day = local_until.date() == hold.placed_at.astimezone(zone).date()
    until = f"{local_until:%H:%M} {local_until.tzname()}" if same_day else moment(local_until)
    parts = [f"keeps {hold.endpoint} {hold.state.value} until {until}: {signed_dollars(extra_usd)}"]
    for name, projected, daily in budgets:
        over = "; over budget" if projected > daily else ""
        parts.append(
            f"budget {name} projected {dollars(projected)} of {dollars(daily, grouped=True, whole=True)}{over}"
        )
    return "; ".join(parts)
