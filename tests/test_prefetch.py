"""The listing of the pass at a fire time, taken just before it (issue 19): the transitions due go out at
the fire time instead of a listing later, and a prefetched listing never stands for one newer than it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from huggingface_hub import HfApi

from hfwarden.app.reconcile.reconciler import Reconciler
from hfwarden.clock import ManualClock
from hfwarden.config import load_config
from hfwarden.daemon import PREFETCH_LEAD_S, Daemon
from tests.conftest import Factory
from tests.support.helpers import advance, create
from tests.support.settings import offline_settings

# Resumed at 08:00, paused at 18:00: at 17:59 nothing is due, at 18:00 the pause.
WORKDAY = """version: 1
timezone: UTC
endpoints:
  - namespace: acme
    name: night
    schedule:
      - {cron: "0 8 * * *", action: resume}
      - {cron: "0 18 * * *", action: pause}
"""
FIRE = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)


def _calls(control: httpx.Client) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in control.get("/_emulator/requests").json()["requests"]]


@pytest.fixture
def night(warden: Factory, api: HfApi, control: httpx.Client, clock: ManualClock) -> Reconciler:
    """A reconciler on WORKDAY with `acme/night` running, one pass done a minute before the fire."""
    create(api, "night", min_replica=1, max_replica=1)
    advance(control, 120)
    reconciler = warden(WORKDAY)
    clock.set(FIRE - timedelta(minutes=1))
    assert reconciler.run_pass().acted == []  # running, as the 08:00 resume wants it
    return reconciler


@pytest.mark.usefixtures("client_at_emulator")
def test_the_pass_at_a_fire_time_sends_on_the_listing_taken_just_before(
    night: Reconciler, control: httpx.Client, clock: ManualClock
) -> None:
    clock.set(FIRE - timedelta(seconds=PREFETCH_LEAD_S))
    night.observer.prefetch(night.config, until=FIRE)
    control.delete("/_emulator/requests")
    clock.set(FIRE)
    report = night.run_pass()
    assert report.acted == ["acme/night"]
    assert _calls(control) == [("POST", "/v2/endpoint/acme/night/pause")]  # no listing before the call


@pytest.mark.usefixtures("client_at_emulator")
@pytest.mark.parametrize("case", ["too old", "another pass listed since"])
def test_a_prefetched_listing_that_does_not_stand_is_listed_again(
    night: Reconciler, control: httpx.Client, clock: ManualClock, case: str
) -> None:
    clock.set(FIRE - timedelta(seconds=10 if case == "too old" else PREFETCH_LEAD_S))
    night.observer.prefetch(night.config, until=FIRE)
    if case == "another pass listed since":
        clock.set(FIRE - timedelta(seconds=1))
        night.run_pass()
    control.delete("/_emulator/requests")
    clock.set(FIRE)
    assert night.run_pass().acted == ["acme/night"]
    assert _calls(control) == [("GET", "/v2/endpoint/acme"), ("POST", "/v2/endpoint/acme/night/pause")]


@pytest.mark.usefixtures("client_at_emulator")
def test_a_listing_not_in_by_the_fire_time_is_left_to_the_pass_not_sent_twice(
    night: Reconciler, control: httpx.Client, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """The prefetch waits until the fire time at most; the pass takes up the call under way. A listing
    still under way is not an unobservable namespace: only the pass's own listing says so."""
    control.post("/_emulator/faults", json={"latency_ms": 1500}).raise_for_status()
    control.delete("/_emulator/requests")
    clock.set(FIRE - timedelta(seconds=PREFETCH_LEAD_S))
    capsys.readouterr()
    night.observer.prefetch(night.config, until=clock.now() + timedelta(seconds=0.2))
    assert night.observer.listings._prefetched is None  # not in within 0.2 s: nothing kept
    assert "namespace_unobservable" not in "".join(capsys.readouterr())
    control.post("/_emulator/faults", json={"latency_ms": 0}).raise_for_status()
    clock.set(FIRE)
    assert night.run_pass().acted == ["acme/night"]
    assert _calls(control) == [("GET", "/v2/endpoint/acme"), ("POST", "/v2/endpoint/acme/night/pause")]


def test_the_daemon_lists_ahead_of_its_next_fire_time(tmp_path: Path) -> None:
    schedule = tmp_path / "s.yaml"
    schedule.write_text(WORKDAY)
    settings = offline_settings(tmp_path)
    daemon = Daemon(settings, [schedule], load_config([schedule]), clock=ManualClock(FIRE - timedelta(hours=1)))
    daemon._scheduler = BackgroundScheduler(timezone=UTC)  # not started: only its jobs are looked at
    try:
        daemon._schedule_wake()
        wake, prefetch = daemon._scheduler.get_job("wake"), daemon._scheduler.get_job("prefetch")
        assert wake is not None
        assert prefetch is not None
        assert wake.trigger.run_date == FIRE
        assert prefetch.trigger.run_date == FIRE - timedelta(seconds=PREFETCH_LEAD_S)
        assert prefetch.args == (FIRE,)  # the prefetch waits for its listing until the fire time at most
    finally:
        daemon.reconciler.close()
        daemon.deliverer.close()
        daemon.store.close()
