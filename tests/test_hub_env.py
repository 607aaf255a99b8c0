"""A process that can pause production makes no Hub calls but its own (issue 10).

`huggingface_hub` fetches `/api/agent-harnesses` for its User-Agent telemetry on the first call of
each process, once per worker thread racing to it; `hfwarden.adapters.hub_env` switches that off.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hfwarden.adapters.hub_env import SETTINGS
from hfwarden.emulator.server import Emulator, SeedEndpoint
from hfwarden.emulator.world import Timings

TOKEN = "hf_QuietHubTestToken0123456789"
NAMESPACES = ("acme", "beta", "gamma", "delta")  # one list call each, in parallel: the race that multiplied the fetch
OWN_CALLS = re.compile(
    r"^/v2/(endpoint|provider)/[a-z-]+(/[a-z0-9-]+(/(pause|resume|scale-to-zero))?)?$"  # Inference Endpoints
    r"|^/api/whoami-v2$"
)
SCHEDULE = "version: 1\nendpoints:\n" + "".join(
    f"  - {{namespace: {ns}, name: ep, schedule: [{{cron: '0 0 1 1 *', action: pause}}]}}\n" for ns in NAMESPACES
)


@pytest.fixture
def hub() -> Iterator[Emulator]:
    seeds = [SeedEndpoint(ns, "ep", "aws/us-east-1/nvidia-t4/x1", "running") for ns in NAMESPACES]
    with Emulator(timings=Timings(pending_seconds=0.2), tokens={TOKEN: frozenset({"*"})}, seeds=seeds) as emu:
        yield emu


def clean_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a fresh container: no HF_* switch set, an empty HF_HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HFWARDEN_", "DO_NOT_TRACK", "DISABLE_"))}
    env.update({"HF_TOKEN": TOKEN, "HF_HOME": str(tmp_path / "hf_home")})
    return env


def paths_seen(hub: Emulator) -> list[str]:
    return [c["path"] for c in httpx.get(f"{hub.base_url}/_emulator/requests").json()["requests"]]


def test_a_pass_makes_only_its_own_calls(hub: Emulator, tmp_path: Path) -> None:
    schedule = tmp_path / "s.yaml"
    schedule.write_text(SCHEDULE)
    env = clean_env(tmp_path) | {
        "HFWARDEN_ENDPOINTS_API_URL": hub.api_url,
        "HFWARDEN_HUB_URL": hub.base_url,
        "HFWARDEN_STATE_DIR": str(tmp_path / "state"),
        "HFWARDEN_HTTP_HOST": "127.0.0.1",
        "HFWARDEN_HTTP_PORT": "0",
    }
    httpx.delete(f"{hub.base_url}/_emulator/requests")
    for args in (["run", "--once"], ["status"]):
        result = subprocess.run(
            [sys.executable, "-m", "hfwarden", *args, "--config", str(schedule)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    seen = paths_seen(hub)
    assert {f"/v2/endpoint/{ns}" for ns in NAMESPACES} <= set(seen)  # it did talk to the Hub
    assert "/api/agent-harnesses" not in seen
    assert [p for p in seen if not OWN_CALLS.match(p)] == []
    assert not (tmp_path / "hf_home").exists()  # nothing cached either: the library had nothing to fetch


def test_the_library_alone_would_fetch_the_registry(hub: Emulator, tmp_path: Path) -> None:
    """The control: without hfwarden's switch the same client does call `/api/agent-harnesses`."""
    code = (
        "from huggingface_hub import HfApi, constants\n"
        f"constants.INFERENCE_ENDPOINTS_ENDPOINT = {hub.api_url!r}\n"
        f"HfApi(endpoint={hub.base_url!r}).list_inference_endpoints(namespace='acme', token={TOKEN!r})\n"
    )
    env = clean_env(tmp_path) | {"HF_ENDPOINT": hub.base_url}
    httpx.delete(f"{hub.base_url}/_emulator/requests")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    assert "/api/agent-harnesses" in paths_seen(hub), "huggingface_hub changed: revisit hfwarden/adapters/hub_env.py"


def test_the_switches_are_set_in_the_process_and_the_image() -> None:
    import huggingface_hub.constants

    import hfwarden.adapters.hub  # noqa: F401

    for name, value in SETTINGS.items():
        assert os.environ[name] == value
        assert getattr(huggingface_hub.constants, name) is True
    dockerfile = (Path(__file__).resolve().parent.parent / "Dockerfile").read_text()
    for name, value in SETTINGS.items():
        assert re.search(rf"^\s+{name}={value}\b", dockerfile, re.MULTILINE), f"Dockerfile ENV lacks {name}={value}"
