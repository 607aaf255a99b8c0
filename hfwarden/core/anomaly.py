"""Spend anomalies: a spend rate that stays well above its usual level for the hour of the week,
whether or not a budget is near. Pure: segments, the time and the rule are arguments.

- The baseline is learnt from the ledger: for each of the 168 hours of the week (in the budget's
  zone), the mean spend rate of that hour over the last four weeks, the last day left out (so that
  an episode under way does not teach itself). A Monday-morning peak is in Monday morning's baseline.
- Nothing is judged before the ledger holds two weeks (`LEARNING`): until then the detector says
  when it will start.
- An episode is the longest stretch ending now during which the budget's billed rate stayed at or
  above `factor` × the baseline of each moment's hour (and `min_usd_per_hour`, and above nothing). It is an anomaly
  once it has lasted `sustained`; its start names it, so each episode is alerted once.
- The endpoints driving it are those billing more than their own baseline, by the most first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.cost import Segment

LEARNING = timedelta(days=14)  # history needed before anything is judged
LEARN_FROM = timedelta(days=28)  # how far back the baseline looks
LEFT_OUT = timedelta(days=1)  # the most recent stretch the baseline does not learn from
LOOK_BACK = timedelta(days=1)  # the longest episode followed back
HOUR = timedelta(hours=1)
HOURS_OF_WEEK = 168
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

Piece = tuple[datetime, datetime, float]  # from, to, dollars an hour


@dataclass(frozen=True, slots=True)
class AnomalyRule:
    """`anomaly: {factor: 2, for: 30m}` on a budget."""

    factor: float = 2.0
    sustained: timedelta = timedelta(minutes=30)
    min_usd_per_hour: float = 0.0


@dataclass(frozen=True, slots=True)
class AnomalyStatus:
    """What a budget's detector says this pass: `learning` (until `starts_at`), `watching` or `anomalous`."""

    state: str
    starts_at: datetime | None = None
    rate_usd_per_hour: float = 0.0  # now
    baseline_usd_per_hour: float = 0.0  # for this hour of the week
    since: datetime | None = None  # the episode's start
    endpoints: tuple[tuple[str, float], ...] = ()  # drivers and their excess, dollars an hour


def hour_of_week(at: datetime, zone: ZoneInfo) -> int:
    local = at.astimezone(zone)
    return local.weekday() * 24 + local.hour


def _floor_hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def rate_pieces(segments: Iterable[Segment], start: datetime, end: datetime) -> list[Piece]:
    """The billed rate of all `segments` together over [start, end), as constant pieces."""
    changes: dict[datetime, float] = {start: 0.0, end: 0.0}
    for s in segments:
        first, last = max(s.start, start), min(s.end, end)
        if last > first and s.replicas * s.price_per_hour > 0:
            changes[first] = changes.get(first, 0.0) + s.replicas * s.price_per_hour
            changes[last] = changes.get(last, 0.0) - s.replicas * s.price_per_hour
    pieces: list[Piece] = []
    rate = 0.0
    for here, there in pairwise(sorted(changes)):
        rate += changes[here]
        pieces.append((here, there, max(rate, 0.0)))
    return pieces


def _by_hour(pieces: Sequence[Piece]) -> Iterable[Piece]:
    """The pieces cut at every hour boundary (UTC hours: whole-hour zones share them)."""
    for start, end, rate in pieces:
        cursor = start
        while cursor < end:
            cut = min(end, _floor_hour(cursor) + HOUR)
            yield cursor, cut, rate
            cursor = cut


def learn(segments: Iterable[Segment], *, start: datetime, end: datetime, zone: ZoneInfo) -> tuple[float, ...]:
    """Mean dollars an hour for each hour of the week over the whole hours in [start, end)."""
    first, last = _floor_hour(start) + (HOUR if start != _floor_hour(start) else timedelta(0)), _floor_hour(end)
    spent, seen = [0.0] * HOURS_OF_WEEK, [0] * HOURS_OF_WEEK
    slot = first
    while slot < last:
        seen[hour_of_week(slot, zone)] += 1
        slot += HOUR
    if last <= first:
        return tuple(spent)
    for piece_start, piece_end, rate in _by_hour(rate_pieces(segments, first, last)):
        spent[hour_of_week(piece_start, zone)] += rate * (piece_end - piece_start) / HOUR
    return tuple(total / count if count else 0.0 for total, count in zip(spent, seen, strict=True))


def episode_start(
    pieces: Sequence[Piece], baseline: Sequence[float], rule: AnomalyRule, zone: ZoneInfo
) -> datetime | None:
    """The start of the stretch ending with the last piece during which the rate stayed above its
    line; None if the rate is not above it now."""
    since = None
    for start, _end, rate in reversed(list(_by_hour(pieces))):
        line = max(rule.factor * baseline[hour_of_week(start, zone)], rule.min_usd_per_hour)
        if rate <= 0 or rate < line:  # a doubled rate with `factor: 2` counts
            break
        since = start
    return since


def _mean_rate(segments: Iterable[Segment], start: datetime, end: datetime) -> float:
    return sum(r * (b - a) / HOUR for a, b, r in rate_pieces(segments, start, end)) / ((end - start) / HOUR)


def watch(
    rule: AnomalyRule,
    zone: ZoneInfo,
    segments: Mapping[str, Sequence[Segment]],
    *,
    now: datetime,
    history_start: datetime | None,
) -> AnomalyStatus:
    """A budget's detector over the segments of the endpoints in its scope."""
    if history_start is None or now - history_start < LEARNING:
        return AnomalyStatus("learning", starts_at=(history_start or now) + LEARNING)
    learn_from, learn_to = max(history_start, now - LEARN_FROM), now - LEFT_OUT
    every = [s for own in segments.values() for s in own]
    baseline = learn(every, start=learn_from, end=learn_to, zone=zone)
    # Up to the last observation (this pass's, a moment before `now`): not a gap of nothing at the end.
    seen_to = min(now, max((s.end for s in every), default=now))
    pieces = rate_pieces(every, seen_to - LOOK_BACK, seen_to)
    rate_now = pieces[-1][2] if pieces else 0.0
    base_now = baseline[hour_of_week(now, zone)]
    since = episode_start(pieces, baseline, rule, zone)
    if since is None or now - since < rule.sustained:
        return AnomalyStatus("watching", rate_usd_per_hour=rate_now, baseline_usd_per_hour=base_now)
    window = max(since, seen_to - rule.sustained)
    drivers = []
    for key, own in segments.items():
        usual = learn(own, start=learn_from, end=learn_to, zone=zone)[hour_of_week(now, zone)]
        excess = _mean_rate(own, window, seen_to) - usual
        if excess > 0:
            drivers.append((key, excess))
    drivers.sort(key=lambda d: (-d[1], d[0]))
    return AnomalyStatus("anomalous", None, rate_now, base_now, since, tuple(drivers))


def anomaly_alert(budget: str, status: AnomalyStatus, zone: ZoneInfo) -> Alert | None:
    """`spend_anomaly`, once per episode (its start is in the alert's subject)."""
    if status.state != "anomalous" or status.since is None:
        return None
    local = status.since.astimezone(zone)
    usual = (
        f"{status.rate_usd_per_hour / status.baseline_usd_per_hour:.1f} times the usual "
        f"${status.baseline_usd_per_hour:.2f}/h"
        if status.baseline_usd_per_hour > 0
        else "where nothing is usually spent"
    )
    hour = hour_of_week(status.since, zone)
    drivers = ", ".join(f"{key} (+${excess:.2f}/h)" for key, excess in status.endpoints[:5]) or "no single endpoint"
    message = (
        f"{budget}: spending ${status.rate_usd_per_hour:.2f}/h since {local:%H:%M} "
        f"({DAY_NAMES[hour // 24]}), {usual} for that hour of the week; driven by {drivers}"
    )
    first = status.endpoints[0][0] if status.endpoints else None
    return Alert(
        AlertKind.SPEND_ANOMALY,
        f"{budget}:{status.since.astimezone(zone):%Y-%m-%dT%H:%M}",
        local.date(),
        message,
        budget=budget,
        endpoint=first,
    )
