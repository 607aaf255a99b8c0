"""The newcomer's path, as the README's "Running hfwarden" tells it, end to end against an emulator:
validate the shipped `schedules/`, `plan`, `run --once --dry-run`, the daemon, `status`, then a budget
tight enough to latch, `status` again, `release` (and its errors), and the next pass keeping its word.

Each step is a process, as a newcomer types it; the emulator runs on the wall clock, so nothing here
depends on the time of day: the budget is below a single minute of spend, which latches at any hour.
"""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hfwarden.emulator.server import Emulator, SeedEndpoint
from hfwarden.emulator.world import Timings
from tests.support.process import TOKEN, Running, env_for, hfwarden

SCHEDULES = Path(__file__).resolve().parent.parent / "schedules"
SEEDS = [
    SeedEndpoint("acme", "chat-llama", "aws/us-east-1/nvidia-l4/x1", "running"),
    SeedEndpoint("acme", "embedder", "aws/us-east-1/nvidia-t4/x1", "running"),
    SeedEndpoint("acme-research", "nightly-batch", "aws/us-east-1/nvidia-a10g/x1", "paused"),
    SeedEndpoint("acme-research", "weekend-demo", "aws/us-east-1/nvidia-t4/x1", "paused"),
    SeedEndpoint("acme", "rogue", "aws/us-east-1/nvidia-a100/x1", "running"),  # nobody declared it
]


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(
        timings=Timings(pending_seconds=0.2, init_seconds=0.3, update_seconds=0.2),
        tokens={TOKEN: frozenset({"acme", "acme-research"})},
        seeds=SEEDS,
    ) as emu:
        yield emu


def state_of(emulator: Emulator, name: str) -> str:
    answer = httpx.get(f"{emulator.api_url}/endpoint/acme/{name}", headers={"Authorization": f"Bearer {TOKEN}"})
    return str(answer.json()["status"]["state"])


def states(emulator: Emulator) -> dict[str, str]:
    return {name: state_of(emulator, name) for name in ("chat-llama", "embedder", "rogue")}


def events(stderr: str, name: str) -> list[dict[str, object]]:
    found = []
    for line in stderr.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == name:
            found.append(event)
    return found


def test_the_readme_path_from_validate_to_release(emulator: Emulator, tmp_path: Path) -> None:
    env = env_for(emulator, tmp_path)  # HF_TOKEN exported; HFWARDEN_CONFIG unset: schedules/ is the default
    first_steps(emulator, env)
    config, stopped = a_budget_latches(emulator, env, tmp_path)
    release_and_keep_its_word(emulator, env, config, stopped)


def first_steps(emulator: Emulator, env: dict[str, str]) -> None:
    """validate, plan, a dry run, the daemon in dry run, status: on the shipped schedules."""
    validated = hfwarden("validate", "schedules/", env=env)
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.startswith("ok: 4 endpoints, ")
    assert validated.stdout.strip().endswith(" rules in 2 files")

    planned = hfwarden("plan", "--date", "2026-03-30", env=env)
    assert planned.returncode == 0, planned.stderr
    assert "acme/chat-llama (Europe/Paris), scheduled cost $" in planned.stdout
    assert "2026-03-30 08:55 CEST  (06:55 UTC)  resume(min=1, max=4)  [rule 1]" in planned.stdout
    assert "budget acme-prod: schedules alone $" in planned.stdout
    plan = json.loads(hfwarden("plan", "--date", "2026-03-30", "--json", env=env).stdout)
    assert {b["name"] for b in plan["budgets"]} == {"acme-prod", "research"}

    before = states(emulator)
    dry = hfwarden("run", "--once", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert states(emulator) == before  # a dry run calls nothing that mutates

    daemon = Running(["--dry-run"], {**env, "HFWARDEN_LOG_LEVEL": "debug"})  # to see `pass_done`
    try:
        assert daemon.wait_for("daemon_started")["dry_run"] is True
        daemon.wait_for("pass_done")
        daemon.process.send_signal(signal.SIGTERM)
        assert daemon.process.wait(10) == 0
    finally:
        daemon.stop()
    assert states(emulator) == before

    status = hfwarden("status", "--json", env=env)
    assert status.returncode == 0, status.stderr
    document = json.loads(status.stdout)
    assert document["failed"] == {}
    rows = {e["endpoint"]: e for e in document["endpoints"]}
    assert rows["acme/rogue"]["state"] == "running"  # undeclared, but in a budget's namespace: watched
    assert rows["acme/rogue"]["price_per_hour"] == 2.5
    assert {b["name"] for b in document["budgets"]} == {"acme-prod", "research"}
    text = hfwarden("status", env=env)
    assert text.returncode == 0
    assert "budget acme-prod: daily $150.00, spent $" in text.stdout


def a_budget_latches(emulator: Emulator, env: dict[str, str], tmp_path: Path) -> tuple[Path, set[str]]:
    """The newcomer tightens the budget below one minute of spend and declares the rogue endpoint."""
    config = tmp_path / "schedules"
    shutil.copytree(SCHEDULES, config)
    office = config / "office-hours.yaml"
    office.write_text(office.read_text().replace("daily_usd: 150", "daily_usd: 0.01"))
    (config / "rogue.yaml").write_text("version: 1\nendpoints:\n  - {namespace: acme, name: rogue}\n")
    guarded = hfwarden("run", "--once", "--config", str(config), env=env)
    assert guarded.returncode == 0, guarded.stderr
    stopped = {e["endpoint"] for e in events(guarded.stderr, "guard_stop")}
    # Spent passes the budget: every unprotected endpoint in scope that still has something to bill
    # is stopped (which of the scheduled ones do depends on the hour; the rogue one always does).
    assert "acme/rogue" in stopped
    assert stopped <= {"acme/chat-llama", "acme/embedder", "acme/rogue"}
    assert state_of(emulator, "rogue") == "paused"
    latched = json.loads(hfwarden("status", "--json", "--config", str(config), env=env).stdout)
    assert {e["endpoint"] for e in latched["endpoints"] if e["latched"]} == stopped
    return config, stopped


def release_and_keep_its_word(emulator: Emulator, env: dict[str, str], config: Path, stopped: set[str]) -> None:
    """release refuses what it cannot mean, quotes, and the next pass leaves the released endpoint be."""
    for bad in ("rogue", "acme/rogue/x", "acme/nobody"):
        refused = hfwarden("release", bad, "--config", str(config), env=env)
        assert refused.returncode == 2, (bad, refused.stdout, refused.stderr)
        assert refused.stderr.startswith("hfwarden release: ")
    released = hfwarden("release", "acme/rogue", "--config", str(config), env=env)
    assert released.returncode == 0, released.stderr
    assert released.stdout.startswith(
        "released acme/rogue (was latched by budget acme-prod): exempt from budget acme-prod until "
    )
    assert "quote: budget acme-prod: spent $" in released.stdout
    assert "a manual resume now would add up to $" in released.stdout
    again = hfwarden("release", "acme/rogue", "--config", str(config), env=env)
    assert (again.returncode, again.stdout.strip()) == (0, "acme/rogue is not latched; nothing to release")

    # The operator resumes it; the next pass, still far over budget, leaves it running.
    httpx.post(
        f"{emulator.api_url}/endpoint/acme/rogue/resume", headers={"Authorization": f"Bearer {TOKEN}"}
    ).raise_for_status()
    kept = hfwarden("run", "--once", "--config", str(config), env=env)
    assert kept.returncode == 0, kept.stderr
    assert "acme/rogue" not in {e["endpoint"] for e in events(kept.stderr, "guard_stop")}
    assert state_of(emulator, "rogue") != "paused"
    final = json.loads(hfwarden("status", "--json", "--config", str(config), env=env).stdout)
    still = {e["endpoint"] for e in final["endpoints"] if e["latched"]}
    assert "acme/rogue" not in still
    assert stopped - {"acme/rogue"} <= still
