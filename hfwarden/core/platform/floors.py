"""The cost floors a backtest compares policies with. Pure.

- `oracle`: exactly the replicas each minute needs (at full capacity, up to max), ready at once and
  paying no start-up: a floor no real policy reaches.
- `foresight`: the same replicas, each started `lead` minutes before it is needed and kept while it
  will be needed again within that lead (stopping and restarting would cost as much): perfect
  foresight that pays every start-up, the tightest cost a schedule can achieve.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import replace

from hfwarden.core.platform.simulation import SimulatedRun, serve_exactly

Exact = tuple[SimulatedRun, list[int]]  # `serve_exactly`'s answer, which both floors start from


def oracle(
    demand: Sequence[int],
    capacity_rpm: float,
    max_replicas: int,
    *,
    slo_s: float = 30.0,
    keep_series: bool = False,
    exact: Exact | None = None,
) -> SimulatedRun:
    outcome, ready = exact or serve_exactly(demand, capacity_rpm, max_replicas, slo_s)
    return replace(outcome, ready=tuple(ready), billed=tuple(ready)) if keep_series else outcome


def window_max(values: Sequence[int], ahead: int) -> list[int]:
    """max(values[m .. m + ahead]) for every m: a sliding maximum, linear in the length."""
    found = [0] * len(values)
    window: deque[int] = deque()  # indices, values decreasing
    for i in range(len(values) - 1, -1, -1):
        while window and values[window[-1]] <= values[i]:
            window.pop()
        window.append(i)
        while window[0] > i + ahead:
            window.popleft()
        found[i] = values[window[0]]
    return found


def foresight(
    demand: Sequence[int],
    capacity_rpm: float,
    max_replicas: int,
    lead: int,
    *,
    slo_s: float = 30.0,
    keep_series: bool = False,
    exact: Exact | None = None,
) -> SimulatedRun:
    outcome, ready = exact or serve_exactly(demand, capacity_rpm, max_replicas, slo_s)
    # Billed: ready, or starting for a need within the lead. A gap shorter than the lead is kept
    # through by the same maximum: a restart would be billed from the same minute.
    billed = window_max(ready, lead)
    starts = sum(max(0, b - a) for a, b in zip([0, *billed], billed, strict=False))
    found = replace(outcome, replica_minutes=sum(billed), cold_starts=starts)
    return replace(found, ready=tuple(ready), billed=tuple(billed)) if keep_series else found
