"""`release` means something: the endpoint is exempt from that budget's guard until the next budget day
(not stopped again on the next pass), the command quotes what that costs, and it is audited and alerted."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi

from hfwarden.adapters.hub import Hub, RetryPolicy
from hfwarden.adapters.store import Store
from hfwarden.app.ops.operations import release
from hfwarden.app.ops.release import ReleaseError
from hfwarden.app.reconcile.reconciler import Reconciler
from hfwarden.clock import ManualClock
from hfwarden.config import Config, load_config
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator
from hfwarden.settings import Settings
from tests.support.helpers import advance, create
from tests.support.passes import GUARDED as GUARDED_BUDGET
from tests.support.passes import states
from tests.support.settings import settings_for

pytestmark = pytest.mark.usefixtures("client_at_emulator")

# The guarded budget of the guard tests, with a webhook so the release's alert lands in the outbox.
GUARDED = (
    GUARDED_BUDGET
    + """
alerts:
  webhooks:
    - {name: ops, url: "https://hooks.example.test/hfwarden", secret: a-long-enough-test-secret}
"""
)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(GUARDED))
    return load_config([path])


@pytest.fixture
def settings(emulator: Emulator, tmp_path: Path) -> Settings:
    return settings_for(emulator, tmp_path)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    store = Store(settings.database_url)
    yield store
    store.close()


@pytest.fixture
def reconciler(config: Config, emulator: Emulator, clock: ManualClock, store: Store) -> Iterator[Reconciler]:
    hub = Hub(DEFAULT_TOKEN, retry=RetryPolicy(max_attempts=2, base_seconds=0.01), hub_url=emulator.base_url)
    made = Reconciler(config=config, hub=hub, store=store, clock=clock)
    yield made
    made.close()


def test_release_is_undone_on_the_next_pass_while_the_projection_is_over_budget(
    api: HfApi,
    control: httpx.Client,
    clock: ManualClock,
    reconciler: Reconciler,
    store: Store,
    settings: Settings,
    config: Config,
) -> None:
    clock.set(datetime(2026, 1, 5, 12, 0, tzinfo=UTC))  # 07:00 in New York
    create(api, "cheap-important", instance_type="nvidia-l4")  # $0.8/h
    create(api, "big-burner", instance_type="nvidia-a100")  # $2.5/h
    create(api, "untouchable", instance_type="nvidia-t4")  # $0.5/h
    advance(control, 70)
    assert reconciler.run_pass().stopped == ["acme/big-burner"]

    result = release(settings, config, "acme/big-burner", clock=clock)
    assert result.latch is not None
    assert result.quote is not None
    quote = result.quote
    assert (quote.budget, quote.daily_usd) == ("prod", 40)
    assert quote.projected_released_usd == pytest.approx(quote.projected_latched_usd)  # paused, no schedule
    assert quote.resume_now_usd == pytest.approx(2.5 * (17 - 70 / 3600))  # to midnight in New York
    api.resume_inference_endpoint("big-burner", namespace="acme")  # what the operator released it for
    for _ in range(10):  # through pending and initializing (70 s), as the guard saw it each time
        advance(control, 8)  # the guard_stop came 8 s later
        report = reconciler.run_pass()
        assert "acme/big-burner" not in report.latched
    assert states(api)["big-burner"] == "running"
    # The budget is still defended, by what is not exempt.
    assert states(api)["cheap-important"] == "paused"

    (entry,) = [e for e in store.audit_entries(endpoint="acme/big-burner") if e.action == "release"]
    assert "released by an operator, exempt from budget prod until 2026-01-06 05:00 UTC" in entry.reason
    assert "a manual resume now would add up to $42.45" in entry.detail
    lifted = [json.loads(a.payload) for a in store.due_alerts(clock.now()) if b"latch_lifted" in a.payload.encode()]
    assert len(lifted) == 1
    assert "released by an operator, exempt from budget prod until" in lifted[0]["message"]

    # The next budget day (midnight in New York), the exemption is over: the guard may stop it again.
    clock.set(datetime(2026, 1, 6, 5, 0, 30, tzinfo=UTC))
    reconciler.run_pass()
    report = reconciler.run_pass()
    assert "acme/big-burner" in report.latched
    assert states(api)["big-burner"] == "paused"


@pytest.mark.parametrize("name", ["big-burner", "acme/", "/big-burner", "acme/big/burner", "acme/nobody"])
def test_release_of_a_bad_name_or_an_unknown_endpoint_is_an_error(
    name: str, settings: Settings, config: Config, clock: ManualClock
) -> None:
    with pytest.raises(ReleaseError):
        release(settings, config, name, clock=clock)


@pytest.mark.usefixtures("store")  # the daemon has run: there is state to read
def test_release_of_a_known_endpoint_that_is_not_latched_releases_nothing(
    settings: Settings, config: Config, clock: ManualClock
) -> None:
    assert release(settings, config, "acme/untouchable", clock=clock).latch is None


def test_an_exempt_endpoint_is_never_a_stop_candidate_of_that_budget() -> None:
    from zoneinfo import ZoneInfo

    from hfwarden.core.budget import Budget, EndpointCost, one_budget_review

    budget = Budget("prod", 10, ZoneInfo("UTC"))
    costs = [
        EndpointCost("acme/big", spent_usd=11, future_usd=20, hourly_usd=2, billed_replicas=1, exempt=True),
        EndpointCost("acme/small", spent_usd=0, future_usd=5, hourly_usd=0.5, billed_replicas=1, priority=5),
    ]
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    assert [s.endpoint for s in one_budget_review(budget, costs, now=now).stops] == ["acme/small"]
