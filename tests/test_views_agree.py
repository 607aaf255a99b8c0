"""One definition of "projected", wherever it is shown: `status`, the page, a release's quote. Against
the emulator on conftest's manual clock (Monday 2026-01-05 08:00 UTC), the budget's day and the
endpoints' days the same (UTC), so the figures must be equal, not just alike."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi

from hfwarden.app.ops import operations
from hfwarden.app.ops.holds import HoldRequest, place_hold
from hfwarden.clock import ManualClock
from hfwarden.config import Config
from hfwarden.emulator.server import Emulator
from hfwarden.settings import Settings
from tests.support.helpers import advance, create
from tests.support.passes import daemon_life
from tests.support.settings import config_from, settings_for

pytestmark = pytest.mark.usefixtures("client_at_emulator")

DAY = """
version: 1
timezone: UTC
endpoints:
  - namespace: acme
    name: chat
    schedule:
      - {cron: "0 9 * * *", action: pause}
      - {cron: "0 20 * * *", action: resume, min_replicas: 1, max_replicas: 2}
  - {namespace: acme, name: rogue}
budgets:
  - {name: acme-prod, daily_usd: BUDGET, scope: {namespace: acme}}
"""


def setup(emulator: Emulator, tmp_path: Path, budget: float) -> tuple[Settings, Config]:
    (tmp_path / "state").mkdir(exist_ok=True)
    return settings_for(emulator, tmp_path), config_from(tmp_path, DAY.replace("BUDGET", str(budget)))


def one_pass(settings: Settings, config: Config, emulator: Emulator, clock: ManualClock) -> None:
    with daemon_life(settings, config, emulator, clock) as reconciler:
        reconciler.run_pass()


def test_an_endpoints_projection_counts_its_hold_as_its_budget_does(
    api: HfApi, control: httpx.Client, emulator: Emulator, clock: ManualClock, tmp_path: Path
) -> None:
    """The page's header (the endpoints' sum) said $0.53 while the budget card said $2.92."""
    create(api, "chat", min_replica=1, max_replica=2)
    advance(control, 120)
    settings, config = setup(emulator, tmp_path, 150)
    one_pass(settings, config, emulator, clock)
    place_hold(settings, config, HoldRequest("acme/chat", "12:00"), clock=clock)  # past the 09:00 pause
    report = operations.assess(settings, config, clock=clock)
    chat = next(e for e in report.endpoints if e.endpoint == "acme/chat")
    budget = report.budgets[0]
    assert chat.projected_usd == pytest.approx(budget.projected_usd)
    # nvidia-l4 at $0.8/h: held from 08:02 to 12:00, then paused (09:00's pause) until the 20:00 resume.
    assert chat.projected_usd - chat.spent_usd == pytest.approx(0.8 * (12 - 8 - 2 / 60 + 4), abs=0.02)


def test_a_release_quote_counts_the_holds_as_status_does(
    api: HfApi, control: httpx.Client, emulator: Emulator, clock: ManualClock, tmp_path: Path
) -> None:
    """With acme/chat held, `status` said $1.80 and `release acme/forgotten-test` quoted "(was $9.46)"."""
    create(api, "chat", min_replica=1, max_replica=2)
    create(api, "rogue", min_replica=1, max_replica=1)
    advance(control, 120)
    settings, config = setup(emulator, tmp_path, 0.01)
    hold = HoldRequest("acme/chat", "12:00", over_budget=True)  # the guard may not stop it
    place_hold(settings, config, hold, clock=clock)
    one_pass(settings, config, emulator, clock)  # far over budget: rogue is latched
    status = operations.assess(settings, config, clock=clock)
    assert status.latched == {"acme/rogue"}
    released = operations.release(settings, config, "acme/rogue", clock=clock)
    assert released.quote is not None
    assert released.quote.projected_latched_usd == pytest.approx(status.budgets[0].projected_usd)
    assert "it stays stopped until" in released.quote.describe()


def test_a_paused_hold_quotes_the_saving_signed(
    api: HfApi, control: httpx.Client, emulator: Emulator, clock: ManualClock, tmp_path: Path
) -> None:
    """`hold --state paused` quoted "+$0.00" although it lowers the projection."""
    create(api, "chat", min_replica=1, max_replica=2)
    advance(control, 120)
    settings, config = setup(emulator, tmp_path, 150)
    placed = place_hold(settings, config, HoldRequest("acme/chat", "08:50", state="paused"), clock=clock)
    assert placed.quote.startswith("keeps acme/chat paused until 08:50 UTC: -$0.")  # 48 minutes at $0.8/h
