"""The Hub adapter's own logic: observation records, retry delays. (Its calls are tested against the emulator.)"""

from __future__ import annotations

import random
from typing import Any

import pytest

from hfwarden.adapters.hub import Hub, RetryPolicy, observation_from

RUNNING: dict[str, Any] = {
    "name": "chat",
    "type": "protected",
    "provider": {"vendor": "aws", "region": "us-east-1"},
    "compute": {"instanceType": "nvidia-l4", "instanceSize": "x1", "scaling": {"minReplica": 2, "maxReplica": 4}},
    "model": {"repository": "gpt2", "framework": "pytorch", "revision": None, "task": None},
    "status": {"state": "running", "createdAt": "2026-01-05T08:00:00.000Z", "updatedAt": "2026-01-05T08:01:00.5Z"},
    "healthRoute": "/health",
}


def test_observation_of_an_answer_without_replica_counts_errs_towards_billing() -> None:
    observed = observation_from(RUNNING, "acme")
    assert observed.key == "acme/chat"
    assert observed.instance == "aws/us-east-1/nvidia-l4/x1"
    assert observed.billed_replicas == 2
    assert observed.scale_to_zero_timeout is None
    assert observed.updated_at.isoformat() == "2026-01-05T08:01:00.500000+00:00"


def test_observation_with_replica_counts_uses_them() -> None:
    raw = {**RUNNING, "status": {**RUNNING["status"], "readyReplica": 1, "targetReplica": 3}}
    assert observation_from(raw, "acme").billed_replicas == 3
    paused = {**RUNNING, "status": {**RUNNING["status"], "state": "paused"}}
    assert observation_from(paused, "acme").billed_replicas == 0


@pytest.mark.parametrize(
    ("attempt", "retry_after", "low", "high"),
    [(1, None, 0.25, 0.5), (3, None, 1.0, 2.0), (10, None, 15.0, 30.0), (1, 7.0, 7.0, 7.0)],
    ids=["first", "third", "capped", "retry-after-wins"],
)
def test_backoff_is_exponential_with_jitter_and_never_below_retry_after(
    attempt: int, retry_after: float | None, low: float, high: float
) -> None:
    policy = RetryPolicy(max_attempts=10, base_seconds=0.5, max_seconds=30)
    rng = random.Random(1)
    delays = [policy.delay(attempt, retry_after, rng) for _ in range(50)]
    assert all(low <= d <= high for d in delays)


def test_the_hub_never_shows_its_token() -> None:
    hub = Hub("hf_SuperSecretToken12345")
    assert "hf_SuperSecretToken12345" not in repr(hub)
    assert "hf_SuperSecretToken12345" not in str(vars(hub).get("_retry"))
