"""Schedules that re-learn themselves: the `learn:` plan of an endpoint, when a proposal may be
adopted, and how far the demand a schedule was learnt for is from what came. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from hfwarden.core.rules import ActionKind, EndpointSchedule, latest_transition
from hfwarden.core.windows import WINDOW, parse_minute_of_day, window_days

SPAN = re.compile(r"^\s*(?:(?P<w>\d+)w)?\s*(?:(?P<d>\d+)d)?\s*(?:(?P<h>\d+)h)?\s*(?:(?P<m>\d+)m)?\s*$")
MINUTES = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "m": 1}
# How long forecast error must stay over `drift_error` before a `forecast_drift` alert.
DRIFT_HOLDS_FOR = timedelta(days=2)
# A window is checked every this many minutes of the week it covers.
WINDOW_PROBE_MINUTES = 15


def parse_span(text: str) -> timedelta:
    """`6w`, `7d`, `1d12h`, `90m`: a span of whole minutes, at least one."""
    match = SPAN.match(str(text))
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"{text!r} is not a duration like 6w, 7d, 12h or 30m")
    minutes = sum(int(value) * MINUTES[unit] for unit, value in match.groupdict().items() if value)
    if minutes < 1:
        raise ValueError(f"{text!r} is shorter than a minute")
    return timedelta(minutes=minutes)


class LearnMode(StrEnum):
    ADVISE = "advise"  # propose, alert, wait for `hfwarden adopt`
    ADOPT = "adopt"  # apply when it beats the current schedule and keeps what it must


class ProposalStatus(StrEnum):
    OPEN = "open"
    ADOPTED = "adopted"
    DISMISSED = "dismissed"
    REVERTED = "reverted"
    SUPERSEDED = "superseded"  # the file's entry changed: the file wins
    REFUSED = "refused"  # adopt mode found it worse, or it broke `keep`
    REPLACED = "replaced"  # a newer proposal for the endpoint came before anyone decided


@dataclass(frozen=True, slots=True)
class Proposal:
    """One learning cycle's schedule for an endpoint, with its figures (JSON-ready) and fate."""

    id: int
    endpoint: str
    version: int
    created_at: datetime
    status: ProposalStatus
    mode: LearnMode
    schedule_yaml: str
    file_fingerprint: str
    figures: dict[str, Any]
    decided_at: datetime | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class KeptWindow:
    """A declared `window:` rule: while it is on, the endpoint runs with at least `min_replicas`."""

    window: str
    zone: ZoneInfo
    min_replicas: int

    def covers(self, at: datetime) -> bool:
        match = WINDOW.match(self.window)
        assert match is not None  # validated when the file was read
        days = window_days(match.group("days"))  # cron numbering: 0 = Sunday
        start, end = parse_minute_of_day(match.group("start")), parse_minute_of_day(match.group("end"))
        local = at.astimezone(self.zone)
        minute, cron_day = local.hour * 60 + local.minute, (local.weekday() + 1) % 7
        if start < end:
            return cron_day in days and start <= minute < end
        yesterday = (cron_day - 1) % 7  # an overnight window belongs to the day it starts
        return (cron_day in days and minute >= start) or (yesterday in days and minute < end)


@dataclass(frozen=True, slots=True)
class Keep:
    windows: bool = True
    min_replicas: int = 0


@dataclass(frozen=True, slots=True)
class LearnPlan:
    """An endpoint's `learn:` block, compiled."""

    endpoint: str  # `ns/name`, or for a `match:` entry its `ns/glob` label
    every: timedelta
    capacity_rpm: float
    prometheus: str | None = None  # URL; None with `history: true`
    query: str | None = None  # template with {namespace} {name}
    history: bool = False
    since: timedelta = timedelta(weeks=6)
    holdout_weeks: int = 2
    mode: LearnMode = LearnMode.ADVISE
    max_failed_pct: float = 0.5
    keep: Keep = Keep()
    cold_start_minutes: int = 5
    drift_error: float = 0.5
    windows: tuple[KeptWindow, ...] = ()  # the entry's declared windows, for `keep: {windows: true}`
    where: str = ""  # file:line of the block


@dataclass(frozen=True, slots=True)
class Figures:
    """A schedule replayed on the held-out weeks."""

    cost_usd: float
    failed_pct: float


def broken_keep(proposal: EndpointSchedule, plan: LearnPlan, *, start: datetime) -> str | None:
    """Why the proposal breaks `keep` over the week from `start` (a declared window not running with
    its replicas, or a running stretch under the floor), or None."""
    for step in range(0, 7 * 24 * 60, WINDOW_PROBE_MINUTES):
        at = start + timedelta(minutes=step)
        current = latest_transition(proposal, at)
        action = current.action if current is not None else None
        running = action is not None and action.kind in (ActionKind.RESUME, ActionKind.SCALE)
        floor = (action.min_replicas or 0) if action is not None and running else 0
        for window in plan.windows if plan.keep.windows else ():
            if window.covers(at) and (not running or floor < window.min_replicas):
                local = at.astimezone(window.zone)
                return f"drops the declared window {window.window!r} (at {local:%a %H:%M} it would not run)"
        if running and floor < plan.keep.min_replicas:
            return f"goes below keep.min_replicas {plan.keep.min_replicas} (min {floor} at {at:%a %H:%M} UTC)"
    return None


def adoption_refusal(current: Figures, proposed: Figures, broken: str | None, max_failed_pct: float) -> str | None:
    """Why adopt mode must not apply a proposal, or None: it must cost less on the held-out weeks, fail
    no more requests than the schedule in force (or, when that one fails fewer, stay within
    `max_failed_pct`: a schedule that never fails because it never stops is no bar), and keep what
    `keep` keeps."""
    if broken is not None:
        return broken
    if proposed.cost_usd >= current.cost_usd:
        return f"not cheaper: ${proposed.cost_usd:.2f} against ${current.cost_usd:.2f} on the held-out weeks"
    if proposed.failed_pct > max(current.failed_pct, max_failed_pct) + 1e-9:
        return (
            f"fails more requests: {proposed.failed_pct:.3f} % against {current.failed_pct:.3f} % "
            f"(max_failed_pct {max_failed_pct:g})"
        )
    return None


def hourly_profile(demand: Sequence[int], known: Sequence[bool], hours_of_week: Sequence[int]) -> list[float]:
    """Mean requests per hour for each hour of the week (168 values), from known minutes only."""
    totals, counts = [0.0] * 168, [0] * 168
    for requests, seen, hour in zip(demand, known, hours_of_week, strict=True):
        if seen:
            totals[hour] += requests
            counts[hour] += 1
    return [60.0 * t / c if c else 0.0 for t, c in zip(totals, counts, strict=True)]


def forecast_error(expected: Sequence[float], actual: Sequence[tuple[int, float]]) -> float | None:
    """Mean absolute percentage error of hourly demand: `actual` is (hour of week, requests in that
    hour); hours where neither side saw traffic are left out. None with nothing to compare."""
    errors = []
    for hour, came in actual:
        forecast = expected[hour]
        if came <= 0 and forecast <= 0:
            continue
        errors.append(abs(came - forecast) / max(came, 1.0))
    return sum(errors) / len(errors) if errors else None


def over_since(previous: datetime | None, error: float | None, threshold: float, *, now: datetime) -> datetime | None:
    """Since when the forecast error has been over `threshold` without a break (None: it is not)."""
    if error is None or error <= threshold:
        return None
    return previous or now


def is_drifting(since: datetime | None, *, now: datetime) -> bool:
    """Over the threshold for two days: a `forecast_drift` alert."""
    return since is not None and now - since >= DRIFT_HOLDS_FOR


def stale_for_adoption(
    chosen: Proposal, file_fingerprint: str, others: Sequence[Proposal], broken: str | None
) -> str | None:
    """Why a human's `adopt` of `chosen` would put in force what its figures no longer back, or None:
    the file's entry changed since it was learnt (its figures compare against a schedule no longer
    in the file, and the daemon would supersede it at once), a proposal learnt from later demand is
    open or in force, or it breaks the file's `keep`."""
    if not file_fingerprint:
        return f"the schedule file no longer schedules {chosen.endpoint}"
    if chosen.file_fingerprint != file_fingerprint:
        return (
            f"the schedule file's entry for {chosen.endpoint} changed since proposal {chosen.id} was learnt: "
            "its figures compare against a schedule no longer in the file"
        )
    learnt_to = _data_to(chosen)
    for other in others:
        other_to = _data_to(other)
        standing = other.status in (ProposalStatus.OPEN, ProposalStatus.ADOPTED)
        if other.id != chosen.id and standing and other_to is not None and (learnt_to is None or other_to > learnt_to):
            return (
                f"proposal {other.id} ({other.status.value}) was learnt from later demand (to {other_to:%Y-%m-%d %H:%M}"
                f" UTC) than proposal {chosen.id}"
            )
    return broken


def _data_to(proposal: Proposal) -> datetime | None:
    """The end of the demand a proposal was learnt from (stored as ISO 8601 in its figures)."""
    text = proposal.figures.get("data_to")
    return datetime.fromisoformat(text).astimezone(UTC) if isinstance(text, str) and text else None
