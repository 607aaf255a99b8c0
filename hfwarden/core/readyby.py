"""Ready-by windows: `prewarm: auto` (resume at start − measured lead) and `ready_alert`. Pure.

An auto window compiles like any window, its opening moved earlier by a lead in whole minutes
(core/startups.py `lead_time`). The lead depends on measured start-ups, so the window's rules are
compiled again at each pass (and on load, with `prewarm_default`). Two things keep that safe:

- Rule ids do not depend on the lead (`rule_id(endpoint, "auto", window, zone, action, n)`), and the
  stretches a window covers are merged as if the lead were `prewarm_max`, so a different lead moves
  an opening but never adds or removes a rule.
- The lead of one opening is fixed before it can fire: it is computed from the start-ups that ended
  before `R − prewarm_max`, R being the latest nominal start at or before `now + prewarm_max`. So the
  start-up measured by the pre-warm itself cannot move an opening that already fired (a shorter lead
  would otherwise put the opening back in the future and make the previous closing the transition
  in force: a pause of the endpoint just warmed). The lead changes only between two openings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hfwarden.core.alerts import Alert, AlertKind
from hfwarden.core.cron import Cron
from hfwarden.core.endpoints import EndpointState, Observation
from hfwarden.core.rules import Action, EndpointSchedule, Rule
from hfwarden.core.startups import LeadTime, StartupSample, choose_lead
from hfwarden.core.windows import (
    WEEK_MINUTES,
    WINDOW,
    crons_at,
    parse_minute_of_day,
    rule_id,
    window_days,
    window_intervals,
)


@dataclass(frozen=True, slots=True)
class ReadyByWindow:
    """A window whose start is a ready-by time: `prewarm: auto` (`auto`), `ready_alert: true`, or both."""

    endpoint: str
    number: int  # the rule's position in the endpoint's schedule
    window: str
    zone: ZoneInfo
    during: Action
    outside: Action
    auto: bool = False
    prewarm_default: int = 10  # minutes
    prewarm_max: int = 60
    ready_alert: bool = False

    def parts(self) -> tuple[frozenset[int], int, int]:
        match = WINDOW.match(self.window)
        if match is None:
            raise ValueError(f"window {self.window!r} is not like 'mon-fri 09:00-18:00'")
        start, end = parse_minute_of_day(match.group("start")), parse_minute_of_day(match.group("end"))
        return window_days(match.group("days")), start, end

    @property
    def length(self) -> timedelta:
        _, start, end = self.parts()
        return timedelta(minutes=(end - start) % (24 * 60) or 24 * 60)

    def starts(self) -> list[Cron]:
        """Crons firing at the window's nominal starts (its ready-by times), prewarm left out."""
        days, start, _ = self.parts()
        return crons_at([d * 24 * 60 + start for d in days])

    def last_start(self, at: datetime) -> datetime | None:
        """The latest nominal start at or before `at`."""
        fires = [f for c in self.starts() if (f := c.previous_fire(at, self.zone)) is not None]
        return max(fires) if fires else None

    def lead_cutoff(self, now: datetime) -> datetime:
        """Start-ups that ended before this instant decide the lead in force now (see the module)."""
        reach = timedelta(minutes=self.prewarm_max)
        upcoming = self.last_start(now + reach)
        return now if upcoming is None else upcoming - reach


def auto_window_rules(window: ReadyByWindow, lead: int) -> list[Rule]:
    """The rules of an auto window with `lead` minutes, openings first; ids independent of the lead."""
    days, start, end = window.parts()
    most = window.prewarm_max
    intervals = window_intervals(days, start, end, most)
    always_on = len(intervals) == 1 and intervals[0][1] >= WEEK_MINUTES
    openings = crons_at([begin + most - min(lead, most) for begin, _ in intervals])
    closings = [] if always_on else crons_at([begin + span for begin, span in intervals])
    key, zone = window.endpoint, window.zone

    def rules(crons: list[Cron], action: Action) -> list[Rule]:
        return [
            Rule(rule_id(key, "auto", window.window, str(zone), action, n), window.number, c, zone, action)
            for n, c in enumerate(crons)
        ]

    return rules(openings, window.during) + rules(closings, window.outside)


@dataclass(frozen=True, slots=True)
class AppliedLead:
    """The lead an auto window's openings (`rule_ids`) use now, for `plan`."""

    endpoint: str
    number: int
    lead: LeadTime
    rule_ids: frozenset[str]


def schedule_with_leads(
    schedule: EndpointSchedule,
    windows: Sequence[ReadyByWindow],
    *,
    own: Sequence[StartupSample],
    same_hardware: Sequence[StartupSample],
    hardware: str,
    now: datetime,
) -> tuple[EndpointSchedule, list[AppliedLead]]:
    """The schedule with each auto window's rules compiled for the lead in force at `now`."""
    rules = list(schedule.rules)
    applied = []
    for window in (w for w in windows if w.auto and w.endpoint == schedule.key):
        lead = choose_lead(
            own,
            [s for s in same_hardware if s.endpoint != schedule.key],
            hardware=hardware,
            default=window.prewarm_default,
            max=window.prewarm_max,
            before=window.lead_cutoff(now),
        )
        compiled = auto_window_rules(window, lead.minutes)
        rules = [r for r in rules if r.number != window.number] + compiled
        openings = frozenset(r.rule_id for r in compiled if r.action == window.during)
        applied.append(AppliedLead(schedule.key, window.number, lead, openings))
    if not applied:
        return schedule, []
    # Stable by number: the later rule in the file still wins a tie.
    return replace(schedule, rules=tuple(sorted(rules, key=lambda r: r.number))), applied


def not_ready_alerts(
    windows: Sequence[ReadyByWindow],
    observations: Mapping[str, Observation],
    *,
    now: datetime,
    expected: Mapping[str, datetime] | None = None,
) -> list[Alert]:
    """`not_ready` for each `ready_alert` window under way whose endpoint is not `running`: once per
    window and day (its dedupe key), saying how late it is so far and, for one still starting,
    when it should be running (`expected`: its start plus its typical start-up)."""
    alerts = []
    for window in (w for w in windows if w.ready_alert):
        started = window.last_start(now)
        if started is None or now - started >= window.length:
            continue
        observed = observations.get(window.endpoint)
        state = observed.state if observed is not None else "missing"
        if state == EndpointState.RUNNING:
            continue
        local = started.astimezone(window.zone)
        message = (
            f"{window.endpoint} is not running at its ready-by time {local:%H:%M %Z} (window "
            f"{window.window!r}, rule {window.number}): {state}, {_late(now - started)} late so far"
        )
        ready = (expected or {}).get(window.endpoint)
        if ready is not None and ready > now:
            message += f"; running about {ready.astimezone(window.zone):%H:%M:%S}, {_late(ready - started)} late"
        subject = f"{window.endpoint}:rule {window.number}"
        alerts.append(Alert(AlertKind.NOT_READY, subject, local.date(), message, endpoint=window.endpoint))
    return alerts


def _late(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 60}m{seconds % 60:02d}s"
