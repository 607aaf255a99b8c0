"""Shared by the bench scripts: an emulator in its own process, seeded, with injected latency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

TOKEN = "hf_emulator_token"


def seed_file(
    directory: Path, namespaces: int, per_namespace: int, instance: str = "aws/us-east-1/nvidia-l4/x1"
) -> Path:
    seed = directory / "seed.json"
    seed.write_text(
        json.dumps(
            [
                {"namespace": f"ns-{n:02d}", "name": f"ep-{i:04d}", "instance": instance}
                for n in range(namespaces)
                for i in range(per_namespace)
            ]
        )
    )
    return seed


def start_emulator(
    seed: Path, *, pin_core: int | None = 0, extra: tuple[str, ...] = ()
) -> tuple[subprocess.Popen[str], str]:
    """`hfwarden emulator` as a child process; returns it and its base URL."""

    def pin() -> None:
        if pin_core is not None and (os.cpu_count() or 1) > 1:
            os.sched_setaffinity(0, {pin_core})

    command = [sys.executable, "-m", "hfwarden", "emulator", "--port", "0", "--seed", str(seed), *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, preexec_fn=pin)
    assert process.stdout is not None
    base = process.stdout.readline().split()[-1]
    return process, base


def set_latency(base: str, latency_ms: float) -> None:
    httpx.post(f"{base}/_emulator/faults", json={"latency_ms": latency_ms}).raise_for_status()


def requests_log(base: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = httpx.get(f"{base}/_emulator/requests", timeout=30).json()["requests"]
    return rows


def clear_requests(base: str) -> None:
    httpx.delete(f"{base}/_emulator/requests").raise_for_status()


def daemon_env(base: str, tmp: Path, **settings: str) -> dict[str, str]:
    """The environment of an `hfwarden` process pointed at the emulator at `base`; `settings` are
    HFWARDEN_* variables without the prefix (state_dir="...")."""
    env = {
        **os.environ,
        "HF_TOKEN": TOKEN,
        "HF_HOME": str(tmp / "hf_home"),
        "HFWARDEN_ENDPOINTS_API_URL": f"{base}/v2",
        "HFWARDEN_HUB_URL": base,
    }
    env.update({f"HFWARDEN_{name.upper()}": value for name, value in settings.items()})
    return env
