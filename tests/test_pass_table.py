"""The pass's behaviours as a table, against the in-memory Hub twin and an in-memory store: what it
sends and reports in each mode, for a schedule, a breach, an unreadable namespace and a failed call.
Fast (unit); the emulator tests (test_reconciler, test_budgets_emulator, ...) cover the same through
the real client and the wire."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hfwarden.adapters.memory_hub import MemoryHub
from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.mode import PassMode
from hfwarden.app.reconcile.reconciler import Reconciler
from hfwarden.app.reconcile.report import PassReport
from hfwarden.clock import ManualClock
from hfwarden.config import load_config
from hfwarden.core.endpoints import EndpointState, Observation

# Monday 2026-01-05 08:50 Paris time: Friday's 18:00 pause is the latest transition.
NOW = datetime(2026, 1, 5, 7, 50, tzinfo=UTC)
L4 = "aws/us-east-1/nvidia-l4/x1"
SCHEDULED = """
version: 1
timezone: Europe/Paris
endpoints:
  - namespace: acme
    name: chat
    schedule:
      - {cron: "55 8 * * 1-5", action: resume, min_replicas: 1, max_replicas: 2}
      - {cron: "0 18 * * 1-5", action: pause}
"""
GUARDED = """
version: 1
timezone: UTC
endpoints:
  - {namespace: acme, name: big, priority: 0}
  - {namespace: acme, name: kept, protected: true}
budgets:
  - {name: prod, daily_usd: 10, scope: {namespace: acme}}
"""


def endpoint(name: str, state: str = EndpointState.RUNNING, replicas: int = 1) -> Observation:
    billed = replicas if state == EndpointState.RUNNING else 0
    return Observation("acme", name, state, billed, billed, 1, 2, None, L4, NOW, NOW)


@dataclass(frozen=True)
class Case:
    config: str
    endpoints: tuple[Observation, ...]
    mode: PassMode
    calls: list[tuple[str, str]]
    acted: list[str] = field(default_factory=list)
    satisfied: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    latched: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)
    unlistable: bool = False
    failing: bool = False


CASES = {
    "a due transition is caught up": Case(
        SCHEDULED, (endpoint("chat"),), PassMode.ACT, [("pause", "acme/chat")], acted=["acme/chat"]
    ),
    "a dry run sends nothing": Case(SCHEDULED, (endpoint("chat"),), PassMode.DRY_RUN, []),
    "read-only decides nothing": Case(SCHEDULED, (endpoint("chat"),), PassMode.READ_ONLY, []),
    "already in its state is satisfied": Case(
        SCHEDULED, (endpoint("chat", EndpointState.PAUSED),), PassMode.ACT, [], satisfied=["acme/chat"]
    ),
    "an unreadable namespace is a failure, not an empty one": Case(
        SCHEDULED,
        (endpoint("chat"),),
        PassMode.ACT,
        [],
        failed={
            "acme/*": "namespace not observable: list acme: down for maintenance",
            "acme/chat": "namespace not observable: list acme: down for maintenance",
        },
        unlistable=True,
    ),
    "a failed call is reported with why": Case(
        SCHEDULED,
        (endpoint("chat"),),
        PassMode.ACT,
        [("pause", "acme/chat")],
        failed={"acme/chat": "pause acme/chat: boom"},
        failing=True,
    ),
    "a breach stops the unprotected burner and latches it": Case(
        GUARDED,
        (endpoint("big", replicas=2), endpoint("kept")),
        PassMode.ACT,
        [("pause", "acme/big")],
        acted=["acme/big"],
        stopped=["acme/big"],
        latched={"acme/big"},
    ),
    "a breach in a dry run latches nothing": Case(
        GUARDED, (endpoint("big", replicas=2), endpoint("kept")), PassMode.DRY_RUN, []
    ),
    "a breach read-only is reported, not acted on": Case(
        GUARDED, (endpoint("big", replicas=2), endpoint("kept")), PassMode.READ_ONLY, []
    ),
}


@pytest.fixture
def store(fresh_state: Callable[[Path], str], tmp_path: Path) -> Iterator[Store]:
    new = Store(fresh_state(tmp_path / "state.db"))
    yield new
    new.close()


def one_pass(case: Case, store: Store, tmp_path: Path) -> tuple[PassReport, MemoryHub]:
    clock = ManualClock(NOW)
    hub = MemoryHub(clock, prices={L4: 10.0})
    hub.put(*case.endpoints)
    if case.unlistable:
        hub.unlistable["acme"] = "down for maintenance"
    if case.failing:
        hub.failing["acme/chat"] = "boom"
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(case.config))
    reconciler = Reconciler(
        config=load_config([path]), hub=hub, store=store, clock=clock, dry_run=case.mode is PassMode.DRY_RUN
    )
    try:
        report = reconciler.assess() if case.mode is PassMode.READ_ONLY else reconciler.run_pass()
    finally:
        reconciler.close()
    return report, hub


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_one_pass(case: Case, store: Store, tmp_path: Path) -> None:
    report, hub = one_pass(case, store, tmp_path)
    assert hub.calls == case.calls
    assert report.acted == case.acted
    assert report.satisfied == case.satisfied
    assert report.stopped == case.stopped
    assert report.latched == case.latched
    assert report.failed == case.failed
    assert set(store.latches()) == case.latched  # what the report says stands is what was written


def test_the_breach_is_judged_the_same_in_every_mode(fresh_state: Callable[[Path], str], tmp_path: Path) -> None:
    """The guard is a pure decision: acting or not, `status` shows the same budget figures."""
    figures = []
    for mode in PassMode:
        case = Case(GUARDED, (endpoint("big", replicas=2), endpoint("kept")), mode, [])
        store = Store(fresh_state(tmp_path / mode.value / "state.db"))
        try:
            report, _ = one_pass(case, store, tmp_path)
        finally:
            store.close()
        (status,) = report.budgets
        figures.append((status.budget.name, round(status.spent_usd, 6)))
    assert len(set(figures)) == 1


def test_the_report_is_a_value(store: Store, tmp_path: Path) -> None:
    report, _ = one_pass(CASES["a due transition is caught up"], store, tmp_path)
    with pytest.raises(AttributeError):
        report.acted = []  # type: ignore[misc]
