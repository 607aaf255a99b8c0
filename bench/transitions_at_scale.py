"""Many endpoints changing in the same minute: `hfwarden run` as a process against the emulator (in its
own process, pinned to another core), every endpoint paused by one rule at the next minute boundary.

Prints, per size: the delay from the fire time to the emulator receiving each pause (p50, p99, max),
the daemon's peak RSS (read 15 s after the last call, once the pass has recorded its results), and the
CPU the daemon and the emulator used from the fire to the last call.
Targets (issue 8): 1,000 transitions p99 < 1 s, 5,000 < 3 s; peak RSS
< 120 MB at 5,000 endpoints. Asserts nothing.

    .venv/bin/python bench/transitions_at_scale.py [--endpoints 1000 5000] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _emulator import clear_requests, daemon_env, requests_log, seed_file, set_latency, start_emulator

NAMESPACES = 10
AFTER_THE_PASS_S = 15.0


def schedule_text(endpoints: int, fire: datetime) -> str:
    per_namespace = endpoints // NAMESPACES
    cron = f"{fire.minute} {fire.hour} {fire.day} {fire.month} *"
    lines = ["version: 1", "timezone: UTC", "endpoints:"]
    for n in range(NAMESPACES):
        for i in range(per_namespace):
            # A dated pause (last fired a year ago, before the 1 January resume) due at `fire`.
            rules = f"[{{cron: '0 0 1 1 *', action: resume}}, {{cron: '{cron}', action: pause}}]"
            lines.append(f"  - {{namespace: ns-{n:02d}, name: ep-{i:04d}, schedule: {rules}}}")
    return "\n".join(lines) + "\n"


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User and system CPU the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuSampler(threading.Thread):
    """The daemon's and the emulator's CPU every 0.1 s: what each used between the fire and the last call
    says whether the machine, not the code, sets the pace (the daemon's CPU runs one thread at a time
    under the GIL: the burst cannot be shorter than it)."""

    def __init__(self, daemon: int, emulator: int) -> None:
        super().__init__(daemon=True)
        self.pids = (daemon, emulator)
        self.samples: list[tuple[datetime, float, float]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.1):
            self.samples.append((datetime.now(UTC), *(cpu_seconds(pid) for pid in self.pids)))

    def used(self, start: datetime, end: datetime) -> tuple[float, float]:
        """CPU seconds (daemon, emulator) between the samples nearest `start` and `end`."""
        first = min(self.samples, key=lambda s: abs((s[0] - start).total_seconds()))
        last = min(self.samples, key=lambda s: abs((s[0] - end).total_seconds()))
        return last[1] - first[1], last[2] - first[2]


def one_size(endpoints: int, latency_ms: float, tmp: Path) -> None:
    process, base = start_emulator(seed_file(tmp, NAMESPACES, endpoints // NAMESPACES))
    try:
        set_latency(base, latency_ms)
        now = datetime.now(UTC)
        fire = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        if (fire - now).total_seconds() < 25:
            fire += timedelta(minutes=1)  # time to start and take a first idle pass before the fire
        path = tmp / f"scale-{endpoints}.yaml"
        path.write_text(schedule_text(endpoints, fire))
        env = daemon_env(
            base, tmp, state_dir=str(tmp / f"state-{endpoints}"), log_format="json", log_level="warning", http_port="0"
        )
        daemon = subprocess.Popen(
            [sys.executable, "-m", "hfwarden", "run", "--config", str(path)], env=env, stderr=subprocess.DEVNULL
        )
        try:
            time.sleep(max(0.0, (fire - datetime.now(UTC)).total_seconds() - 5))
            clear_requests(base)
            sampler = CpuSampler(daemon.pid, process.pid)
            sampler.start()
            deadline = fire + timedelta(seconds=60)
            while datetime.now(UTC) < deadline:
                done = [c for c in requests_log(base) if c["method"] == "POST"]
                if len(done) >= endpoints:
                    break
                time.sleep(2)
            delays = sorted(
                (datetime.fromisoformat(str(c["time"]).replace("Z", "+00:00")) - fire).total_seconds() for c in done
            )
            sampler.done.set()
            daemon_cpu, emulator_cpu = sampler.used(fire, fire + timedelta(seconds=delays[-1] if delays else 0))
            rss_at_last_call = peak_rss_mb(daemon.pid)
            # The pass records its thousands of results after its last call: the peak may come then.
            time.sleep(AFTER_THE_PASS_S)
            rss = peak_rss_mb(daemon.pid)
        finally:
            daemon.terminate()
            daemon.wait(30)
    finally:
        process.terminate()
        process.wait(10)
    if not delays:
        print(f"{endpoints} endpoints: no pause reached the emulator within 60 s")
        return
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(
        f"{endpoints} simultaneous transitions ({len(delays)} pauses): fire -> API call "
        f"p50 {statistics.median(delays) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms; "
        f"daemon peak RSS {rss:.0f} MB ({rss_at_last_call:.0f} MB by the last call)"
    )
    print(
        f"  CPU from the fire to the last call: daemon {daemon_cpu:.2f} s, emulator {emulator_cpu:.2f} s "
        f"({(daemon_cpu + emulator_cpu) / max(delays[-1], 1e-9):.2f} cores busy of {os.cpu_count()}); "
        f"daemon {daemon_cpu / len(delays) * 1000:.2f} ms of CPU per transition"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    print(f"emulator latency: {args.latency_ms:.0f} ms per API call; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as directory:
        for endpoints in args.endpoints:
            one_size(endpoints, args.latency_ms, Path(directory))


if __name__ == "__main__":
    main()
