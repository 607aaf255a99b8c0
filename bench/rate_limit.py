"""Transitions under the API's rate limit (issue 19): the emulator in its own process with
`--rate-limit`, hfwarden's Hub adapter and executor in this one, every endpoint due at once (harder
than "due within one minute").

Prints, with a limit: the time to carry out all transitions against two windows + 30 s, transitions
lost, 429s received; without a limit: the delay from the start to the emulator receiving each call
(p50/p99); and this process's peak RSS (the emulator's is not counted). `--small` accelerates the
windows: `--window-scale 0.04` runs 100/300s as 100/12s (same calls per window, shorter windows); the
full run uses real 300 s windows (about 11 minutes, mostly waiting). Asserts nothing.

    .venv/bin/python bench/rate_limit.py --small          # 200 transitions against 100 per window, x0.04
    .venv/bin/python bench/rate_limit.py                  # 5,000 against 2500/300s, 1,000 free
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from _emulator import TOKEN, clear_requests, requests_log, seed_file, start_emulator

from hfwarden import logs
from hfwarden.adapters.hub import Hub, RetryPolicy, configure_client
from hfwarden.app.reconcile.execute import Executor
from hfwarden.clock import SystemClock
from hfwarden.core.decide import Decision, Step, StepKind, Verdict


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def carry_out_all(base: str, endpoints: int, *, quota_wait_s: float) -> tuple[float, int, float]:
    """Pause every endpoint at once: (seconds to the last answer, failures or deferrals, start epoch)."""
    configure_client(endpoints_api_url=f"{base}/v2", hub_url=base, timeout_seconds=60)
    hub = Hub(TOKEN, hub_url=base, retry=RetryPolicy(max_attempts=3, max_quota_wait_seconds=quota_wait_s))
    observed = {o.key: o for o in hub.list_endpoints("ns-00")}
    executor = Executor(hub, clock=SystemClock(), max_concurrency=16)
    decisions = [Decision(key, Verdict.ACT, "bench", None, (Step(StepKind.PAUSE),)) for key in sorted(observed)]
    started = time.time()
    outcomes = executor.carry_out(decisions, observed)
    elapsed = time.time() - started
    executor.close()
    lost = sum(1 for o in outcomes if o.error is not None or o.deferred)
    return elapsed, lost, started


def limited(endpoints: int, limit: int, window_s: float, scale: float, tmp: Path) -> None:
    window = window_s * scale
    process, base = start_emulator(seed_file(tmp, 1, endpoints), extra=("--rate-limit", f"{limit}/{window}s"))
    try:
        elapsed, lost, _ = carry_out_all(base, endpoints, quota_wait_s=window + 30)
        refused = sum(1 for r in requests_log(base) if r["status"] == 429)
        target = 2 * window + 30 * scale
        print(
            f"rate-limited: {endpoints} transitions against {limit}/{window:.1f}s"
            f" (= {limit}/{window_s:.0f}s x {scale}):"
            f" done in {elapsed:.1f} s (target <= {target:.1f} s = two windows + 30 s scaled),"
            f" lost {lost}, 429s {refused}"
        )
    finally:
        process.terminate()


def unlimited(endpoints: int, tmp: Path) -> None:
    process, base = start_emulator(seed_file(tmp, 1, endpoints))
    try:
        clear_requests(base)
        _, lost, started = carry_out_all(base, endpoints, quota_wait_s=330)
        times = [
            datetime.fromisoformat(str(r["time"]).replace("Z", "+00:00")).timestamp() - started
            for r in requests_log(base)
            if str(r["path"]).endswith("/pause")
        ]
        q = statistics.quantiles(times, n=100)
        print(f"unlimited: {endpoints} simultaneous transitions: p50 {q[49]:.3f} s, p99 {q[98]:.3f} s, lost {lost}")
    finally:
        process.terminate()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="200 transitions against 100 per window; 200 free")
    parser.add_argument(
        "--window-scale", type=float, default=None, help="window length factor (default: 0.04 with --small, else 1)"
    )
    args = parser.parse_args()
    logs.configure("console", level="error")
    limited_n, limit, free_n = (200, 100, 200) if args.small else (5000, 2500, 1000)
    scale = args.window_scale if args.window_scale is not None else (0.04 if args.small else 1.0)
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        limited(limited_n, limit, 300.0, scale, tmp)
        unlimited(free_n, tmp)
    print(f"peak RSS of the hfwarden side: {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
