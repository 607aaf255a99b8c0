"""Daemon start-up time to its first completed pass, and idle RSS with the HTTP server on. Prints figures.

`hfwarden run` as a process against the emulator (its own process), with the shipped schedules and
--endpoints more endpoints in the namespace (default 1,000). Start-up is measured from spawning the
process to /readyz answering 200 (config loaded, store reachable, first pass done).

    .venv/bin/python bench/startup.py [--endpoints 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _emulator import daemon_env, seed_file, start_emulator

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        emulator, base = start_emulator(seed_file(tmp, 1, args.endpoints))
        schedule = tmp / "s.yaml"
        schedule.write_text(
            "version: 1\nendpoints:\n"
            "  - {namespace: ns-00, name: ep-0000, schedule: [{cron: '@daily', action: resume}]}\n"
            "budgets:\n  - {name: all, daily_usd: 100000, scope: {namespace: ns-00}}\n"
        )
        timings, rss = [], []
        try:
            for run in range(args.runs):
                port = free_port()
                env = daemon_env(
                    base,
                    tmp,
                    state_dir=str(tmp / f"state-{run}"),
                    http_host="127.0.0.1",
                    http_port=str(port),
                    log_level="warning",
                )
                started = time.perf_counter()
                daemon = subprocess.Popen(
                    [sys.executable, "-m", "hfwarden", "run", "--config", str(schedule)],
                    env=env,
                    stderr=subprocess.DEVNULL,
                )
                try:
                    while True:
                        try:
                            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                                break
                        except httpx.HTTPError:
                            pass
                        time.sleep(0.01)
                    timings.append(time.perf_counter() - started)
                    time.sleep(10)  # idle: a few ticks' worth of nothing to do
                    httpx.get(f"http://127.0.0.1:{port}/metrics")
                    rss.append(rss_mb(daemon.pid))
                finally:
                    daemon.terminate()
                    daemon.wait(30)
        finally:
            emulator.terminate()
            emulator.wait(10)
    print(
        f"start-up to first completed pass, {args.endpoints} endpoints observed: "
        f"median {statistics.median(timings):.2f} s over {args.runs} runs ({', '.join(f'{t:.2f}' for t in timings)})"
    )
    print(f"idle RSS with the HTTP server on: median {statistics.median(rss):.0f} MB")


if __name__ == "__main__":
    main()
