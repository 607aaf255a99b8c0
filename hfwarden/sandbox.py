"""`hfwarden sandbox`: the daemon, for real, against an emulator with demo endpoints. Nothing to set up."""

from __future__ import annotations

import shlex
import signal
import tempfile
import threading
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType

import httpx

from hfwarden import logs
from hfwarden.clock import SystemClock
from hfwarden.config import load_config
from hfwarden.daemon import Daemon
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator, SeedEndpoint
from hfwarden.emulator.world import Timings
from hfwarden.settings import Settings

DEMO_ENDPOINTS = [
    SeedEndpoint("acme", "chat-llama", "aws/us-east-1/nvidia-l4/x1", "running", 1, 2),
    SeedEndpoint("acme", "embedder", "aws/us-east-1/nvidia-t4/x1", "paused", 0, 2, 15),
    SeedEndpoint("acme", "nightly-batch", "aws/us-east-1/nvidia-a10g/x1", "running", 1, 1),
    SeedEndpoint("acme", "search", "aws/us-east-1/intel-spr/x2", "running", 1, 1),
]


def demo_schedule(now: datetime) -> str:
    """A daily schedule whose next transitions fall in the next two minutes, plus one missed at midnight,
    and a budget that the schedules would pass.

    Each endpoint also has a rule an hour ago that matches its state now, so the first pass finds
    nothing to catch up for them; nightly-batch's midnight pause was missed and is caught up at once.
    The budget is set so that embedder's coming resume would pass it: the guard latches embedder
    first, and its resume is suppressed.
    """
    earlier = now.replace(second=0, microsecond=0) - timedelta(hours=1)
    first = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    second = first + timedelta(minutes=1)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    hours_left = (midnight - now).total_seconds() / 3600
    daily = round(0.2 * hours_left + 0.05, 2)

    def at(when: datetime) -> str:
        return f"{when.minute} {when.hour} * * *"

    return f"""\
version: 1
timezone: UTC
endpoints:
  - namespace: acme
    name: embedder            # paused; its schedule resumes it at {first:%H:%M} UTC, unless the budget says no
    schedule:
      - cron: "{at(earlier)}"
        action: pause
      - {{cron: "{at(first)}", action: resume, min_replicas: 1, max_replicas: 2}}
  - namespace: acme
    name: chat-llama          # running; two replicas minimum at {first:%H:%M}, paused at {second:%H:%M}
    priority: 10
    schedule:
      - {{cron: "{at(earlier)}", action: resume, min_replicas: 1, max_replicas: 2}}
      - {{cron: "{at(first)}", action: scale, min_replicas: 2, max_replicas: 2}}
      - cron: "{at(second)}"
        action: pause
  - namespace: acme
    name: nightly-batch       # its midnight pause was missed while hfwarden was down: caught up at start
    schedule:
      - cron: "0 0 * * *"
        action: pause
  - namespace: acme
    name: search              # no schedule; protected from the budget guard
    protected: true

budgets:
  - name: demo
    daily_usd: {daily}          # embedder's resume would cost ${0.5 * hours_left:.2f} by midnight UTC
    timezone: UTC
    scope: {{namespace: acme}}
"""


def sandbox_environment(emulator: Emulator, state_dir: Path, schedule: Path) -> dict[str, str]:
    """What a second terminal exports to run `status`, `hold` and `release` against the sandbox."""
    return {
        "HF_TOKEN": DEFAULT_TOKEN,
        "HFWARDEN_ENDPOINTS_API_URL": emulator.api_url,
        "HFWARDEN_HUB_URL": emulator.base_url,
        "HFWARDEN_STATE_DIR": str(state_dir),
        "HFWARDEN_CONFIG": str(schedule),
    }


def run_sandbox(*, seconds: float = 150.0, keep: bool = False) -> int:
    """Run the emulator and the daemon side by side for `seconds`, logging every decision live; with
    `keep`, leave both running afterwards until SIGINT/SIGTERM."""
    logs.configure("console")
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    timings = Timings(pending_seconds=3, init_seconds=12, update_seconds=8)
    clock = SystemClock()
    with (
        tempfile.TemporaryDirectory(prefix="hfwarden-sandbox-") as tmp,
        Emulator(clock=clock, timings=timings, seeds=DEMO_ENDPOINTS) as emulator,
    ):
        schedule = Path(tmp) / "demo.yaml"
        schedule.write_text(demo_schedule(clock.now()))
        print(f"emulator: {emulator.base_url}  (state and schedule in {tmp})")
        print(schedule.read_text())
        daemon = Daemon(_settings(emulator, Path(tmp)), [schedule], load_config([schedule]), clock=clock)
        daemon.start()
        if daemon.http is not None:
            print(f"status page: {daemon.http.base_url}/", flush=True)
            print(f"metrics: {daemon.http.base_url}/metrics   health: {daemon.http.base_url}/healthz", flush=True)
        environment = sandbox_environment(emulator, Path(tmp), schedule)
        if keep:
            _print_environment(environment)
        stop.wait(seconds)
        if keep and not stop.is_set():
            print("\n--keep: the emulator and the daemon keep running; Ctrl-C stops them", flush=True)
            _print_environment(environment)
            stop.wait()
        daemon.stop()
        _print_bill(emulator)
    return 0


def _settings(emulator: Emulator, state_dir: Path) -> Settings:
    return Settings(
        hf_token=DEFAULT_TOKEN,
        endpoints_api_url=emulator.api_url,
        hub_url=emulator.base_url,
        state_dir=state_dir,
        tick_seconds=3,
        log_format="console",
        backoff_base_seconds=0.2,
        http_host="127.0.0.1",
        http_port=0,
    )


def _print_environment(environment: dict[str, str]) -> None:
    print("in another terminal, to try status, hold and release on the sandbox:", flush=True)
    for name, value in environment.items():
        print(f"  export {name}={shlex.quote(value)}", flush=True)


def _print_bill(emulator: Emulator) -> None:
    bill = httpx.get(f"{emulator.base_url}/_emulator/billing").json()
    print("\nemulator ground-truth bill for this run:")
    for row in bill["endpoints"]:
        print(f"  {row['namespace']}/{row['name']:<16} ${row['usd']:.4f}  ({row['replica_seconds']:.0f} replica-s)")
    print(f"  total ${bill['total_usd']:.4f}")
