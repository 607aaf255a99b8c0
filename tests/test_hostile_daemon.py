"""`hfwarden run` against a hostile API (issue 18): SIGTERM ends the daemon within 10 s whatever the
network does."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hfwarden.emulator.server import Emulator, SeedEndpoint
from hfwarden.emulator.world import Timings
from tests.support.hostile_proxy import HostileProxy, Mode, Rule
from tests.support.process import TOKEN, Running, env_for

SCHEDULE = "version: 1\nendpoints:\n  - {namespace: acme, name: a1, schedule: [{cron: '0 0 1 1 *', action: pause}]}\n"


@pytest.fixture
def live_emulator() -> Iterator[Emulator]:
    seeds = [SeedEndpoint("acme", "a1", "aws/us-east-1/nvidia-t4/x1", "running")]
    with Emulator(
        timings=Timings(pending_seconds=0.2, init_seconds=0.5), tokens={TOKEN: frozenset({"acme"})}, seeds=seeds
    ) as emu:
        yield emu


def test_sigterm_ends_the_daemon_while_an_answer_is_dripped(live_emulator: Emulator, tmp_path: Path) -> None:
    """Fixed: the list answer came one byte every 0.5 s, the per-read timeout never fired, the pass
    never ended and SIGTERM (which waits for the pass) never stopped the daemon."""
    schedule = tmp_path / "s.yaml"
    schedule.write_text(SCHEDULE)
    with HostileProxy(live_emulator.base_url) as proxy:
        dripped = Rule("/endpoint/acme", Mode.DRIP, method="GET", interval=0.5)
        proxy.rules.append(dripped)
        env = env_for(live_emulator, tmp_path, HFWARDEN_ENDPOINTS_API_URL=proxy.api_url, HFWARDEN_HUB_URL=proxy.url)
        daemon = Running(["--config", str(schedule)], env)
        try:
            daemon.wait_for("daemon_started")
            while dripped.hits == 0 and daemon.process.poll() is None:
                time.sleep(0.05)  # polling the proxy: the list call is under way
            daemon.process.send_signal(signal.SIGTERM)
            try:
                code = daemon.process.wait(10)  # the contract: exit 0 within 10 s
            except subprocess.TimeoutExpired:
                pytest.fail("still running 10 s after SIGTERM:\n" + "".join(daemon.lines))
            assert code == 0, "".join(daemon.lines)
            daemon.wait_for("daemon_stopped")
        finally:
            daemon.stop()
