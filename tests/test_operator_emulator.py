"""Issue 12 against the emulator over real HTTP on one manual clock: drift alerts, holds, calendars."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi
from sqlalchemy import select

from hfwarden.adapters.store import Store
from hfwarden.adapters.store.tables import alert_marks
from hfwarden.app.ops.holds import HoldRequest, place_hold, unhold
from hfwarden.cli import main
from hfwarden.clock import ManualClock
from hfwarden.core.holds import hold_placed
from hfwarden.core.records import Hold, HoldState
from hfwarden.emulator.server import Emulator
from tests.conftest import Factory
from tests.support.helpers import advance, create
from tests.support.passes import HELD_DAY, daemon_life
from tests.support.settings import cli_at_emulator, config_from, schedule_file, settings_for

pytestmark = pytest.mark.usefixtures("client_at_emulator")

# conftest's clock starts on Monday 2026-01-05 08:00 UTC.
PAUSE_AT_NINE = """
version: 1
timezone: UTC
drift_after: 15m
endpoints:
  - namespace: acme
    name: chat
    schedule:
      - {cron: "0 9 * * *", action: pause}
      - {cron: "0 20 * * *", action: resume, min_replicas: 1, max_replicas: 2}
"""


def state_of(api: HfApi, name: str) -> str:
    return str(api.get_inference_endpoint(name, namespace="acme").status)


def raised(store: Store, kind: str) -> list[str]:
    """Alerts written to the outbox (once per dedupe key), of one kind."""
    with store.engine.connect() as conn:
        keys = conn.execute(select(alert_marks.c.dedupe_key)).scalars().all()
    return [k for k in keys if k.startswith(f"{kind}|")]


def test_a_human_resume_is_alerted_as_drift_once(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory
) -> None:
    create(api, "chat", min_replica=1, max_replica=2)
    advance(control, 3600)  # 09:00: the pause fires
    reconciler = warden(PAUSE_AT_NINE)
    assert reconciler.run_pass().acted == ["acme/chat"]
    advance(control, 60)
    api.resume_inference_endpoint("chat", namespace="acme")  # a human, at 09:01
    for _ in range(3):  # 09:06: still under drift_after
        advance(control, 100)
        report = reconciler.run_pass()
    assert state_of(api, "chat") == "running"
    assert raised(reconciler.store, "drift") == []
    for _ in range(10):  # until 09:56: past drift_after, passes every five minutes
        advance(control, 300)
        report = reconciler.run_pass()
        assert report.acted == []
    assert state_of(api, "chat") == "running"  # enforce is off: left as the human set it
    assert raised(reconciler.store, "drift") == ["drift|acme/chat||2026-01-05"]
    (alert,) = [a for a in report.alerts if a.kind == "drift"]
    assert "wants pause" in alert.message
    assert "is running since 2026-01-05 09:0" in alert.message


def test_a_hold_survives_a_restart_blocks_the_pause_and_expires_into_the_schedule(
    api: HfApi, control: httpx.Client, emulator: Emulator, clock: ManualClock, tmp_path: Path
) -> None:
    create(api, "chat", min_replica=1, max_replica=2)
    advance(control, 120)
    settings = settings_for(emulator, tmp_path)
    config = config_from(tmp_path, HELD_DAY)
    with daemon_life(settings, config, emulator, clock) as first:
        first.run_pass()  # 08:02: yesterday's 20:00 resume, found already running
        placed = place_hold(settings, config, HoldRequest("acme/chat", "10:00", reason="demo at 9"), clock=clock)
    assert placed.quote.startswith("keeps acme/chat running until 10:00 UTC: +$")
    assert "budget acme-prod projected $" in placed.quote
    assert placed.quote.endswith(" of $150")
    with daemon_life(settings, config, emulator, clock) as second:  # a restart: the hold is in the state store
        store = second.store
        assert list(store.holds()) == ["acme/chat"]
        advance(control, (datetime(2026, 1, 5, 9, 0, tzinfo=UTC) - clock.now()).total_seconds())
        report = second.run_pass()
        assert report.acted == []
        assert state_of(api, "chat") == "running"  # the 09:00 pause is suppressed
        suppressed = [e for e in store.audit_entries() if e.result == "suppressed"]
        assert [e.action for e in suppressed] == ["pause"]
        assert "held running until" in suppressed[0].reason
        # A human pauses the held endpoint: it is put back.
        api.pause_inference_endpoint("chat", namespace="acme")
        advance(control, 60)
        assert second.run_pass().acted == ["acme/chat"]
        advance(control, 120)
        second.run_pass()
        assert state_of(api, "chat") == "running"
        # 10:00: the hold expires into the schedule's state for that moment: paused (an edge, no enforce).
        advance(control, (datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC) - clock.now()).total_seconds())
        report = second.run_pass()
        assert report.acted == ["acme/chat"]
        assert state_of(api, "chat") == "paused"
        assert store.holds() == {}
        assert len(raised(store, "hold_placed")) == 1
        assert len(raised(store, "hold_expired")) == 1
        advance(control, 300)
        assert second.run_pass().acted == []  # and only once


@pytest.mark.parametrize(
    ("endpoint", "until", "problem"),
    [
        ("acme/nobody", "2h", "unknown endpoint acme/nobody"),
        ("acme/chat", "2026-01-05T07:00+00:00", "in the past"),
        ("acme/chat", "8d", "not HH:MM"),
        ("acme/chat", "2026-01-13T09:00+00:00", "more than 7 days"),
        ("nonsense", "2h", "not namespace/name"),
    ],
    ids=["unknown-endpoint", "past", "bad-duration", "beyond-7-days", "bad-key"],
)
def test_bad_hold_is_one_error_exit_2_and_nothing_stored(
    api: HfApi,
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    endpoint: str,
    until: str,
    problem: str,
) -> None:
    create(api, "chat")
    config_path = schedule_file(tmp_path, HELD_DAY)
    cli_at_emulator(emulator, tmp_path, monkeypatch)
    code = main(["hold", endpoint, "--until", until, "--config", str(config_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1
    assert problem.lower() in err[0].lower()
    store = Store(settings_for(emulator, tmp_path).database_url)
    try:
        assert store.holds() == {}
        assert store.audit_entries() == []
    finally:
        store.close()


HOLIDAY_TUESDAY = """
version: 1
timezone: UTC
calendars:
  company: {dates: [2026-01-06]}
endpoints:
  - namespace: acme
    name: chat
    skip: [company]
    schedule:
      - {cron: "0 9 * * 1-5", action: resume, min_replicas: 1, max_replicas: 2}
      - {cron: "0 18 * * 1-5", action: pause}
"""


def at(control: httpx.Client, clock: ManualClock, day: int, hour: int, minute: int = 0) -> None:
    advance(control, (datetime(2026, 1, day, hour, minute, tzinfo=UTC) - clock.now()).total_seconds())


def test_a_calendar_day_skips_the_resume(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory
) -> None:
    create(api, "chat", min_replica=1, max_replica=2)
    at(control, clock, 5, 17, 59)
    reconciler = warden(HOLIDAY_TUESDAY)
    reconciler.run_pass()  # Monday: the 09:00 resume, already running
    at(control, clock, 5, 18, 0)
    assert reconciler.run_pass().acted == ["acme/chat"]  # Monday's pause
    at(control, clock, 6, 9, 0)
    report = reconciler.run_pass()
    assert report.acted == []  # Tuesday is the company's day: the resume does not fire
    at(control, clock, 6, 12, 0)
    reconciler.run_pass()
    assert state_of(api, "chat") == "paused"
    at(control, clock, 7, 9, 0)
    assert reconciler.run_pass().acted == ["acme/chat"]  # Wednesday: back to the schedule
    at(control, clock, 7, 9, 5)
    reconciler.run_pass()
    assert state_of(api, "chat") == "running"


DEV_STAR = """
version: 1
timezone: UTC
endpoints:
  - match: {namespace: acme, name: "dev-*"}
    exclude: [acme/dev-keep]
    schedule:
      - {cron: "0 9 * * *", action: pause}
  - namespace: acme
    name: dev-demo
    schedule:
      - {cron: "0 12 * * *", action: pause}
"""


def test_a_glob_picks_up_an_endpoint_created_after_start(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory
) -> None:
    for name in ("dev-a", "dev-keep", "dev-demo", "prod-chat"):
        create(api, name, min_replica=1, max_replica=1)
    at(control, clock, 5, 8, 30)
    reconciler = warden(DEV_STAR)
    reconciler.run_pass()  # yesterday's 09:00 pause, caught up: dev-a only
    at(control, clock, 5, 8, 35)
    reconciler.run_pass()
    assert {n: state_of(api, n) for n in ("dev-a", "dev-keep", "dev-demo", "prod-chat")} == {
        "dev-a": "paused",
        "dev-keep": "running",  # excluded
        "dev-demo": "paused",  # its explicit entry: yesterday's 12:00 pause
        "prod-chat": "running",  # not matched
    }
    create(api, "dev-b", min_replica=1, max_replica=1)  # someone starts a new dev endpoint at 08:35
    advance(control, 5)
    assert "acme/dev-b" in reconciler.run_pass().waiting  # picked up; not stable yet
    advance(control, 120)
    assert reconciler.run_pass().acted == ["acme/dev-b"]  # the match's latest transition, caught up
    advance(control, 60)
    reconciler.run_pass()
    assert state_of(api, "dev-b") == "paused"
    assert reconciler.config.endpoint("acme/dev-b") is None  # the file's config is unchanged


LADDER = """
version: 1
timezone: UTC
pricing:
  aws/us-east-1/nvidia-l4/x1: 1.0
endpoints:
  - {namespace: acme, name: chat, protected: true}
  - {namespace: acme, name: worker, priority: 0}
budgets:
  - name: acme-prod
    daily_usd: 50
    scope: {namespace: acme}
    steps:
      - {at: 1.0, action: notify}
      - {at: 1.2, action: cap, max_replicas: 1}
      - {at: 1.5, action: pause}
"""


def sizes(api: HfApi, name: str) -> tuple[str, int, int]:
    endpoint = api.get_inference_endpoint(name, namespace="acme")
    scaling = endpoint.raw["compute"]["scaling"]
    return str(endpoint.status), scaling["minReplica"], scaling["maxReplica"]


def test_the_ladder_caps_then_pauses_as_the_projection_grows(
    api: HfApi, control: httpx.Client, clock: ManualClock, warden: Factory
) -> None:
    create(api, "chat", min_replica=1, max_replica=1)
    create(api, "worker", min_replica=3, max_replica=3)
    advance(control, 120)
    reconciler = warden(LADDER)
    # 08:02 UTC: 4 replicas at $1/h for the 16 h left: $64 projected, past 120% of $50 (step 2).
    report = reconciler.run_pass()
    (status,) = report.budgets
    assert status.step == 2
    (step_alert,) = [a for a in report.alerts if a.kind == "guard_action"]
    assert step_alert.step == 2
    assert "(also past step 1)" in step_alert.message
    assert "capped acme/worker at 1" in step_alert.message
    assert list(report.caps) == ["acme/worker"]
    advance(control, 60)
    reconciler.run_pass()  # updating: waited out
    advance(control, 60)
    report = reconciler.run_pass()
    assert sizes(api, "worker") == ("running", 1, 1)
    assert sizes(api, "chat") == ("running", 1, 1)  # protected
    assert report.budgets[0].step == 2  # taken once: no second cap alert, no second mark
    assert raised(reconciler.store, "guard_action") == ["guard_action|acme-prod|1.2|2026-01-05|step2"]
    # A human raises the cap by hand: put back.
    api.update_inference_endpoint("worker", namespace="acme", min_replica=1, max_replica=3)
    advance(control, 60)
    reconciler.run_pass()
    advance(control, 60)
    reconciler.run_pass()
    assert sizes(api, "worker")[1:] == (1, 1)

    # Someone starts a 4-replica batch: the projection grows past 150% and the pause step is taken.
    create(api, "batch", min_replica=4, max_replica=4)
    advance(control, 120)
    report = reconciler.run_pass()
    assert report.budgets[0].step == 3
    assert report.stopped == ["acme/batch"]
    advance(control, 120)
    reconciler.run_pass()
    assert sizes(api, "batch")[0] == "paused"
    assert sizes(api, "worker") == ("running", 1, 1)
    steps = sorted(k for k in raised(reconciler.store, "guard_action"))
    assert steps == ["guard_action|acme-prod|1.2|2026-01-05|step2", "guard_action|acme-prod|1.5|2026-01-05|step3"]
    audit = [(e.endpoint, e.action, e.result) for e in reconciler.store.audit_entries()]
    assert ("budget:acme-prod", "step 2: cap", "ok") in audit
    assert ("acme/worker", "cap(max=1)", "capped") in audit
    assert ("acme/batch", "pause", "latched") in audit


def test_holds_lists_and_unhold_lifts_into_the_schedule(
    emulator: Emulator,
    clock: ManualClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_for(emulator, tmp_path)
    config = config_from(tmp_path, HELD_DAY)
    now = clock.now()
    hold = Hold("acme/chat", HoldState.PAUSED, now + timedelta(hours=2), now, "maintenance")
    store = Store(settings.database_url)
    store.write_pass(hold_placed(hold, "quoted", now=now), alerts=[], sinks=(), now=now)
    store.close()
    monkeypatch.setenv("HFWARDEN_STATE_DIR", str(tmp_path / "state"))
    assert main(["holds", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["endpoint"], listed["state"], listed["reason"]) == ("acme/chat", "paused", "maintenance")
    lifted = unhold(settings, config, "acme/chat", clock=clock)
    assert lifted == hold
    store = Store(settings.database_url)
    try:
        assert store.holds() == {}
        (entry,) = [e for e in store.audit_entries() if e.action == "hold_expired"]
        assert "lifted by hfwarden unhold" in entry.reason
        # Its marker makes the schedule's latest transition due again: the next pass applies it.
        assert store.last_applied()["acme/chat"].startswith("hold-expired@")
    finally:
        store.close()
    assert unhold(settings, config, "acme/chat", clock=clock) is None
