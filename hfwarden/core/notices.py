"""Notices before a stop: an `upcoming_stop` alert `notice` minutes before a scheduled pause or
scale-to-zero, with the choices people have (keep it up 1 h, 2 h, until the end of the day). Pure.

A notice is only for a stop still ahead (a stop already due is caught up without one), for an endpoint
that would notice it (up now, and not held past the stop), and once per stop: its alert's subject is
the stop's transition key, so the outbox's dedupe mark drops every repeat, across passes and restarts.
Links are signed here (`action_tokens`) when the daemon has a public URL and an action secret.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from hfwarden.core.action_tokens import Grant, GrantKind, sign
from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.endpoints import UP_STATES, Observation
from hfwarden.core.formats import dollars
from hfwarden.core.offers import ActionLinks, Choice, Notice
from hfwarden.core.records import Hold
from hfwarden.core.rules import ActionKind, EndpointSchedule, Transition, next_transition

STOP_KINDS = frozenset({ActionKind.PAUSE, ActionKind.SCALE_TO_ZERO})
SNOOZE_HOURS = (1, 2)
MAX_LOOKAHEAD = 50  # transitions searched for the next resume (a week of hourly rules and more)
NO_LINKS = "no snooze links: set HFWARDEN_PUBLIC_URL and HFWARDEN_ACTION_SECRET to get them"


def upcoming_stop(
    schedule: EndpointSchedule, observed: Observation | None, hold: Hold | None, *, now: datetime
) -> Transition | None:
    """The scheduled stop within the endpoint's notice period, or None (no notice, nothing up, or held past it)."""
    if schedule.notice is None or observed is None or observed.state not in UP_STATES:
        return None
    upcoming = next_transition(schedule, now)
    if upcoming is None or upcoming.action.kind not in STOP_KINDS or upcoming.at - now > schedule.notice:
        return None
    if hold is not None and hold.until > upcoming.at:
        return None
    return upcoming


def next_resume(schedule: EndpointSchedule, after: datetime) -> Transition | None:
    """The first transition after a stop that bills again (resume or scale), if any within reach."""
    moment = after
    for _ in range(MAX_LOOKAHEAD):
        found = next_transition(schedule, moment)
        if found is None:
            return None
        if found.action.kind not in STOP_KINDS:
            return found
        moment = found.at
    return None


def snooze_choices(stop: Transition, zone: ZoneInfo, links: ActionLinks | None) -> tuple[Choice, ...]:
    """Keep up 1 h, 2 h, and until the end of the stop's local day (when that is later still)."""
    local = stop.at.astimezone(zone)
    day_end = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    ends = [(f"keep up {hours} h", stop.at + timedelta(hours=hours)) for hours in SNOOZE_HOURS]
    if day_end > ends[-1][1]:
        ends.append(("keep up until the end of the day", day_end))
    choices = [
        Choice(label, GrantKind.HOLD, until, grant=Grant(GrantKind.HOLD, stop.endpoint, until, stop.key, until))
        for label, until in ends
    ]
    return tuple(choices) if links is None else tuple(signed_choice(c, links) for c in choices)


def signed_choice(choice: Choice, links: ActionLinks) -> Choice:
    """A choice with its link: the grant signed under the action secret."""
    if choice.grant is None or choice.token is not None:
        return choice
    token = sign(choice.grant, links.secret)
    return replace(choice, url=links.url(token), token=token)


def signed(alert: Alert, links: ActionLinks | None) -> Alert:
    """An alert whose notice offers choices, with their links (and Slack buttons); others unchanged."""
    if links is None or alert.notice is None or not alert.notice.choices:
        return alert
    choices = tuple(signed_choice(c, links) for c in alert.notice.choices)
    return replace(alert, notice=replace(alert.notice, choices=choices, buttons=links.slack_buttons))


def stop_notice(
    schedule: EndpointSchedule,
    stop: Transition,
    observed: Observation,
    *,
    price_per_hour: float | None,
    links: ActionLinks | None,
) -> Alert:
    """The `upcoming_stop` alert of one stop: endpoint, when (in its zone), why, what it saves, the choices."""
    zone = schedule.zone
    resume = next_resume(schedule, stop.at)
    saved = None
    if price_per_hour is not None and resume is not None:
        hours = (resume.at - stop.at).total_seconds() / 3600
        saved = max(observed.billed_replicas, 1) * price_per_hour * hours
    why = f"schedule rule {stop.rule.number} ({stop.action.describe()})"
    local = stop.at.astimezone(zone)
    until = "no resume scheduled"
    if resume is not None:
        until = f"the next resume at {resume.at.astimezone(zone):%a %H:%M %Z}"
    saves = f"saves {dollars(saved)} until {until}" if saved is not None else f"runs nothing until {until}"
    choices = snooze_choices(stop, zone, links)
    offer = "keep it up with a link below" if links is not None else NO_LINKS
    message = (
        f"{stop.endpoint}: {stop.action.kind.value} at {local:%H:%M %Z} ({local.isoformat()}) by {why}; "
        f"{saves}; {offer}"
    )
    notice = Notice(
        stop.at,
        str(zone),
        why,
        saved,
        resume.at if resume else None,
        choices,
        links is not None and links.slack_buttons,
    )
    subject = f"{stop.endpoint}@{stop.key}"
    return Alert(AlertKind.UPCOMING_STOP, subject, local.date(), message, endpoint=stop.endpoint, notice=notice)


def stop_notices(
    schedules: Sequence[EndpointSchedule],
    observations: Mapping[str, Observation],
    holds: Mapping[str, Hold],
    *,
    now: datetime,
    price_of: Callable[[str, Observation | None], float | None],
    links: ActionLinks | None,
) -> tuple[Alert, ...]:
    """Every `upcoming_stop` alert due now (the outbox drops the repeats of earlier passes)."""
    alerts = []
    for schedule in schedules:
        observed = observations.get(schedule.key)
        stop = upcoming_stop(schedule, observed, holds.get(schedule.key), now=now)
        if stop is None or observed is None:
            continue
        price = price_of(schedule.key, observed)
        alerts.append(stop_notice(schedule, stop, observed, price_per_hour=price, links=links))
    return tuple(alerts)
