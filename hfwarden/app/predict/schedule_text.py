"""A recommendation as a schedule file: ready-by windows (`prewarm: auto`) for each rise in demand,
cron rules for the falls, every rule with a comment from its stretch's real training counts."""

from __future__ import annotations

from dataclasses import dataclass

from hfwarden.core.endpoints import EndpointKey
from hfwarden.core.predict import DAY, DAY_NAMES, WEEK, ZERO, Change, Recommendation, compress_days
from hfwarden.core.rules import Action, ActionKind

HOLIDAYS = "recommend-holidays"


@dataclass(frozen=True, slots=True)
class Entry:
    """One rule of the file: a window (`end` set) or a cron rule, with the days it covers (0 = Monday)."""

    minute_of_day: int
    end_of_day: int | None
    days: tuple[int, ...]
    during: Action
    outside: Action | None
    change: Change


def _clock(minute: int) -> str:
    minute %= DAY
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _day_list(days: tuple[int, ...]) -> str:
    """`mon-fri`, `sat,sun`, `thu,fri,sat,sun`, `daily`: ranges never wrap past Saturday, because a
    window's days read like cron's (Sunday is 0, so `fri-sun` would run backwards)."""
    if len(days) == 7:
        return "daily"
    parts: list[str] = []
    run: list[int] = []
    for day in [*sorted(days), None]:
        if day is not None and run and day == run[-1] + 1 and day != 6:
            run.append(day)
            continue
        if run:
            names = [DAY_NAMES[d] for d in run]
            parts.append(f"{names[0]}-{names[-1]}" if len(run) >= 3 else ",".join(names))
        run = [] if day is None else [day]
    return ",".join(parts)


def entries(rec: Recommendation) -> list[Entry]:
    """Rises that end within a day become windows whose `outside` is the next stretch's level (so the
    fall needs no rule of its own); other changes are cron rules (a rise's at its lead)."""
    changes = rec.changes
    as_window = [
        c.level > c.after and c.level >= 1 and len(changes) > 1 and c.end - c.minute_of_week < DAY for c in changes
    ]
    grouped: dict[tuple[int, int | None, int, int | None], list[Change]] = {}
    for i, change in enumerate(changes):
        previous = i - 1
        if change.level < change.after and as_window[previous]:
            continue  # the previous window's `outside`
        key: tuple[int, int | None, int, int | None]
        if as_window[i]:
            following = changes[(i + 1) % len(changes)].level
            key = (change.minute_of_week % DAY, change.end % DAY, change.level, following)
        else:
            lead = rec.lead_minutes if change.level > change.after else 0
            key = ((change.minute_of_week - lead) % DAY, None, change.level, None)
        grouped.setdefault(key, []).append(change)
    found = []
    for (minute, end, level, after), group in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        lead = rec.lead_minutes if end is None and level > group[0].after else 0
        days = tuple(sorted({((c.minute_of_week - lead) % WEEK) // DAY for c in group}))
        outside = None if after is None else rec.action(after)
        found.append(Entry(minute, end, days, rec.action(level), outside, group[0]))
    # On a skipped (holiday) day every window's `outside` takes effect at midnight and the last rule
    # wins: the windows that end at the week's lowest level go last, so a holiday is not kept warm.
    lowest = min(_level(e.outside) for e in found if e.outside is not None) if any(e.outside for e in found) else 0
    return sorted(found, key=lambda e: e.outside is not None and _level(e.outside) == lowest)


def _level(action: Action) -> int:
    return action.min_replicas or 0 if action.kind == ActionKind.RESUME else 0


def _why(rec: Recommendation, entry: Entry) -> str:
    change = entry.change
    counts = (
        f"{change.requests:,} requests in the training weeks ({change.requests_per_hour:,.0f}/hour on average), "
        f"busiest minute needs {change.peak_need}"
    )
    if change.level == ZERO:
        return "no request at all in the training weeks: scale to zero (traffic wakes it)"
    what = rec.candidate.describe()
    if entry.end_of_day is not None:
        return (
            f"{counts}: min {change.level} ({what}); ready by {_clock(entry.minute_of_day)}: the backtest "
            f"assumed a {rec.lead_minutes}-minute lead, prewarm: auto uses the measured one"
        )
    return f"{counts}: min {change.level} ({what})"


def _action_lines(action: Action, indent: str) -> list[str]:
    lines = [f"{indent}action: {action.kind.value}"]
    for field in ("min_replicas", "max_replicas", "scale_to_zero_timeout"):
        value = getattr(action, field)
        if value is not None:
            lines.append(f"{indent}{field}: {value}")
    return lines


def _entry_lines(rec: Recommendation, entry: Entry) -> list[str]:
    days = _day_list(entry.days)
    lines = [f"      # {days} {_clock(entry.minute_of_day)}: {_why(rec, entry)}"]
    if entry.end_of_day is None:
        cron_days = compress_days(",".join(str((d + 1) % 7) for d in entry.days))
        minute = entry.minute_of_day
        lines.append(f'      - cron: "{minute % 60} {minute // 60} * * {cron_days}"')
        return lines + _action_lines(entry.during, "        ")
    end = _clock(entry.end_of_day) if entry.end_of_day else "24:00"
    lines.append(f'      - window: "{days} {_clock(entry.minute_of_day)}-{end}"')
    lines.append("        prewarm: auto")
    lines.append(f"        prewarm_default: {rec.lead_minutes}m")
    if rec.lead_minutes > 60:
        lines.append(f"        prewarm_max: {rec.lead_minutes}m")
    lines.append("        during:")
    lines += _action_lines(entry.during, "          ")
    assert entry.outside is not None
    lines.append("        outside:")
    return lines + _action_lines(entry.outside, "          ")


def render_yaml(
    rec: Recommendation, endpoint: str, instance: str | None, header: list[str], calendar: str | None = None
) -> str:
    namespace, name = EndpointKey.parse(endpoint)
    lines = [f"# {line}" for line in header]
    lines += ["version: 1", f"timezone: {rec.zone.key}"]
    if calendar:
        country, _, subdivision = calendar.partition("-")
        extra = f", subdivision: {subdivision}" if subdivision else ""
        lines += ["calendars:", f"  {HOLIDAYS}: {{country: {country}{extra}}}"]
    lines += ["endpoints:", f"  - namespace: {namespace}", f"    name: {name}"]
    if instance:
        lines.append(f"    instance: {instance}")
    if calendar:
        lines.append(f"    skip: [{HOLIDAYS}]  # public holidays: no rule fires, windows count as outside")
    lines.append("    schedule:")
    for entry in entries(rec):
        lines += _entry_lines(rec, entry)
    return "\n".join(lines) + "\n"
