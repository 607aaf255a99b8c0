"""`hfwarden sandbox`: a scripted session against an emulator with demo endpoints."""

from __future__ import annotations

import httpx
from huggingface_hub import HfApi, constants

from hfwarden.clock import ManualClock
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator, SeedEndpoint
from hfwarden.emulator.world import Timings

DEMO_ENDPOINTS = [
    SeedEndpoint("acme", "chat-llama", "aws/us-east-1/nvidia-l4/x1", "running", 1, 4),
    SeedEndpoint("acme", "embedder", "aws/us-east-1/nvidia-t4/x1", "paused", 0, 2, 15),
    SeedEndpoint("acme", "nightly-batch", "aws/us-east-1/nvidia-a10g/x1", "running", 1, 1),
]


def run_sandbox(*, port: int = 0) -> int:
    """Start an emulator, drive it with the real client through a day's moves, print what happens."""
    clock = ManualClock()
    with Emulator(port=port, clock=clock, timings=Timings(), seeds=DEMO_ENDPOINTS) as emu:
        constants.INFERENCE_ENDPOINTS_ENDPOINT = emu.api_url
        api = HfApi(endpoint=emu.base_url, token=DEFAULT_TOKEN)
        control = httpx.Client(base_url=emu.base_url)
        print(f"emulator at {emu.base_url} (emulated clock)")

        def show(step: str) -> None:
            bill = control.get("/_emulator/billing").json()
            print(f"\n== {step}  [{clock.now():%H:%M:%S} UTC, billed so far ${bill['total_usd']:.4f}]")
            for ep in api.list_inference_endpoints(namespace="acme", token=DEFAULT_TOKEN):
                status = ep.raw["status"]
                print(f"   {ep.name:<14} {ep.status:<13} replicas {status['readyReplica']}/{status['targetReplica']}")

        show("start")
        api.resume_inference_endpoint("embedder", namespace="acme", token=DEFAULT_TOKEN)
        show("resume embedder")
        clock.advance(30)
        show("+30 s: embedder initialising (billed)")
        api.pause_inference_endpoint("nightly-batch", namespace="acme", token=DEFAULT_TOKEN)
        api.update_inference_endpoint("chat-llama", namespace="acme", min_replica=2, token=DEFAULT_TOKEN)
        show("pause nightly-batch, chat-llama min 2")
        clock.advance(3600)
        show("+1 h")
        api.scale_to_zero_inference_endpoint("embedder", namespace="acme", token=DEFAULT_TOKEN)
        clock.advance(600)
        show("embedder scaled to zero, +10 min")
        print(f"\n   data-plane call to embedder: HTTP {control.get('/dp/acme/embedder').status_code} (cold start)")
        clock.advance(30)
        show("+30 s")
        control.close()
    return 0
