"""A daemon on a manual clock against the emulator, for the status page tests (HTTP and browser) and
the page bench: three endpoints, one protected by a window, one the budget guard pauses, one nobody
declared."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from huggingface_hub import constants

from hfwarden.clock import ManualClock, SystemClock
from hfwarden.config import load_config
from hfwarden.daemon import Daemon
from hfwarden.emulator.server import Emulator, SeedEndpoint
from hfwarden.emulator.world import Timings
from hfwarden.settings import Settings

TOKEN = "hf_PageTestTokenValue1234567"
UI_TOKEN = "ui-SecretPageToken-0123456789"
SCHEDULE = """version: 1
timezone: Europe/Paris
endpoints:
  - namespace: acme
    name: chat
    priority: 10
    protected: true
    schedule:
      - window: "mon-fri 09:00-18:00"
        during: {action: resume, min_replicas: 1, max_replicas: 2}
        outside: {action: scale_to_zero}
  - namespace: acme
    name: batch
    schedule:
      - {cron: "0 7 * * *", action: resume}
      - {cron: "0 22 * * *", action: pause}
budgets:
  - {name: prod, daily_usd: 20, timezone: UTC, scope: {namespace: acme}}
"""
SEEDS = [
    SeedEndpoint("acme", "chat", "aws/us-east-1/nvidia-l4/x1", "running"),
    SeedEndpoint("acme", "batch", "aws/us-east-1/nvidia-a100/x1", "running"),
    SeedEndpoint("acme", "stray", "aws/us-east-1/nvidia-t4/x1", "running"),
]


def future_monday_8am() -> datetime:
    """A Monday 08:00 UTC a month ahead of the real date: the scheduler's jobs (real time) at times
    of the manual clock then never fire during a test, instead of firing in a loop if in the past."""
    today = SystemClock().now().date() + timedelta(days=30)
    monday = today + timedelta(days=(7 - today.weekday()) % 7)
    return datetime(monday.year, monday.month, monday.day, 8, 0, tzinfo=UTC)


@dataclass
class World:
    daemon: Daemon
    clock: ManualClock
    emulator: Emulator

    @property
    def base_url(self) -> str:
        assert self.daemon.http is not None
        return self.daemon.http.base_url

    def after_next_pass(self) -> None:
        """Run a pass now. The scheduler's tick lies a month ahead on the manual clock, so passes
        happen exactly when a test says, through the daemon's own `run_pass`."""
        self.daemon.run_pass()

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.after_next_pass()


@contextlib.contextmanager
def page_world(
    tmp_path: Path,
    *,
    ui_token: str | None = None,
    schedule: str = SCHEDULE,
    seeds: list[SeedEndpoint] | None = None,
    settings: dict[str, object] | None = None,
) -> Iterator[World]:
    """The emulator and the daemon sharing one manual clock; the guard has acted and seen the result."""
    clock = ManualClock(future_monday_8am())
    saved = constants.INFERENCE_ENDPOINTS_ENDPOINT, constants.ENDPOINT
    with Emulator(
        clock=clock,
        timings=Timings(pending_seconds=0, init_seconds=0, update_seconds=0),
        tokens={TOKEN: frozenset({"acme"})},
        seeds=SEEDS if seeds is None else seeds,
    ) as emulator:
        path = tmp_path / "schedules.yaml"
        path.write_text(schedule)
        values: dict[str, object] = dict(
            hf_token=TOKEN,
            endpoints_api_url=emulator.api_url,
            hub_url=emulator.base_url,
            state_dir=tmp_path / "state",
            tick_seconds=0.25,
            http_host="127.0.0.1",
            http_port=0,
            ui_token=ui_token,
        )
        values.update(settings or {})
        daemon = Daemon(Settings(**values), [path], load_config([path]), clock=clock, store=None)
        daemon.start()
        try:
            world = World(daemon, clock, emulator)
            world.after_next_pass()  # the guard pauses acme/batch
            world.after_next_pass()  # and sees it paused
            yield world
        finally:
            daemon.stop()
            constants.INFERENCE_ENDPOINTS_ENDPOINT, constants.ENDPOINT = saved
