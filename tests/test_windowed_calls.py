"""A pass's calls go to the thread pool a window at a time (issue 19: 5,000 transitions submitted at once
held 5,000 futures, each with its condition and locks, ~6 MB at 5,000 endpoints)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from hfwarden.adapters.memory_hub import MemoryHub
from hfwarden.app.reconcile.execute import Executor
from hfwarden.app.reconcile.windowed import in_window
from hfwarden.clock import ManualClock
from hfwarden.core.decide import Decision, Verdict
from hfwarden.core.endpoints import Observation
from hfwarden.core.steps import Step, StepKind


class CountingPool(ThreadPoolExecutor):
    """A pool that remembers the most futures it ever had submitted and not finished."""

    def __init__(self, workers: int) -> None:
        super().__init__(max_workers=workers)
        self.pending = 0
        self.most_pending = 0
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._lock:
            self.pending += 1
            self.most_pending = max(self.most_pending, self.pending)
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: Future[Any]) -> None:
        with self._lock:
            self.pending -= 1


def test_results_come_in_order_with_at_most_the_window_pending() -> None:
    with CountingPool(4) as pool:
        assert in_window(pool, lambda n: n * n, list(range(500)), 8) == [n * n for n in range(500)]
    assert pool.most_pending <= 8


def test_the_earliest_failure_is_raised_once_every_item_has_run() -> None:
    ran: list[int] = []

    def work(n: int) -> int:
        ran.append(n)
        if n in (30, 7):
            raise ValueError(f"item {n}")
        return n

    with ThreadPoolExecutor(max_workers=3) as pool, pytest.raises(ValueError, match="item 7"):
        in_window(pool, work, list(range(50)), 4)
    assert sorted(ran) == list(range(50))


def test_the_pass_submits_its_transitions_a_window_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails on the old code: every turn was submitted at once (500 pending here)."""
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    clock = ManualClock(now)
    hub = MemoryHub(clock)
    observations: dict[str, Observation] = {}
    decisions = []
    for n in range(500):
        observed = Observation("acme", f"ep-{n}", "running", 1, 1, 1, 2, None, "aws/us-east-1/nvidia-l4/x1", now, now)
        hub.put(observed)
        observations[observed.key] = observed
        decisions.append(Decision(observed.key, Verdict.ACT, "rule", None, (Step(StepKind.PAUSE),)))
    executor = Executor(hub, clock=clock, max_concurrency=4)
    pool = CountingPool(4)
    monkeypatch.setattr(executor, "_pool", pool)
    outcomes = executor.carry_out(decisions, observations)
    executor.close()
    pool.shutdown()
    assert [o.decision.endpoint for o in outcomes] == [d.endpoint for d in decisions]
    assert all(o.error is None for o in outcomes)
    assert pool.most_pending <= 8
