"""Spend: ledger arithmetic and the projection of a day's cost. Pure.

The ledger is a list of segments, each a stretch of time during which an endpoint billed a fixed
number of replicas at a fixed price. An observation either extends the open segment or closes it
at the moment the change happened and opens the next one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from hfwarden.core.endpoints import EndpointState, Observation
from hfwarden.core.platform.autoscaling import DEFAULT_SCALE_TO_ZERO_TIMEOUT
from hfwarden.core.platform.billing import billed_usd, replicas_after
from hfwarden.core.rules import ActionKind, EndpointSchedule, latest_transition, transitions_between

HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class Segment:
    """`replicas` billed at `price_per_hour` from `start` to `end`. `gap`: hfwarden was not watching.
    `estimated`: billed before hfwarden first saw the endpoint, from a bound (see `billed_since`)."""

    endpoint: str
    start: datetime
    end: datetime
    replicas: int
    price_per_hour: float
    gap: bool = False
    estimated: bool = False

    @property
    def usd(self) -> float:
        return usd(self.replicas, self.price_per_hour, self.start, self.end)


@dataclass(frozen=True, slots=True)
class OpenSegment:
    """The current stretch of an endpoint, known up to `observed_at`."""

    endpoint: str
    start: datetime
    observed_at: datetime
    state: str
    replicas: int
    price_per_hour: float
    gap: bool = False

    def as_segment(self) -> Segment:
        return Segment(self.endpoint, self.start, self.observed_at, self.replicas, self.price_per_hour, self.gap)


def usd(replicas: int, price_per_hour: float, start: datetime, end: datetime) -> float:
    seconds = (end - start).total_seconds()
    return replicas * price_per_hour * seconds / HOUR if seconds > 0 else 0.0


def advance_ledger(
    current: OpenSegment | None,
    observed: Observation,
    *,
    at: datetime,
    price_per_hour: float,
    gap_after: timedelta,
    day_start: datetime | None = None,
) -> tuple[list[Segment], OpenSegment]:
    """Fold one observation into an endpoint's ledger; returns closed segments and the new open one.

    On first sight (`current` None) of an endpoint that bills, what it billed before is estimated
    from `day_start` (the earliest start of the day under way in any zone that judges it), as
    `billed_since` says, and closed as one `estimated` segment.

    Where the change happened between two observations:
    - at `status.updatedAt` when it lies between them (hfwarden's own actions are observed through
      the API's answer, whose `updatedAt` is the action's time);
    - a start of billing seen only once the endpoint is already `running` or `updating` is placed at
      the previous observation: the `initializing` that came first was billed too, and when it began
      is unknown, so the ledger errs towards the higher bill;
    - otherwise an increase at the previous observation, a decrease at this one (the higher bill).
    A stretch longer than `gap_after` without observations is flagged as a gap: the last observed
    state is held until the change, as above.
    """
    replicas = observed.billed_replicas
    if current is None:
        opened = OpenSegment(observed.key, at, at, observed.state, replicas, price_per_hour)
        since = billed_since(observed, at=at, day_start=day_start)
        if since >= at:
            return [], opened
        return [Segment(observed.key, since, at, replicas, price_per_hour, estimated=True)], opened
    if at < current.observed_at:
        return [], current  # out of order: what is known already is newer
    gap = at - current.observed_at > gap_after
    if replicas == current.replicas and price_per_hour == current.price_per_hour:
        return [], replace(current, observed_at=at, state=observed.state, gap=current.gap or gap)
    change = _change_time(current, observed, at, replicas)
    closed = [
        Segment(current.endpoint, current.start, change, current.replicas, current.price_per_hour, current.gap or gap)
    ]
    opened = OpenSegment(current.endpoint, change, at, observed.state, replicas, price_per_hour, gap=False)
    return [s for s in closed if s.end > s.start], opened


def billed_since(observed: Observation, *, at: datetime, day_start: datetime | None) -> datetime:
    """Since when to bill an endpoint seen for the first time at `at` (hfwarden just installed, or a
    new state store): the later of `day_start` and the endpoint's `createdAt`, if it bills now.

    Why not later: the API says when an endpoint was created and when it last changed, not when its
    current run began. A running endpoint has billed at least since it came up, which is before its
    `updatedAt` (initializing came first, for an unknown time) and may be long before it (an update,
    a human's resume yesterday): the only safe lower bound is `createdAt`. So the ledger errs high
    on day one, by at most the time before the endpoint last came up, never low. Nothing before
    `day_start` matters to a day that is still open. An endpoint that bills nothing starts at `at`.
    """
    if observed.billed_replicas == 0 or day_start is None:
        return at
    since = max(day_start, observed.created_at) if observed.created_at is not None else day_start
    return min(since, at)


def _change_time(current: OpenSegment, observed: Observation, at: datetime, replicas: int) -> datetime:
    started_unseen = (
        current.replicas == 0
        and replicas > 0
        and observed.state in (EndpointState.RUNNING, EndpointState.UPDATING)
        and current.state not in (EndpointState.RUNNING, EndpointState.UPDATING, EndpointState.INITIALIZING)
    )
    if started_unseen:
        return current.observed_at
    if current.observed_at < observed.updated_at <= at:
        return observed.updated_at
    return current.observed_at if replicas > current.replicas else at


def spend_between(segments: list[Segment], start: datetime, end: datetime) -> float:
    """Dollars the segments bill for the minutes beginning in [start, end), per minute as the platform
    bills (core/platform/billing.py): a minute is charged whole, at the most replicas seen in it.
    Each endpoint is billed on its own, as its own minutes."""
    by_endpoint: dict[str, list[Segment]] = {}
    for segment in segments:
        by_endpoint.setdefault(segment.endpoint, []).append(segment)
    return sum(billed_usd(own, start, end) for own in by_endpoint.values())


def watched_since(segments: Iterable[Segment]) -> datetime | None:
    """Since when hfwarden has watched an endpoint: the earliest segment it observed itself (not an
    `estimated` one from before its first look); None if none."""
    return min((s.start for s in segments if not s.estimated), default=None)


# -- projection -------------------------------------------------------------------------------------


def future_cost(
    schedule: EndpointSchedule | None,
    observed: Observation | None,
    *,
    now: datetime,
    day_end: datetime,
    price_per_hour: float,
    conservative: bool = False,
    latched: bool = False,
) -> float:
    """What an endpoint will bill from `now` to `day_end`: what it bills now, held until its next
    scheduled transition, then its scheduled states. A latched endpoint bills nothing more today,
    unless traffic woke it at minimum 0 (a scale-to-zero latch): then until its idle timeout."""
    if now >= day_end:
        return 0.0
    if latched:
        return _woken_cost(observed, now=now, day_end=day_end, price_per_hour=price_per_hour)
    replicas = observed.billed_replicas if observed else 0
    if observed is not None and observed.state == EndpointState.PENDING:
        replicas = max(observed.min_replica, 1)  # not billed yet, but about to be
    if conservative and observed is not None and replicas > 0:
        replicas = max(replicas, observed.max_replica)
    if schedule is None:
        return usd(replicas, price_per_hour, now, day_end)
    return through_schedule(
        schedule,
        replicas,
        start=now + timedelta(microseconds=1),
        billed_from=now,
        end=day_end,
        price_per_hour=price_per_hour,
        conservative=conservative,
    )


def _woken_cost(observed: Observation | None, *, now: datetime, day_end: datetime, price_per_hour: float) -> float:
    """A latched endpoint that bills at minimum 0 (woken by traffic): its replicas until it idles."""
    if observed is None or observed.min_replica != 0 or observed.billed_replicas == 0:
        return 0.0
    idle = observed.scale_to_zero_timeout or DEFAULT_SCALE_TO_ZERO_TIMEOUT
    return usd(observed.billed_replicas, price_per_hour, now, min(day_end, now + timedelta(minutes=idle)))


def through_schedule(
    schedule: EndpointSchedule,
    replicas: int,
    *,
    start: datetime,
    billed_from: datetime,
    end: datetime,
    price_per_hour: float,
    conservative: bool,
    running: bool | None = None,
) -> float:
    """Dollars from `billed_from` to `end`, starting at `replicas` and following the schedule's
    transitions in [start, end). `running`: whether a `scale` finds the endpoint running (default:
    while it bills)."""
    total, since = 0.0, billed_from
    for transition in transitions_between(schedule, start, end):
        total += usd(replicas, price_per_hour, since, max(since, transition.at))
        action = transition.action
        replicas = replicas_after(
            action.kind.value,
            action.min_replicas,
            action.max_replicas,
            running=replicas > 0 if running is None else running,
            current=replicas,
            conservative=conservative,
        )
        since = max(since, transition.at)
    return total + usd(replicas, price_per_hour, since, end)


def hourly_burn(observed: Observation | None, price_per_hour: float) -> float:
    return (observed.billed_replicas if observed else 0) * price_per_hour


def scheduled_cost(
    schedule: EndpointSchedule,
    *,
    day_start: datetime,
    day_end: datetime,
    price_per_hour: float,
    conservative: bool = False,
) -> float:
    """What a schedule alone costs over a day: the state its latest earlier transition left, then its
    transitions (for `plan`, which observes nothing)."""
    before = latest_transition(schedule, day_start - timedelta(microseconds=1))
    replicas = 0
    if before is not None:
        action = before.action
        replicas = replicas_after(
            action.kind.value,
            action.min_replicas,
            action.max_replicas,
            running=action.kind != ActionKind.PAUSE,
            current=max(action.min_replicas or 1, 1),
            conservative=conservative,
        )
    return through_schedule(
        schedule,
        replicas,
        start=day_start,
        billed_from=day_start,
        end=day_end,
        price_per_hour=price_per_hour,
        conservative=conservative,
    )
