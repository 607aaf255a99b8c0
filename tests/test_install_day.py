"""Install day: what an endpoint billed before hfwarden's first look is counted (estimated, from a
bound that errs high), so the ledger is never below the platform's bill on day one."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi

from hfwarden.adapters.hub import Hub, RetryPolicy
from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.reconciler import Reconciler
from hfwarden.app.reconcile.report import PassReport
from hfwarden.clock import ManualClock
from hfwarden.config import load_config
from hfwarden.core.cost import billed_since
from hfwarden.core.endpoints import Observation
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator
from hfwarden.metrics import PassCollector
from tests.support.helpers import advance, billed_usd, create

pytestmark = pytest.mark.usefixtures("client_at_emulator")

L4 = 0.8  # $/h of aws nvidia-l4 x1
CONFIG = """
version: 1
endpoints:
  - {namespace: acme, name: chat}
budgets:
  - {name: acme, daily_usd: 100, timezone: UTC, scope: {namespace: acme}}
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    yield store
    store.close()


@pytest.fixture
def reconciler(tmp_path: Path, emulator: Emulator, clock: ManualClock, store: Store) -> Iterator[Reconciler]:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(CONFIG))
    hub = Hub(DEFAULT_TOKEN, retry=RetryPolicy(max_attempts=2, base_seconds=0.01), hub_url=emulator.base_url)
    made = Reconciler(config=load_config([path]), hub=hub, store=store, clock=clock)
    yield made
    made.close()


def day_start(at: datetime) -> datetime:
    return datetime(at.year, at.month, at.day, tzinfo=UTC)


def test_install_day_counts_low_for_an_endpoint_already_running_at_first_start(
    api: HfApi, control: httpx.Client, clock: ManualClock, reconciler: Reconciler, store: Store
) -> None:
    create(api, "chat", instance_type="nvidia-l4")  # 08:00; pending 10 s, initializing 60 s, then running
    advance(control, 10 * 60)  # hfwarden is installed ten minutes later
    report = reconciler.run_pass()
    advance(control, 5 * 60)
    report = reconciler.run_pass()
    now = clock.now()
    truth = billed_usd(control, "chat")
    ledger = reconciler.ledger.spent("acme/chat", day_start(now), now)
    assert ledger >= truth  # errs high, never low
    # ... by at most what `pending` took before billing began (10 s), rounded up to a minute.
    assert ledger - truth <= L4 / 60 + 1e-9
    (budget,) = report.budgets
    assert budget.spent_usd == pytest.approx(ledger)
    (first, *_) = store.segments_since(day_start(now))
    assert first.estimated  # flagged, and persisted so
    assert (first.start, first.end) == (now - timedelta(minutes=15), now - timedelta(minutes=5))


def test_install_day_counts_from_the_day_start_for_an_endpoint_created_the_day_before(
    api: HfApi, control: httpx.Client, clock: ManualClock, reconciler: Reconciler
) -> None:
    clock.set(datetime(2026, 1, 5, 20, 0, tzinfo=UTC))
    create(api, "chat", instance_type="nvidia-l4")
    clock.set(datetime(2026, 1, 6, 0, 0, tzinfo=UTC))
    before_today = billed_usd(control, "chat")
    clock.set(datetime(2026, 1, 6, 8, 0, tzinfo=UTC))
    reconciler.run_pass()
    now = clock.now()
    truth_today = billed_usd(control, "chat") - before_today
    assert reconciler.ledger.spent("acme/chat", day_start(now), now) == pytest.approx(truth_today)
    assert truth_today == pytest.approx(8 * L4, rel=0.01)


def observed(state: str, *, created_at: datetime | None, replicas: int = 1) -> Observation:
    at = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
    return Observation(
        "acme", "chat", state, replicas, replicas, 1, 2, None, "aws/us-east-1/nvidia-l4/x1", at, created_at
    )


NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
MIDNIGHT = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("state", "created_at", "replicas", "expected"),
    [
        ("running", datetime(2026, 1, 5, 6, 0, tzinfo=UTC), 1, datetime(2026, 1, 5, 6, 0, tzinfo=UTC)),
        ("running", datetime(2025, 12, 1, tzinfo=UTC), 1, MIDNIGHT),
        ("initializing", datetime(2026, 1, 5, 7, 59, tzinfo=UTC), 1, datetime(2026, 1, 5, 7, 59, tzinfo=UTC)),
        ("running", None, 1, MIDNIGHT),
        ("paused", datetime(2025, 12, 1, tzinfo=UTC), 0, NOW),
        ("scaledToZero", datetime(2025, 12, 1, tzinfo=UTC), 0, NOW),
        ("running", datetime(2026, 1, 5, 9, 0, tzinfo=UTC), 1, NOW),  # a clock ahead of ours
    ],
    ids=["created-today", "created-long-ago", "initializing", "no-createdAt", "paused", "scaled-to-zero", "skew"],
)
def test_billed_since_on_first_sight(
    state: str, created_at: datetime | None, replicas: int, expected: datetime
) -> None:
    assert (
        billed_since(observed(state, created_at=created_at, replicas=replicas), at=NOW, day_start=MIDNIGHT) == expected
    )


def saved_gauge(report: PassReport) -> float:
    collector = PassCollector(lambda: report, lambda: None, lambda: 0, lambda: report.started_at)
    (metric,) = [m for m in collector.collect() if m.name == "hfwarden_saved_today_usd"]
    (sample,) = metric.samples
    return float(sample.value)


def test_saved_today_read_25_usd_one_minute_after_install(
    api: HfApi, control: httpx.Client, clock: ManualClock, reconciler: Reconciler
) -> None:
    create(api, "chat", instance_type="nvidia-l4")
    api.pause_inference_endpoint("chat", namespace="acme")
    clock.set(datetime(2026, 1, 5, 16, 0, tzinfo=UTC))  # paused all day; hfwarden is installed at 16:00
    reconciler.run_pass()
    advance(control, 60)
    assert saved_gauge(reconciler.run_pass()) == pytest.approx(L4 / 60)  # one minute watched, not 16 hours
    advance(control, 3600 - 60)
    assert saved_gauge(reconciler.run_pass()) == pytest.approx(L4)  # an hour watched paused: an hour saved
    api.resume_inference_endpoint("chat", namespace="acme")
    advance(control, 3600)
    # Running at its minimum again: that hour saves nothing more, and takes back nothing saved before.
    assert saved_gauge(reconciler.run_pass()) == pytest.approx(L4)
