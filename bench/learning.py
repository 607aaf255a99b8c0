"""A learning cycle for many endpoints: CPU seconds to learn each one's schedule from weeks of
minutes and backtest it and the schedule in force on the held-out weeks (what the daemon's learning
job does per endpoint, through `hfwarden.app.learn.bridge.propose`). Target: 100 endpoints over 6
weeks in < 60 s of CPU.

    .venv/bin/python bench/learning.py --small          # 3 endpoints, 3 weeks: a quick look
    .venv/bin/python bench/learning.py                  # 100 endpoints, 6 weeks: the target (minutes)
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hfwarden.adapters.trace import Trace  # noqa: E402
from hfwarden.app.learn.bridge import Demand, Learning, propose  # noqa: E402
from tests.support import traces  # noqa: E402

TARGET_CPU_S_PER_100 = 60.0
START = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday


def trace_of(seed: int, weeks: int) -> Trace:
    rows = traces.generate(
        traces.business_hours(rate=100.0 + seed), weeks=weeks, zone="UTC", seed=seed, start=START.replace(tzinfo=None)
    )
    return Trace(START, tuple(n for _, n in rows), frozenset({timedelta(0)}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=100)
    parser.add_argument("--weeks", type=int, default=6)
    parser.add_argument("--small", action="store_true", help="3 endpoints over 3 weeks")
    args = parser.parse_args()
    endpoints, weeks = (3, 3) if args.small else (args.endpoints, args.weeks)
    demands = [Demand(trace_of(seed, weeks), f"bench {seed}") for seed in range(endpoints)]
    how = [Learning(f"acme/e{i}", 60.0, 5, 0.8, None, "UTC", min(2, weeks - 1), 0.5) for i in range(endpoints)]
    started = time.process_time()
    for demand, learning in zip(demands, how, strict=True):
        propose(demand, learning, None)
    cpu = time.process_time() - started
    per_100 = cpu / endpoints * 100 * (6 / weeks)
    print(f"{endpoints} endpoints × {weeks} weeks: {cpu:.1f} s CPU, {cpu / endpoints:.2f} s each")
    print(f"scaled to 100 endpoints × 6 weeks: {per_100:.0f} s CPU (target < {TARGET_CPU_S_PER_100:.0f} s): "
          f"{'met' if per_100 < TARGET_CPU_S_PER_100 else 'NOT met'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
