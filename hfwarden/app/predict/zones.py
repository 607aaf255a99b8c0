"""The zone a recommendation's rules live in: given, the trace's one offset, or refused.

A trace whose UTC offset changes (daylight saving) is never learnt in UTC silently: a schedule learnt
that way is an hour off for half the year. Without `--timezone` such a trace is refused, naming the
first change and the IANA zones that change offset at that instant.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo, available_timezones

from hfwarden.adapters.trace import Trace
from hfwarden.app.predict.backtest import BacktestError

PREFERRED = ("Europe/", "America/", "Asia/", "Australia/", "Africa/", "Pacific/")


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zones_matching(trace: Trace) -> list[str]:
    """IANA zones whose offset changes as the trace's does, at the same instant."""
    change = trace.first_offset_change
    if change is None:
        return []
    at, before, after = change
    found = []
    ranked = sorted(
        (PREFERRED.index(f"{n.split('/')[0]}/"), n) for n in available_timezones() if n.startswith(PREFERRED)
    )
    for _rank, name in ranked:
        zone = ZoneInfo(name)
        now, just_before = at.astimezone(zone).utcoffset(), (at - timedelta(minutes=1)).astimezone(zone).utcoffset()
        if (just_before, now) == (before, after):
            found.append(name)
    return found


def zone_of(trace: Trace, requested: str | None) -> tuple[ZoneInfo, str]:
    """`--timezone`, else the trace's one offset as an `Etc/GMT±N` zone (POSIX signs are inverted),
    else UTC for a trace in UTC; a trace whose offset changes needs `--timezone`."""
    if requested:
        try:
            return ZoneInfo(requested), "given by --timezone"
        except (ValueError, KeyError) as exc:
            raise BacktestError(f"unknown time zone {requested!r}") from exc
    offset = trace.single_offset
    if offset is None:
        change = trace.first_offset_change
        where = ""
        if change is not None:
            at, before, after = change
            where = f" from {_offset_text(before)} to {_offset_text(after)} at {at.isoformat()}"
        names = zones_matching(trace)[:3]
        hint = f" (e.g. {', '.join(names)})" if names else ""
        raise BacktestError(
            f"the trace's UTC offset changes{where}: give --timezone{hint} so the rules follow the local clock"
        )
    if not offset:
        return ZoneInfo("UTC"), "the trace is in UTC"
    if offset % timedelta(hours=1):
        raise BacktestError(
            f"the trace's offset {_offset_text(offset)} is not whole hours: give --timezone (an IANA zone)"
        )
    hours = int(offset / timedelta(hours=1))
    return ZoneInfo(f"Etc/GMT{-hours:+d}"), f"the trace's one offset, {_offset_text(offset)}"
