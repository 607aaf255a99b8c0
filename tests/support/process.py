"""`hfwarden` as a process against an emulator: its environment, a run in the background, its log lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hfwarden.emulator.server import Emulator, SeedEndpoint
from hfwarden.emulator.world import Timings

TOKEN = "hf_SecretTestTokenValue123456"


@contextmanager
def thirty_endpoints() -> Iterator[Emulator]:
    """The `live_emulator` fixture's emulator (tests/conftest.py)."""
    seeds = [SeedEndpoint("acme", f"ep-{i:02d}", "aws/us-east-1/nvidia-t4/x1", "running") for i in range(30)]
    with Emulator(
        timings=Timings(pending_seconds=0.2, init_seconds=0.5, update_seconds=0.3),
        tokens={TOKEN: frozenset({"acme"})},
        seeds=seeds,
    ) as emu:
        yield emu


def env_for(emulator: Emulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HFWARDEN_"))}
    env.update(
        {
            "HF_TOKEN": TOKEN,
            "HF_HOME": str(tmp_path / "hf_home"),
            "HFWARDEN_ENDPOINTS_API_URL": emulator.api_url,
            "HFWARDEN_HUB_URL": emulator.base_url,
            "HFWARDEN_STATE_DIR": str(tmp_path / "state"),
            "HFWARDEN_LOG_FORMAT": "json",
            "HFWARDEN_BACKOFF_BASE_SECONDS": "0.01",
            "HFWARDEN_HTTP_HOST": "127.0.0.1",
            "HFWARDEN_HTTP_PORT": "0",
            **extra,
        }
    )
    return env


def hfwarden(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hfwarden", *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


class Running:
    """`hfwarden run` in the background, its JSON log lines collected as they come."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hfwarden", "run", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def events(self) -> list[dict[str, Any]]:
        found = []
        for line in list(self.lines):
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
        return found

    def wait_for(self, event: str, count: int = 1, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            matching = [e for e in self.events() if e.get("event") == event]
            if len(matching) >= count:
                return matching[count - 1]
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {event!r} (x{count}) in:\n{''.join(self.lines)}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
