"""Small helpers shared by tests that talk to the emulator."""

from __future__ import annotations

from typing import Any

import httpx
from huggingface_hub import HfApi, InferenceEndpoint


def create(
    api: HfApi,
    name: str,
    *,
    namespace: str = "acme",
    min_replica: int = 1,
    max_replica: int = 2,
    instance_type: str = "nvidia-l4",
    scale_to_zero_timeout: int | None = None,
) -> InferenceEndpoint:
    return api.create_inference_endpoint(
        name,
        repository="openai-community/gpt2",
        framework="pytorch",
        accelerator="gpu",
        instance_size="x1",
        instance_type=instance_type,
        region="us-east-1",
        vendor="aws",
        namespace=namespace,
        min_replica=min_replica,
        max_replica=max_replica,
        scale_to_zero_timeout=scale_to_zero_timeout,
        task="text-generation",
    )


def advance(control: httpx.Client, seconds: float) -> None:
    response = control.post("/_emulator/clock", json={"advance_seconds": seconds})
    response.raise_for_status()


def billed_usd(control: httpx.Client, name: str, namespace: str = "acme") -> float:
    rows: list[dict[str, Any]] = control.get("/_emulator/billing").json()["endpoints"]
    return next(float(r["usd"]) for r in rows if r["name"] == name and r["namespace"] == namespace)


def replica_seconds(control: httpx.Client, name: str, namespace: str = "acme") -> float:
    rows: list[dict[str, Any]] = control.get("/_emulator/billing").json()["endpoints"]
    return next(float(r["replica_seconds"]) for r in rows if r["name"] == name and r["namespace"] == namespace)
