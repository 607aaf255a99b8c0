"""An operator's release of a budget latch: what it will cost against the budget (the quote), and the
exemption, audit entry and alert that record it. Pure.

A release means something only if the guard does not stop the endpoint again on its next pass while
the projection is still over budget: so it becomes an exemption from that budget's guard until the
latch would have lifted anyway (the next budget day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.budget import Budget, EndpointCost, one_budget_review
from hfwarden.core.cost import usd
from hfwarden.core.formats import dollars, moment
from hfwarden.core.holds import describe as describe_hold
from hfwarden.core.records import AuditEntry, Exemption, Hold, HoldState, Latch
from hfwarden.core.rules import ActionKind, EndpointSchedule, latest_transition, next_transition


@dataclass(frozen=True, slots=True)
class AfterRelease:
    """What the passes after a release do with the endpoint, in words, and what that adds to the
    projection beyond the schedule's own transitions (an `enforce: true` resume from the next pass)."""

    sentence: str
    added_usd: float = 0.0


def after_release(
    schedule: EndpointSchedule | None,
    hold: Hold | None,
    *,
    price_per_hour: float,
    now: datetime,
    day_end: datetime,
) -> AfterRelease:
    """Release and enforce agree: the release lifts the latch and nothing else, so whatever decides
    the endpoint next (a hold, an enforced schedule, the next transition) does. This says which."""
    zone = schedule.zone if schedule is not None else None
    if hold is not None and hold.state != HoldState.PAUSED:
        return AfterRelease(f"its hold applies again from the next pass: {describe_hold(hold, zone)}")
    upcoming = next_transition(schedule, now) if schedule is not None else None
    then = (
        f"its next scheduled transition, {upcoming.action.describe()} at {moment(upcoming.at, zone)}"
        if upcoming is not None
        else "no scheduled transition"
    )
    latest = latest_transition(schedule, now) if schedule is not None else None
    if schedule is not None and schedule.enforce and latest is not None and latest.action.kind == ActionKind.RESUME:
        until = min(upcoming.at, day_end) if upcoming is not None else day_end
        replicas = max(latest.action.min_replicas or 0, 1)
        added = usd(replicas, price_per_hour, now, until) if until > now else 0.0
        return AfterRelease(
            f"enforce: true, so the next pass resumes it ({latest.action.describe()}, its schedule's state now), "
            f"billing again: +{dollars(added)} until {then}",
            added,
        )
    return AfterRelease(f"it stays stopped until {then}, or a manual resume")


@dataclass(frozen=True, slots=True)
class ReleaseQuote:
    """A budget's figures with the latch and with the endpoint exempt instead, as `status` projects them."""

    budget: str
    daily_usd: float
    spent_usd: float
    projected_latched_usd: float  # as things stand, the endpoint held stopped
    projected_released_usd: float  # the endpoint following its schedule again, exempt from the guard
    resume_now_usd: float  # the most a manual resume now adds by the end of the budget day (at its minimum)
    would_stop: tuple[str, ...]  # what the guard stops instead to hold the budget
    then: str = ""  # what happens to it next (`after_release`), already counted in projected_released_usd

    def describe(self) -> str:
        """One sentence for the command's output, the audit log and the alert."""
        text = (
            f"budget {self.budget}: spent {dollars(self.spent_usd)} of {dollars(self.daily_usd)}, projected "
            f"{dollars(self.projected_released_usd)} with it released (was {dollars(self.projected_latched_usd)}); "
            f"a manual resume now would add up to {dollars(self.resume_now_usd)} by the end of the budget day"
        )
        if self.would_stop:
            text += f"; to hold the budget the guard would stop {', '.join(self.would_stop)} instead"
        return text + (f"; {self.then}" if self.then else "")


def release_quote(
    budget: Budget,
    *,
    latched: list[EndpointCost],
    released: list[EndpointCost],
    resume_now_usd: float,
    now: datetime,
    then: AfterRelease | None = None,
) -> ReleaseQuote:
    """The quote from the budget's costs as they stand and with the endpoint exempt and unlatched
    (plus what `then` adds that the schedule's transitions do not count)."""
    before = one_budget_review(budget, latched, now=now)
    after = one_budget_review(budget, released, now=now)
    return ReleaseQuote(
        budget=budget.name,
        daily_usd=budget.daily_usd,
        spent_usd=after.statuses[0].spent_usd,
        projected_latched_usd=before.statuses[0].projected_usd,
        projected_released_usd=after.statuses[0].projected_usd + (then.added_usd if then else 0.0),
        resume_now_usd=resume_now_usd,
        would_stop=tuple(s.endpoint for s in after.stops),
        then=then.sentence if then else "",
    )


def released(latch: Latch, quote: ReleaseQuote | None, *, now: datetime) -> tuple[Exemption, AuditEntry, Alert]:
    """The records of an operator's release: the exemption until the latch's own end, an audit entry
    and a `latch_lifted` alert that say so, with the quote when there is one."""
    until = f"{latch.until:%Y-%m-%d %H:%M %Z}"
    message = f"{latch.endpoint}: released by an operator, exempt from budget {latch.budget} until {until}"
    detail = quote.describe() if quote is not None else "no quote: the budget is no longer configured"
    exemption = Exemption(latch.endpoint, latch.budget, now, latch.until, message)
    entry = AuditEntry(now, latch.endpoint, "release", message, "ok", f"hfwarden release; {detail}", False)
    alert = Alert(
        AlertKind.LATCH_LIFTED,
        latch.endpoint,
        now.date(),
        f"{message}; {detail}",
        budget=latch.budget,
        endpoint=latch.endpoint,
        daily_usd=quote.daily_usd if quote else None,
        spent_usd=quote.spent_usd if quote else None,
        projected_usd=quote.projected_released_usd if quote else None,
    )
    return exemption, entry, alert
