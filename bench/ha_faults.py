"""The fault scenario, replayed: two `hfwarden run` processes on one real PostgreSQL against the emulator
(its own process) with 20% of API calls failing (503, 429, 500 in turn, and dropped connections),
endpoints with a transition every minute for 10 minutes, and the leader killed with SIGKILL three
times, a fresh standby started after each kill.

Prints: transitions due, done, lost (target 0), repeated (target 0); alerts raised, delivered,
duplicated (target 0); the ledger against the emulator's bill. Asserts nothing. Takes ~11 minutes.

    .venv/bin/python bench/ha_faults.py [--minutes 10] [--endpoints 6]
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
from _emulator import TOKEN, clear_requests, daemon_env, requests_log, seed_file, start_emulator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hfwarden.adapters.store import Store
from hfwarden.adapters.store.tables import alert_marks
from hfwarden.app.reconcile.ledger import Ledger
from hfwarden.core.platform.billing import exact_usd
from tests.support.postgres import fresh_database, postgres_server


class Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        Receiver.received.append(self.headers.get("X-Hfwarden-Delivery", ""))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return


def schedule_text(endpoints: int, hook: str) -> str:
    rules = "[{cron: '*/2 * * * *', action: pause}, {cron: '1-59/2 * * * *', action: resume}]"
    lines = ["version: 1", "timezone: UTC", "endpoints:"]
    lines += [f"  - {{namespace: ns-00, name: ep-{i:04d}, schedule: {rules}}}" for i in range(endpoints)]
    lines += [
        "budgets:",
        "  - {name: tiny, daily_usd: 0.05, on_breach: alert_only, alert_at: [0.1, 0.2, 0.3, 0.5, 1.0]}",
        "alerts:",
        f"  webhooks: [{{name: ops, url: '{hook}', secret: a-long-enough-bench-secret}}]",
    ]
    return "\n".join(lines) + "\n"


def rotate_faults(base: str, stop: threading.Event) -> None:
    """20% of calls fail; which way changes every 15 s, with a few connections dropped in between."""
    for status in itertools.cycle([503, 429, 500]):
        httpx.post(f"{base}/_emulator/faults", json={"error_rate": 0.2, "error_status": status, "drop_next": 2})
        if stop.wait(15):
            return


def daemon(env: dict[str, str], path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "hfwarden", "run", "--config", str(path)], env=env, stderr=subprocess.DEVNULL
    )


def leader_pid(url: str) -> int | None:
    store = Store(url)
    try:
        holder = store.lease_holder()
    finally:
        store.close()
    return int(holder.split(":")[1]) if holder else None


def run(minutes: int, endpoints: int, tmp: Path, pg: str) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
    emulator, base = start_emulator(seed_file(tmp, 1, endpoints, "aws/us-east-1/nvidia-t4/x1"))
    url = fresh_database(pg)
    path = tmp / "schedule.yaml"
    path.write_text(schedule_text(endpoints, hook))
    env = daemon_env(
        base,
        tmp,
        state_url=url,
        log_format="json",
        tick_seconds="5",
        lease_seconds="15",
        http_port="0",
        backoff_base_seconds="0.2",
    )
    stop = threading.Event()
    processes = [daemon(env, path)]
    time.sleep(3)
    processes.append(daemon(env, path))
    first_bill = bill(base)
    start = datetime.now(UTC)
    clear_requests(base)
    threading.Thread(target=rotate_faults, args=(base, stop), daemon=True).start()
    kills = [minutes * 60 * f for f in (0.25, 0.55, 0.85)]
    try:
        for at in kills:
            time.sleep(max(0.0, start.timestamp() + at - time.time()))
            pid = leader_pid(url)
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
                print(f"{datetime.now(UTC):%H:%M:%S} killed the leader (pid {pid})", flush=True)
            processes.append(daemon(env, path))
        time.sleep(max(0.0, start.timestamp() + minutes * 60 - time.time()))
        stop.set()
        httpx.post(f"{base}/_emulator/faults", json={})
        time.sleep(20)  # the last transitions and alert retries settle without faults
        calls = requests_log(base)
        end = datetime.now(UTC)
        # Stop the bill (pause everything by hand) and let a pass see it, so both totals are final.
        for i in range(endpoints):
            httpx.post(f"{base}/v2/endpoint/ns-00/ep-{i:04d}/pause", headers={"Authorization": f"Bearer {TOKEN}"})
        time.sleep(12)
        last_bill = bill(base)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(30)
        emulator.terminate()
        emulator.wait(10)
        server.shutdown()
    report(start, end, endpoints, calls, url, (first_bill, last_bill))


def bill(base: str) -> dict[str, float]:
    rows = httpx.get(f"{base}/_emulator/billing").json()["endpoints"]
    return {f"{r['namespace']}/{r['name']}": float(r["exact_usd"]) for r in rows}


def report(
    start: datetime,
    end: datetime,
    endpoints: int,
    calls: list[dict[str, Any]],
    url: str,
    bills: tuple[dict[str, float], dict[str, float]],
) -> None:
    fires = [start.replace(second=0, microsecond=0) + timedelta(minutes=m) for m in range(1, 60 * 24)]
    fires = [f for f in fires if f < end - timedelta(seconds=20)]
    due = {(f"ep-{i:04d}", f) for i in range(endpoints) for f in fires}
    applied: Counter[tuple[str, datetime]] = Counter()
    seen: dict[tuple[str, datetime], list[str]] = {}
    for call in calls:
        path, status = str(call["path"]), call["status"]
        if call["method"] != "POST" or status not in (200, 202) or not path.endswith(("/pause", "/resume")):
            continue
        at = datetime.fromisoformat(str(call["time"]).replace("Z", "+00:00"))
        fire = max((f for f in fires if f <= at), default=None)
        if fire is not None:
            applied[(path.split("/")[-2], fire)] += 1
            seen.setdefault((path.split("/")[-2], fire), []).append(f"{call['time']} {path.rsplit('/', 1)[-1]}")
    done = set(applied) & due
    print(f"transitions due {len(due)}, done {len(done)}, lost {len(due - done)}, ", end="")
    print(f"repeated {sum(1 for n in applied.values() if n > 1)}")
    for key, n in sorted(applied.items()):
        if n > 1:
            print(f"  repeated: {key[0]} fire {key[1]:%H:%M}: {', '.join(seen[key])}")
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            raised = conn.execute(alert_marks.select()).all()
        ledger = Ledger(store, now=end, gap_after=timedelta(minutes=5))
        spent = sum(exact_usd(ledger.stretches(e), start, datetime.now(UTC)) for e in bills[1])
    finally:
        store.close()
    delivered = set(Receiver.received)
    print(
        f"alerts raised {len(raised)}, delivered {len(delivered)}, duplicated {len(Receiver.received) - len(delivered)}"
    )
    truth = sum(bills[1].values()) - sum(bills[0].values())
    error = (spent - truth) / truth * 100 if truth else float("nan")
    print(f"ledger ${spent:.4f} vs emulator ${truth:.4f} ({error:+.2f} %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--endpoints", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory, postgres_server() as pg:
        run(args.minutes, args.endpoints, Path(directory), pg)


if __name__ == "__main__":
    main()
