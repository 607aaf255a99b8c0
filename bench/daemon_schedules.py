"""The daemon against the emulator with 20 ms of latency on every API call. Prints figures; asserts nothing.

1. Idle pass over 1,000 endpoints in 10 namespaces: API calls and wall time (target: exactly 10 calls, < 1 s).
2. 200 transitions due at the same instant: time to apply them all (target < 3 s).
3. Fire latency: `hfwarden run` as a process, 200 endpoints transitioning at each of the next two
   minute boundaries; the delay from fire time to the emulator receiving each call (target p99 < 1 s).
4. The daemon's RSS with 1,000 endpoints (target < 150 MB).

    .venv/bin/python bench/daemon_schedules.py [--quick]   (--quick skips 3 and 4, which wait ~2 minutes)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _emulator import TOKEN, clear_requests, daemon_env, requests_log, seed_file, set_latency, start_emulator

from hfwarden import logs
from hfwarden.adapters.hub import Hub, configure_client
from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.reconciler import Reconciler
from hfwarden.clock import ManualClock
from hfwarden.config import load_config

NAMESPACES, PER_NAMESPACE, TRANSITIONS = 10, 100, 200


def schedule_text(fire_minutes: list[datetime]) -> str:
    """1,000 endpoints: the first 200 pause/resume at the given minutes, the rest have a long-past resume."""
    lines = ["version: 1", "timezone: UTC", "endpoints:"]
    for n in range(NAMESPACES):
        for i in range(PER_NAMESPACE):
            index = n * PER_NAMESPACE + i
            rules = ["{cron: '0 0 1 1 *', action: resume}"]
            if index < TRANSITIONS:
                for k, minute in enumerate(fire_minutes):
                    action = "pause" if k % 2 == 0 else "resume"
                    # Dated, so that it has not fired since last year: older than the 1 January resume.
                    cron = f"{minute.minute} {minute.hour} {minute.day} {minute.month} *"
                    rules.append(f"{{cron: '{cron}', action: {action}}}")
            lines.append(f"  - {{namespace: ns-{n:02d}, name: ep-{i:04d}, schedule: [{', '.join(rules)}]}}")
    return "\n".join(lines) + "\n"


def in_process(base: str, tmp: Path) -> None:
    logs.configure("console", level="warning")
    configure_client(endpoints_api_url=f"{base}/v2", hub_url=base, timeout_seconds=20)
    fire = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=1)
    path = tmp / "bench.yaml"
    path.write_text(schedule_text([fire]))
    clock = ManualClock(fire - timedelta(minutes=5))
    store = Store(f"sqlite:///{tmp / 'bench.db'}")
    reconciler = Reconciler(config=load_config([path]), hub=Hub(TOKEN, hub_url=base), store=store, clock=clock)
    first = reconciler.run_pass()  # records the long-past transitions as satisfied
    clear_requests(base)
    started = time.perf_counter()
    idle = reconciler.run_pass()
    elapsed = time.perf_counter() - started
    calls = requests_log(base)
    print(
        f"idle pass over {idle.observed} endpoints in {NAMESPACES} namespaces: {len(calls)} API calls, "
        f"{elapsed * 1000:.0f} ms (first pass recorded {len(first.satisfied)} satisfied)"
    )
    clock.set(fire)
    clear_requests(base)
    started = time.perf_counter()
    busy = reconciler.run_pass()
    elapsed = time.perf_counter() - started
    mutating = [c for c in requests_log(base) if c["method"] == "POST"]
    print(
        f"{len(busy.acted)} simultaneous transitions applied in {elapsed * 1000:.0f} ms "
        f"({len(mutating)} mutating calls)"
    )
    reconciler.close()
    store.close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def as_daemon(base: str, tmp: Path) -> None:
    now = datetime.now(UTC)
    first = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    if (first - now).total_seconds() < 20:
        first += timedelta(minutes=1)  # leave time to start and settle before the first fire
    fires = [first, first + timedelta(minutes=1)]
    path = tmp / "daemon.yaml"
    path.write_text(schedule_text(fires))
    env = daemon_env(base, tmp, state_dir=str(tmp / "daemon-state"), log_format="json", log_level="warning")
    daemon = subprocess.Popen(
        [sys.executable, "-m", "hfwarden", "run", "--config", str(path)], env=env, stderr=subprocess.DEVNULL
    )
    try:
        time.sleep(5)
        print(f"daemon RSS with 1,000 endpoints after start-up: {rss_mb(daemon.pid):.0f} MB")
        clear_requests(base)
        print(f"waiting for fires at {', '.join(f'{f:%H:%M:%S}' for f in fires)} UTC ...", flush=True)
        while datetime.now(UTC) < fires[-1] + timedelta(seconds=10):
            time.sleep(1)
        delays = []
        for call in requests_log(base):
            if call["method"] != "POST":
                continue
            at = datetime.fromisoformat(str(call["time"]).replace("Z", "+00:00"))
            fire = max(f for f in fires if f <= at)
            delays.append((at - fire).total_seconds())
        delays.sort()
        p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
        print(
            f"fire latency over {len(delays)} calls in {len(fires)} fires: "
            f"median {statistics.median(delays) * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms"
        )
        print(f"daemon RSS with 1,000 endpoints after the fires: {rss_mb(daemon.pid):.0f} MB")
    finally:
        daemon.terminate()
        daemon.wait(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the daemon run that waits for two fire times")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        os.environ["HF_HOME"] = str(tmp / "hf_home")
        process, base = start_emulator(seed_file(tmp, NAMESPACES, PER_NAMESPACE))
        try:
            set_latency(base, 20)
            print("emulator latency: 20 ms per API call")
            in_process(base, tmp)
            if not args.quick:
                as_daemon(base, tmp)
        finally:
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    main()
