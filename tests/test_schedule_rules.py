"""The schedule's rules as plain function calls: desired state at t, windows, decisions."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hfwarden.config import load_config
from hfwarden.core.cron import parse_cron
from hfwarden.core.decide import StepKind, Verdict, schedule_decision
from hfwarden.core.endpoints import Observation
from hfwarden.core.rules import (
    Action,
    ActionKind,
    EndpointSchedule,
    Rule,
    latest_transition,
    local_day_bounds,
    next_transition,
    transitions_between,
)
from hfwarden.core.windows import parse_duration_minutes, rule_id, same_minute_clashes, window_rules

UTC_ZONE = ZoneInfo("UTC")
PARIS = ZoneInfo("Europe/Paris")
SYDNEY = ZoneInfo("Australia/Sydney")
NEW_YORK = ZoneInfo("America/New_York")

OFFICE_HOURS = """
version: 1
timezone: Europe/Paris
endpoints:
  - namespace: acme
    name: chat
    schedule:
      - cron: "55 8 * * 1-5"
        action: resume
        min_replicas: 1
        max_replicas: 4
      - cron: "0 12 * * mon-fri"
        action: scale
        min_replicas: 1
        max_replicas: 2
      - cron: "0 18 * * mon-fri"
        action: pause
"""


def schedule(tmp_path: Path, text: str, index: int = 0) -> EndpointSchedule:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return load_config([path]).endpoints[index]


RESUME_1_2 = Action(ActionKind.RESUME, min_replicas=1, max_replicas=2)
SCALE_TO_ZERO = Action(ActionKind.SCALE_TO_ZERO)


def window(spec: str, zone: str = "Europe/Paris", prewarm: str | None = None) -> EndpointSchedule:
    """A window rule as core values: what the loader compiles, without a file."""
    tz = ZoneInfo(zone)
    rules = window_rules(
        "acme/w",
        1,
        spec,
        prewarm=parse_duration_minutes(prewarm or 0),
        zone=tz,
        during=RESUME_1_2,
        outside=SCALE_TO_ZERO,
    )
    return EndpointSchedule("acme", "w", tuple(rules), tz)


def crons(*rules: tuple[str, Action], zone: ZoneInfo = UTC_ZONE) -> EndpointSchedule:
    """Cron rules numbered 1, 2, ... in one zone, as core values."""
    built = [
        Rule(rule_id("acme/chat", expression, number), number, parse_cron(expression), zone, action)
        for number, (expression, action) in enumerate(rules, start=1)
    ]
    return EndpointSchedule("acme", "chat", tuple(built), zone)


def desired(s: EndpointSchedule, at: datetime) -> str | None:
    t = latest_transition(s, at)
    return None if t is None else t.action.describe()


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2026, 1, 5, 8, 54, tzinfo=PARIS), "pause"),
        (datetime(2026, 1, 5, 8, 55, tzinfo=PARIS), "resume(min=1, max=4)"),
        (datetime(2026, 1, 5, 11, 59, 59, tzinfo=PARIS), "resume(min=1, max=4)"),
        (datetime(2026, 1, 5, 12, 0, tzinfo=PARIS), "scale(min=1, max=2)"),
        (datetime(2026, 1, 5, 18, 0, tzinfo=PARIS), "pause"),
        (datetime(2026, 1, 9, 17, 59, tzinfo=PARIS), "scale(min=1, max=2)"),
        (datetime(2026, 1, 10, 10, 0, tzinfo=PARIS), "pause"),
        (datetime(2026, 1, 11, 23, 59, tzinfo=PARIS), "pause"),
        (datetime(2026, 1, 5, 7, 55, tzinfo=UTC), "resume(min=1, max=4)"),
        (datetime(2026, 1, 5, 7, 54, tzinfo=UTC), "pause"),
    ],
    ids=[
        "monday-before-prewarm",
        "monday-at-fire-time",
        "monday-before-lunch",
        "monday-lunch",
        "monday-evening",
        "friday-afternoon",
        "saturday",
        "sunday-night",
        "fire-time-given-in-utc",
        "minute-before-in-utc",
    ],
)
def test_weekday_boundaries(tmp_path: Path, at: datetime, expected: str) -> None:
    assert desired(schedule(tmp_path, OFFICE_HOURS), at) == expected


@pytest.mark.parametrize(
    ("spec", "prewarm", "at", "expected"),
    [
        ("mon-fri 09:00-18:00", "5m", datetime(2026, 1, 5, 8, 54, tzinfo=PARIS), "scale_to_zero"),
        ("mon-fri 09:00-18:00", "5m", datetime(2026, 1, 5, 8, 55, tzinfo=PARIS), "resume(min=1, max=2)"),
        ("mon-fri 09:00-18:00", "5m", datetime(2026, 1, 5, 18, 0, tzinfo=PARIS), "scale_to_zero"),
        ("mon-fri 00:10-06:00", "30m", datetime(2026, 1, 4, 23, 39, tzinfo=PARIS), "scale_to_zero"),
        ("mon-fri 00:10-06:00", "30m", datetime(2026, 1, 4, 23, 40, tzinfo=PARIS), "resume(min=1, max=2)"),
        ("mon-fri 00:10-06:00", "30m", datetime(2026, 1, 9, 23, 40, tzinfo=PARIS), "scale_to_zero"),
        ("fri 22:00-02:00", None, datetime(2026, 1, 10, 1, 59, tzinfo=PARIS), "resume(min=1, max=2)"),
        ("fri 22:00-02:00", None, datetime(2026, 1, 10, 2, 0, tzinfo=PARIS), "scale_to_zero"),
        ("sat,sun 10:00-24:00", None, datetime(2026, 1, 11, 23, 59, tzinfo=PARIS), "resume(min=1, max=2)"),
        ("sat,sun 10:00-24:00", None, datetime(2026, 1, 12, 0, 0, tzinfo=PARIS), "scale_to_zero"),
        ("daily 08:00-20:00", "1h", datetime(2026, 1, 10, 7, 0, tzinfo=PARIS), "resume(min=1, max=2)"),
    ],
    ids=[
        "before-prewarm",
        "prewarm-starts-early",
        "window-end",
        "prewarm-across-midnight-not-yet",
        "prewarm-across-midnight-sunday-night",
        "no-prewarm-on-friday-night-for-saturday",
        "window-over-midnight-still-on",
        "window-over-midnight-ends-saturday",
        "window-to-midnight-still-on",
        "window-to-midnight-ends",
        "daily-with-hour-prewarm",
    ],
)
def test_windows(spec: str, prewarm: str | None, at: datetime, expected: str) -> None:
    assert desired(window(spec, prewarm=prewarm), at) == expected


@pytest.mark.parametrize(
    ("zone", "day", "expected_local", "hours_in_day"),
    [
        ("Europe/Paris", date(2026, 3, 29), ["08:55+0200", "18:00+0200"], 23),
        ("Europe/Paris", date(2026, 10, 25), ["08:55+0100", "18:00+0100"], 25),
        ("Australia/Sydney", date(2026, 10, 4), ["08:55+1100", "18:00+1100"], 23),
        ("Australia/Sydney", date(2026, 4, 5), ["08:55+1000", "18:00+1000"], 25),
        ("America/New_York", date(2026, 3, 8), ["08:55-0400", "18:00-0400"], 23),
    ],
    ids=["paris-spring-forward", "paris-fall-back", "sydney-spring-forward", "sydney-fall-back", "new-york-spring"],
)
def test_window_days_at_dst_changes(zone: str, day: date, expected_local: list[str], hours_in_day: int) -> None:
    s = window("daily 09:00-18:00", zone=zone, prewarm="5m")
    start, end = local_day_bounds(day, ZoneInfo(zone))
    assert (end - start).total_seconds() == hours_in_day * 3600
    found = [t.at.astimezone(ZoneInfo(zone)).strftime("%H:%M%z") for t in transitions_between(s, start, end)]
    assert found == expected_local


PAUSE, RESUME = Action(ActionKind.PAUSE), Action(ActionKind.RESUME)


def test_same_minute_later_rule_wins() -> None:
    s = crons(("0 9 * * *", PAUSE), ("0 9 * * 1", RESUME))
    monday = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert desired(s, monday) == "resume"
    assert desired(s, datetime(2026, 1, 6, 9, 0, tzinfo=UTC)) == "pause"
    upcoming = next_transition(s, datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    assert upcoming is not None
    assert upcoming.action.describe() == "resume"
    assert [t.action.describe() for t in transitions_between(s, monday, monday.replace(minute=1))] == ["resume"]


@pytest.mark.parametrize(
    ("first", "second", "clash"),
    [
        ("0 9 * * *", "0 9 * * 1", True),
        ("0 9 * * 1", "0 9 * * 2", False),
        ("0 9 * * *", "30 9 * * *", False),
        ("*/15 9 * * *", "30 8-10 * * *", True),
        ("0 9 29 2 *", "0 9 * 2 *", True),
        ("0 9 29 2 *", "0 9 * 3 *", False),
        ("0 9 13 * 5", "0 9 1 * 2", True),
        ("0 9 1 1 *", "0 9 * * 1", True),
    ],
    ids=[
        "daily-and-monday",
        "different-days",
        "different-minutes",
        "step-inside-range",
        "leap-day-in-february",
        "leap-day-and-march",
        "either-day-field-friday-or-13th",
        "new-year-on-a-monday-some-year",
    ],
)
def test_same_minute_clashes(first: str, second: str, clash: bool) -> None:
    found = same_minute_clashes(crons((first, PAUSE), (second, RESUME)))
    assert found == ([(1, 2)] if clash else [])


def test_same_minute_ignores_one_windows_own_rules_and_other_zones() -> None:
    assert same_minute_clashes(window("daily 00:00-12:00")) == []
    paris = crons(("0 9 * * *", PAUSE), zone=PARIS).rules
    utc = crons(("0 9 * * *", PAUSE), ("0 9 * * *", RESUME)).rules
    mixed = EndpointSchedule("acme", "chat", (paris[0], utc[1]), PARIS)
    assert same_minute_clashes(mixed) == []


def test_rule_timezone_overrides_endpoint_timezone(tmp_path: Path) -> None:
    s = schedule(
        tmp_path,
        """
        version: 1
        timezone: Europe/Paris
        endpoints:
          - namespace: acme
            name: chat
            schedule:
              - {cron: "0 9 * * *", action: resume, timezone: America/New_York}
              - {cron: "0 9 * * *", action: pause}
        """,
    )
    assert desired(s, datetime(2026, 1, 5, 13, 59, tzinfo=UTC)) == "pause"
    assert desired(s, datetime(2026, 1, 5, 14, 0, tzinfo=UTC)) == "resume"


def test_naive_time_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="naive"):
        latest_transition(schedule(tmp_path, OFFICE_HOURS), datetime(2026, 1, 5, 9, 0))  # noqa: DTZ001


# -- decisions --------------------------------------------------------------------------------------


def seen(state: str, *, min_replica: int = 1, max_replica: int = 4, timeout: int | None = 60) -> Observation:
    return Observation(
        namespace="acme",
        name="chat",
        state=state,
        ready_replicas=1 if state == "running" else 0,
        target_replicas=1 if state == "running" else 0,
        min_replica=min_replica,
        max_replica=max_replica,
        scale_to_zero_timeout=timeout,
        instance="aws/us-east-1/nvidia-l4/x1",
        updated_at=datetime(2026, 1, 5, tzinfo=UTC),
    )


MONDAY_9 = datetime(2026, 1, 5, 9, 0, tzinfo=PARIS)  # latest: resume(min=1, max=4) at 08:55
MONDAY_19 = datetime(2026, 1, 5, 19, 0, tzinfo=PARIS)  # latest: pause at 18:00


@pytest.mark.parametrize(
    ("at", "observed", "verdict", "steps"),
    [
        # A resume leaves 1 and 1 replicas (HF's docs): it goes first, the rule's sizes after it.
        (MONDAY_9, seen("paused", min_replica=0, max_replica=0), Verdict.ACT, [StepKind.RESUME, StepKind.UPDATE]),
        (MONDAY_9, seen("paused", max_replica=1), Verdict.ACT, [StepKind.RESUME, StepKind.UPDATE]),
        (MONDAY_9, seen("scaledToZero"), Verdict.ACT, [StepKind.RESUME]),
        (MONDAY_9, seen("running"), Verdict.SATISFIED, []),
        (MONDAY_9, seen("running", max_replica=2), Verdict.ACT, [StepKind.UPDATE]),
        (MONDAY_9, seen("initializing"), Verdict.WAIT, []),
        (MONDAY_9, seen("pending"), Verdict.WAIT, []),
        (MONDAY_9, seen("updating"), Verdict.WAIT, []),
        (MONDAY_9, seen("failed"), Verdict.BROKEN, []),
        (MONDAY_9, seen("updateFailed"), Verdict.BROKEN, []),
        (MONDAY_9, None, Verdict.MISSING, []),
        (MONDAY_19, seen("running"), Verdict.ACT, [StepKind.PAUSE]),
        (MONDAY_19, seen("paused"), Verdict.SATISFIED, []),
        (MONDAY_19, seen("scaledToZero"), Verdict.ACT, [StepKind.PAUSE]),
    ],
    ids=[
        "resume-paused",
        "resume-paused-with-new-size-resume-first",
        "resume-scaled-to-zero",
        "already-running",
        "running-wrong-size",
        "wait-initializing",
        "wait-pending",
        "wait-updating",
        "failed-needs-a-human",
        "update-failed-needs-a-human",
        "endpoint-missing",
        "pause-running",
        "already-paused",
        "pause-scaled-to-zero",
    ],
)
def test_decide(
    tmp_path: Path, at: datetime, observed: Observation | None, verdict: Verdict, steps: list[StepKind]
) -> None:
    decision = schedule_decision(schedule(tmp_path, OFFICE_HOURS), observed, now=at, last_applied_key=None)
    assert decision.verdict == verdict
    assert [s.kind for s in decision.steps] == steps
    assert decision.reason


def test_edge_triggered_leaves_a_human_change_alone_until_the_next_transition(tmp_path: Path) -> None:
    s = schedule(tmp_path, OFFICE_HOURS)
    applied = latest_transition(s, MONDAY_19)
    assert applied is not None
    # Someone resumed it by hand at 19:00 to debug: the applied pause is not re-applied.
    human = schedule_decision(s, seen("running"), now=MONDAY_19, last_applied_key=applied.key)
    assert human.verdict == Verdict.IDLE
    # The next transition (Tuesday 08:55 resume) is new and applies.
    tuesday = schedule_decision(
        s, seen("paused"), now=datetime(2026, 1, 6, 8, 55, tzinfo=PARIS), last_applied_key=applied.key
    )
    assert tuesday.verdict == Verdict.ACT


def test_enforce_reapplies_every_pass(tmp_path: Path) -> None:
    s = schedule(tmp_path, OFFICE_HOURS.replace("    name: chat\n", "    name: chat\n    enforce: true\n"))
    applied = latest_transition(s, MONDAY_19)
    assert applied is not None
    decision = schedule_decision(s, seen("running"), now=MONDAY_19, last_applied_key=applied.key)
    assert decision.verdict == Verdict.ACT
    assert [st.kind for st in decision.steps] == [StepKind.PAUSE]


@pytest.mark.parametrize(
    ("rule", "observed", "expected"),
    [
        ("{cron: '0 9 * * *', action: scale, min_replicas: 3}", seen("running", max_replica=2), (3, 3)),
        ("{cron: '0 9 * * *', action: scale, max_replicas: 1}", seen("running", min_replica=2), (1, 1)),
        # At minimum 0: a timeout with a minimum >= 1 is refused by HF and never sent (issue 19).
        ("{cron: '0 9 * * *', action: scale, scale_to_zero_timeout: 15}", seen("running", min_replica=0), (None, None)),
    ],
    ids=["min-alone-raises-max", "max-alone-lowers-min", "timeout-only"],
)
def test_scale_never_sends_min_above_max(
    tmp_path: Path, rule: str, observed: Observation, expected: tuple[int | None, int | None]
) -> None:
    s = schedule(
        tmp_path, f"version: 1\nendpoints:\n  - namespace: acme\n    name: chat\n    schedule:\n      - {rule}\n"
    )
    decision = schedule_decision(s, observed, now=datetime(2026, 1, 5, 9, 0, tzinfo=UTC), last_applied_key=None)
    assert decision.verdict == Verdict.ACT
    (step,) = decision.steps
    assert (step.min_replicas, step.max_replicas) == expected


def test_scale_to_zero_never_wakes_a_paused_endpoint() -> None:
    s = window("mon-fri 09:00-18:00")
    decision = schedule_decision(s, seen("paused", min_replica=0), now=MONDAY_19, last_applied_key=None)
    assert decision.verdict == Verdict.SATISFIED


def test_scale_to_zero_sets_min_replicas_to_zero_first() -> None:
    s = window("mon-fri 09:00-18:00")
    decision = schedule_decision(s, seen("running", min_replica=1), now=MONDAY_19, last_applied_key=None)
    assert [(st.kind, st.min_replicas) for st in decision.steps] == [
        (StepKind.UPDATE, 0),
        (StepKind.SCALE_TO_ZERO, None),
    ]
