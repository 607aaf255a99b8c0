"""Backtest and recommend on the shared NASA trace and a seeded business-hours trace. Prints figures.

NASA-HTTP July-August 1995, 54 requests/minute per replica (its 99.9th-percentile minute needs 4
replicas), max 8 replicas, 5-minute cold start, the last 2 weeks held out. For each policy on the
held-out weeks: cost / oracle and delayed %; the recommended schedule against its targets (delayed %
at most a quarter of autoscale's, cost at most 1.2× autoscale's); the time of a 5-policy backtest of
the whole trace (target < 5 s on one core). Then a business-hours trace (nothing at night or at
weekends, a 09:00 surge, a lunch dip): held-out delayed <= 1 % and cost <= 1.3× oracle.

    .venv/bin/python bench/backtest.py [--trace PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hfwarden.adapters.trace import Trace, read_trace  # noqa: E402
from hfwarden.app.backtest import Backtest, Policy, Setup, run_backtest  # noqa: E402
from hfwarden.app.recommend import learn, split, zone_of  # noqa: E402
from hfwarden.core.platform.autoscaling import ReplicaModel  # noqa: E402
from tests.support import traces  # noqa: E402

NASA = REPO.parent / "shared" / "data" / "nasa-http-1995-requests-per-minute.csv.gz"
PRICE = 0.8  # aws/us-east-1/nvidia-l4/x1


def table(result: Backtest) -> None:
    oracle = result.policy(Policy.ORACLE).cost_usd
    print(f"  {'policy':<14} {'cost $':>9} {'/ oracle':>9} {'delayed %':>10} {'cold starts':>12} {'rejected':>9}")
    for p in result.policies:
        print(
            f"  {p.name.value:<14} {p.cost_usd:>9.2f} {p.cost_usd / oracle:>9.3f} {p.delayed_pct:>10.3f} "
            f"{p.cold_starts:>12} {p.requests_rejected:>9}"
        )


def recommend_and_hold_out(trace: Trace, setup: Setup, weeks: int, zone: ZoneInfo) -> tuple[Backtest, int, float]:
    training, holdout = split(trace, weeks)
    assert holdout is not None
    learnt = learn(training, setup, zone, max_delayed_pct=1.0)
    schedule = learnt.recommendation.schedule(*setup.endpoint.split("/"))
    print(f"  learnt p{learnt.recommendation.quantile * 100:g} floors, {len(schedule.rules)} rules")
    return run_backtest(holdout, setup, schedule), len(schedule.rules), learnt.recommendation.quantile


def nasa(path: Path) -> None:
    trace = read_trace(path)
    setup = Setup("nasa/web", ReplicaModel(capacity_rpm=54, cold_start_minutes=5), PRICE, max_replicas=8)
    print(f"NASA trace: {len(trace.requests):,} minutes, {sum(trace.requests):,} requests; held out: last 2 weeks")
    result, _rules, _q = recommend_and_hold_out(trace, setup, 2, zone_of(trace, None))
    table(result)
    auto, rec = result.policy(Policy.AUTOSCALE), result.policy(Policy.SCHEDULE)
    print(
        f"  recommended vs autoscale: delayed {rec.delayed_pct:.3f} % (target <= {auto.delayed_pct / 4:.3f}), "
        f"cost {rec.cost_usd / auto.cost_usd:.3f}× (target <= 1.2)"
    )
    schedule = learn(split(trace, 2)[0], setup, zone_of(trace, None), 1.0).recommendation.schedule("nasa", "web")
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        run_backtest(trace, setup, schedule)
        timings.append(time.perf_counter() - started)
    print(f"  backtest of the whole trace, 5 policies: {min(timings):.2f} s (best of 3; target < 5 s)")


def business_hours() -> None:
    rows = traces.generate(traces.business_hours(), weeks=5, zone="Europe/Paris", seed=11)
    with tempfile.TemporaryDirectory() as directory:
        trace = read_trace(traces.write(Path(directory) / "biz.csv", rows))
    setup = Setup("acme/office", ReplicaModel(capacity_rpm=100, cold_start_minutes=5), PRICE, max_replicas=6)
    print("\nBusiness-hours trace (seed 11, Europe/Paris, 5 weeks, the last held out; 100 requests/minute per replica)")
    result, _rules, _q = recommend_and_hold_out(trace, setup, 1, ZoneInfo("Europe/Paris"))
    table(result)
    rec, oracle = result.policy(Policy.SCHEDULE), result.policy(Policy.ORACLE)
    print(
        f"  recommended: delayed {rec.delayed_pct:.3f} % (target <= 1), "
        f"cost {rec.cost_usd / oracle.cost_usd:.3f}× oracle (target <= 1.3)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trace", type=Path, default=NASA)
    args = parser.parse_args()
    nasa(args.trace)
    business_hours()


if __name__ == "__main__":
    main()
