"""Daily use against the emulator, as processes: a dry run beside the daemon, `run --once`'s line, an
API URL without `/v2`, `sandbox --keep`, `plan`'s UTC dates."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hfwarden.emulator.server import Emulator, SeedEndpoint
from hfwarden.emulator.world import Timings
from tests.support.process import TOKEN, Running, env_for, hfwarden

SCHEDULE = """\
version: 1
timezone: Australia/Sydney
endpoints:
  - namespace: acme
    name: chat
    schedule:
      - {cron: "0 8 * * *", action: resume}
      - {cron: "0 20 * * *", action: pause}
"""


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(
        timings=Timings(pending_seconds=0.2, init_seconds=0.3, update_seconds=0.2),
        tokens={TOKEN: frozenset({"acme"})},
        seeds=[SeedEndpoint("acme", "chat", "aws/us-east-1/nvidia-l4/x1", "running")],
    ) as emu:
        yield emu


@pytest.fixture
def env(emulator: Emulator, tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "s.yaml"
    config.write_text(SCHEDULE)
    return env_for(emulator, tmp_path, HFWARDEN_CONFIG=str(config))


def audit_count(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "state" / "hfwarden.db") as db:
        return int(db.execute("select count(*) from audit_log").fetchone()[0])


def test_a_dry_run_previews_beside_the_daemon_and_writes_nothing(env: dict[str, str], tmp_path: Path) -> None:
    daemon = Running([], {**env, "HFWARDEN_LOG_LEVEL": "debug"})
    try:
        daemon.wait_for("pass_done")
        before = audit_count(tmp_path)
        preview = hfwarden("run", "--once", "--dry-run", env=env)
        assert preview.returncode == 0, preview.stderr
        assert preview.stdout.startswith("dry run beside "), preview.stdout
        assert "nothing written: 1 endpoint observed, would act on " in preview.stdout
        assert audit_count(tmp_path) == before
        refused = hfwarden("run", "--once", env=env)  # acting beside it is still refused
        assert refused.returncode == 1
        assert "run --once --dry-run` previews beside it" in refused.stderr
        daemon.process.send_signal(signal.SIGTERM)
        assert daemon.process.wait(10) == 0
    finally:
        daemon.stop()


def test_run_once_prints_one_line_of_what_it_did(env: dict[str, str]) -> None:
    done = hfwarden("run", "--once", env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("one pass: 1 endpoint observed, acted on ")
    assert lines[0].endswith(", 0 failed")


def test_an_api_url_without_v2_says_so(env: dict[str, str], emulator: Emulator) -> None:
    result = hfwarden("status", env=env | {"HFWARDEN_ENDPOINTS_API_URL": emulator.base_url})
    assert result.returncode == 1
    assert f"HFWARDEN_ENDPOINTS_API_URL={emulator.base_url} probably lacks /v2: try {emulator.base_url}/v2" in (
        result.stdout + result.stderr
    )


def test_plan_shows_the_utc_date_when_it_is_not_the_local_one(env: dict[str, str]) -> None:
    planned = hfwarden("plan", "--date", "2026-03-30", env=env)
    assert planned.returncode == 0, planned.stderr
    assert "2026-03-30 08:00 AEDT  (2026-03-29 21:00 UTC)  resume" in planned.stdout
    assert "2026-03-30 20:00 AEDT  (09:00 UTC)  pause" in planned.stdout


def test_sandbox_keep_leaves_it_running_and_prints_the_environment(tmp_path: Path) -> None:
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "hfwarden", "sandbox", "--seconds", "1", "--keep"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env_for_sandbox(tmp_path),
    )
    assert sandbox.stdout is not None
    try:
        seen: list[str] = []
        while not any(line.startswith("--keep: ") for line in seen):
            line = sandbox.stdout.readline()
            assert line, "".join(seen)
            seen.append(line.strip())
        assert any(line.startswith("status page: http://127.0.0.1:") for line in seen)
        exports = dict(line.removeprefix("export ").split("=", 1) for line in seen if line.startswith("export "))
        assert set(exports) >= {"HF_TOKEN", "HFWARDEN_ENDPOINTS_API_URL", "HFWARDEN_STATE_DIR", "HFWARDEN_CONFIG"}
        status = hfwarden("status", env=env_for_sandbox(tmp_path) | exports)
        assert status.returncode == 0, status.stderr
        assert "acme/chat-llama" in status.stdout
        sandbox.send_signal(signal.SIGTERM)
        assert sandbox.wait(20) == 0
    finally:
        if sandbox.poll() is None:
            sandbox.kill()
            sandbox.wait(10)


def env_for_sandbox(tmp_path: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HFWARDEN_"))}
    return env | {"HF_HOME": str(tmp_path / "hf"), "HFWARDEN_LOG_FORMAT": "json"}
