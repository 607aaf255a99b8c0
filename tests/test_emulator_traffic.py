"""The emulator's data-plane counters on `/metrics` and `--traffic` replay."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from huggingface_hub import HfApi

from hfwarden.emulator.server import Emulator
from hfwarden.emulator.traffic import read_minutes, replay_on
from tests.support.helpers import create


def _counter(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith("hf_endpoint_requests_total{") and f'name="{name}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return None


def test_data_plane_requests_are_counted_per_endpoint(emulator: Emulator, api: HfApi) -> None:
    create(api, "chat")
    with httpx.Client(base_url=emulator.base_url) as client:
        for _ in range(3):
            client.post("/dp/acme/chat/generate", json={})
        metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'hf_endpoint_requests_total{namespace="acme",name="chat"} 3' in metrics.text


def test_a_trace_replays_as_data_plane_traffic(emulator: Emulator, api: HfApi, tmp_path: Path) -> None:
    create(api, "chat")
    trace = tmp_path / "trace.csv"
    trace.write_text("minute_start,requests\n2026-01-05T09:00:00+00:00,4\n2026-01-05T09:01:00+00:00,\n"
                     "2026-01-05T09:02:00+00:00,5\n")  # fmt: skip
    assert read_minutes(trace) == [4, 0, 5]
    replay = replay_on(emulator.world, emulator.state.counters, "acme/chat", trace, speed=6000).start()
    deadline = time.monotonic() + 10
    while replay.sent < 9 and time.monotonic() < deadline:
        time.sleep(0.01)
    replay.stop()
    text = httpx.get(f"{emulator.base_url}/metrics").text
    assert _counter(text, "chat") == 9
