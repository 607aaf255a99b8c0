"""Backtest and recommend over a grid: the NASA trace and a seeded business-hours trace. Prints figures.

For each trace and each grid point (capacity per replica, start-up, weeks held out), `recommend` learns
from the training weeks and every policy is replayed on the held-out weeks through the HF-faithful
platform model. Printed: per target of issue 17, the share of grid points that meet it; then the time
of `recommend` on NASA and of a one-year trace through every policy (CPU seconds, peak memory).

Targets (held-out weeks):
- every trace: no held-out request rejected by the recommended schedule;
- NASA: recommended failed % <= 1/3 of autoscale's, at <= 1.15x autoscale's cost;
- business hours: recommended cost <= 1.15x foresight's, failed % <= 0.5.

The NASA trace is found by `--trace` or the HFWARDEN_TRACE environment variable (without either, NASA
is skipped). The grid is fixed: capacity 45, 54, 62, 70 requests/minute; start-up 2, 5, 10 minutes;
1, 2, 3 weeks held out (`--capacities`, `--startups`, `--holdouts` run a part of it). `--quick` runs
one point per trace and the timings.

    .venv/bin/python bench/backtest.py --quick [--trace PATH]
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hfwarden.adapters.trace import Trace, read_trace  # noqa: E402
from hfwarden.app.predict.backtest import Backtest, Policy, Setup, run_backtest  # noqa: E402
from hfwarden.app.predict.recommend import RecommendOptions, recommend_schedule, training_peak_need  # noqa: E402
from hfwarden.config import load_config  # noqa: E402
from hfwarden.core.platform.autoscaling import ReplicaModel  # noqa: E402
from tests.support import traces  # noqa: E402

PRICE = 0.8  # aws/us-east-1/nvidia-l4/x1
CAPACITIES = (45, 54, 62, 70)
STARTUPS = (2, 5, 10)
HOLDOUTS = (1, 2, 3)
Target = Callable[[Backtest], bool]


def no_rejection(result: Backtest) -> bool:
    return result.policy(Policy.SCHEDULE).requests_rejected == 0


def nasa_target(result: Backtest) -> bool:
    rec, auto = result.policy(Policy.SCHEDULE), result.policy(Policy.AUTOSCALE)
    return rec.failed_pct <= auto.failed_pct / 3 and rec.cost_usd <= 1.15 * auto.cost_usd


def office_target(result: Backtest) -> bool:
    rec, floor = result.policy(Policy.SCHEDULE), result.policy(Policy.FORESIGHT)
    return rec.cost_usd <= 1.15 * floor.cost_usd and rec.failed_pct <= 0.5


@dataclass(frozen=True)
class Workload:
    name: str
    trace: Trace
    timezone: str | None
    targets: dict[str, Target]


def recommend_point(work: Workload, capacity: int, startup: int, holdout: int) -> Backtest:
    top = training_peak_need(work.trace, holdout, capacity)
    setup = Setup("bench/web", ReplicaModel(capacity, startup), PRICE, top)
    options = RecommendOptions(holdout, work.timezone)
    return recommend_schedule(work.trace, setup, options, instance=None, source=work.name).tested


def grid(work: Workload, axes: tuple[tuple[int, ...], ...]) -> None:
    points = list(itertools.product(*axes))
    met = dict.fromkeys(work.targets, 0)
    print(f"\n{work.name}: {len(work.trace.requests):,} minutes, {len(points)} grid point(s)")
    print(f"  {'capacity':>8} {'start-up':>8} {'held out':>8} {'rec cost $':>10} {'rec failed %':>12} "
          f"{'auto cost $':>11} {'auto failed %':>13} {'foresight $':>11}")  # fmt: skip
    for capacity, startup, holdout in points:
        result = recommend_point(work, capacity, startup, holdout)
        rec, auto, floor = (result.policy(p) for p in (Policy.SCHEDULE, Policy.AUTOSCALE, Policy.FORESIGHT))
        print(f"  {capacity:>8} {startup:>7}m {holdout:>7}w {rec.cost_usd:>10.2f} {rec.failed_pct:>12.3f} "
              f"{auto.cost_usd:>11.2f} {auto.failed_pct:>13.3f} {floor.cost_usd:>11.2f}")  # fmt: skip
        for name, target in work.targets.items():
            met[name] += target(result)
    for name, count in met.items():
        print(f"  target {name}: {count}/{len(points)} grid points ({100 * count / len(points):.0f} %)")


def office_trace() -> Trace:
    rows = traces.generate(traces.business_hours(), weeks=6, zone="Europe/Paris", seed=11)
    with tempfile.TemporaryDirectory() as directory:
        return read_trace(traces.write(Path(directory) / "office.csv", rows))


YEAR_SCHEDULE = """
version: 1
timezone: UTC
endpoints:
  - namespace: bench
    name: web
    schedule:
      - window: "mon-fri 09:00-18:00"
        prewarm: 5m
        during: {action: resume, min_replicas: 3, max_replicas: 8}
        outside: {action: scale_to_zero, scale_to_zero_timeout: 15}
"""


def one_year() -> None:
    """A year of business-hours minutes through every policy; run in a child process for its memory
    (the demand is built as plain counts: no CSV rows held, so the figure is the replay's own)."""
    import math
    import random

    rng, shape = random.Random(3), traces.business_hours()
    demand = []
    for minute in range(52 * 7 * 1440):
        mean = shape((minute // 1440) % 7, minute % 1440) * rng.uniform(0.85, 1.15)
        demand.append(0 if mean <= 0 else max(0, round(rng.gauss(mean, math.sqrt(mean)))))
    trace = Trace(datetime(2026, 1, 5, tzinfo=UTC), tuple(demand), frozenset())
    del demand
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "year.yaml"
        path.write_text(YEAR_SCHEDULE)
        schedule = load_config([path]).endpoint("bench/web")
    setup = Setup("bench/web", ReplicaModel(100, 5), PRICE, 8)
    started = time.process_time()
    run_backtest(trace, setup, schedule)
    seconds = time.process_time() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  one year ({len(trace.requests):,} minutes) through all {len(Policy)} policies: {seconds:.2f} s CPU "
          f"(target < 10 s), peak memory of the process {peak:.0f} MB (target < 150 MB)")  # fmt: skip


def timings(nasa: Path | None) -> None:
    print("\nTimings")
    if nasa is not None:
        started = time.process_time()
        work = Workload("NASA", read_trace(nasa), None, {})
        recommend_point(work, 54, 5, 2)
        print(f"  recommend on NASA (54 rpm, 5m, 2 weeks held out): {time.process_time() - started:.2f} s CPU "
              f"(target < 5 s)")  # fmt: skip
    subprocess.run([sys.executable, __file__, "--one-year"], check=True)


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(","))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trace", type=Path, default=os.environ.get("HFWARDEN_TRACE"), help="the NASA trace")
    parser.add_argument("--quick", action="store_true", help="one grid point per trace, then the timings")
    parser.add_argument("--capacities", type=_ints, default=CAPACITIES, metavar="45,54,...", help="a part of the grid")
    parser.add_argument("--startups", type=_ints, default=STARTUPS, metavar="2,5,10", help="minutes")
    parser.add_argument("--holdouts", type=_ints, default=HOLDOUTS, metavar="1,2,3", help="weeks")
    parser.add_argument("--one-year", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    axes = ((54,), (5,), (2,)) if args.quick else (args.capacities, args.startups, args.holdouts)
    if args.one_year:
        one_year()
        return
    nasa = Path(args.trace) if args.trace else None
    if nasa is None:
        print("NASA trace: skipped (give --trace PATH or set HFWARDEN_TRACE)")
    else:
        targets = {"no rejection": no_rejection, "NASA: failed <= 1/3 autoscale at <= 1.15x cost": nasa_target}
        grid(Workload("NASA", read_trace(nasa), None, targets), axes)
    office = {"no rejection": no_rejection, "office: cost <= 1.15x foresight, failed <= 0.5 %": office_target}
    grid(Workload("business hours (seed 11, Europe/Paris)", office_trace(), "Europe/Paris", office), axes)
    timings(nasa)


if __name__ == "__main__":
    main()
