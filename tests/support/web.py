"""A daemon with its HTTP surface against a small emulator, and waiting for a condition to hold."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from huggingface_hub import constants

from hfwarden.config import load_config
from hfwarden.daemon import Daemon
from hfwarden.emulator.server import Emulator, SeedEndpoint
from hfwarden.emulator.world import Timings
from hfwarden.settings import Settings

TOKEN = "hf_WebTestTokenValue1234567"


SCHEDULE = """version: 1
endpoints:
  - {namespace: acme, name: chat, priority: 1}
budgets:
  - {name: prod, daily_usd: 1000, scope: {namespace: acme}}
"""


@contextmanager
def seeded_emulator() -> Iterator[Emulator]:
    """The `live` fixture's emulator (tests/conftest.py)."""
    seeds = [
        SeedEndpoint("acme", "chat", "aws/us-east-1/nvidia-l4/x1", "running"),
        SeedEndpoint("acme", "other", "aws/us-east-1/nvidia-t4/x1", "paused"),
    ]
    with Emulator(
        timings=Timings(pending_seconds=0.1, init_seconds=0.2, update_seconds=0.2),
        tokens={TOKEN: frozenset({"acme"})},
        seeds=seeds,
    ) as emu:
        yield emu


@contextmanager
def running_daemon(live: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Daemon]:
    """The `daemon` fixture's daemon (tests/conftest.py)."""
    monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", constants.INFERENCE_ENDPOINTS_ENDPOINT)
    monkeypatch.setattr(constants, "ENDPOINT", constants.ENDPOINT)
    schedule = tmp_path / "s.yaml"
    schedule.write_text(SCHEDULE)
    settings = Settings(
        hf_token=TOKEN,
        endpoints_api_url=live.api_url,
        hub_url=live.base_url,
        state_dir=tmp_path,
        tick_seconds=0.3,
        follow_up_seconds=0.1,
        http_host="127.0.0.1",
        http_port=0,
        health_stale_seconds=1.5,
    )
    running = Daemon(settings, [schedule], load_config([schedule]))
    running.start()
    try:
        yield running
    finally:
        running.stop()


def eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")
