"""The Hub adapter's own logic: observation records, retry delays, Retry-After across passes (against the emulator)."""

from __future__ import annotations

import json
import random
import threading
from typing import Any

import httpx
import pytest

from hfwarden.adapters.hub import Cancelled, Hub, HubError, RetryPolicy, observation_from
from hfwarden.clock import ManualClock
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator

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


def test_a_listing_is_decoded_into_what_an_observation_reads_and_no_more() -> None:
    from hfwarden.adapters.hub_answers import observed_fields

    full = {**RUNNING, "model": {**RUNNING["model"], "env": {"A": "x" * 100}, "image": {"custom": {"url": "u"}}}}
    full["status"] = {**RUNNING["status"], "readyReplica": 1, "targetReplica": 2, "private": None, "url": "https://x"}
    text = json.dumps({"items": [full, full | {"name": "other"}]})
    pruned = json.loads(text, object_pairs_hook=observed_fields)["items"]
    assert set(pruned[0]) == {"name", "provider", "compute", "status"}
    assert "model" not in pruned[0]
    assert "url" not in pruned[0]["status"]
    assert [observation_from(item, "acme") for item in pruned] == [
        observation_from(full, "acme"),
        observation_from(full | {"name": "other"}, "acme"),
    ]


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


def list_calls(control: httpx.Client) -> int:
    return sum(1 for c in control.get("/_emulator/requests").json()["requests"] if c["path"] == "/v2/endpoint/acme")


@pytest.mark.usefixtures("client_at_emulator")
def test_a_retry_after_longer_than_the_pass_interval_is_honoured_across_passes(
    emulator: Emulator, control: httpx.Client, clock: ManualClock
) -> None:
    """Fixed: a 429 with `Retry-After: 120` stops list calls for 120 s, not only within one pass."""
    control.post("/_emulator/faults", json={"rate_limit": {"limit": 0, "window_s": 120}})  # 429, Retry-After: 120
    hub = Hub(DEFAULT_TOKEN, hub_url=emulator.base_url, clock=clock, retry=RetryPolicy(base_seconds=0.01))
    with pytest.raises(HubError) as first:
        hub.list_endpoints("acme")
    assert first.value.status == 429
    assert "rate limited until 2026-01-05T08:02:00.000Z" in str(first.value)
    for _ in range(4):  # passes every 25 s: each fails at once, none calls
        clock.advance(25)
        with pytest.raises(HubError, match=r"rate limited until 2026-01-05T08:02:00\.000Z; not called"):
            hub.list_endpoints("acme")
    assert list_calls(control) == 1
    clock.advance(20)  # 120 s after the 429
    control.post("/_emulator/faults", json={})
    assert hub.list_endpoints("acme") == []
    assert list_calls(control) == 2


@pytest.mark.usefixtures("client_at_emulator")
def test_a_call_inside_a_short_retry_after_waits_it_out_without_calling(
    emulator: Emulator, control: httpx.Client, clock: ManualClock
) -> None:
    control.post("/_emulator/faults", json={"rate_limit": {"limit": 0, "window_s": 5}})  # 429, Retry-After: 5
    shutting_down = threading.Event()
    shutting_down.set()  # so that a wait ends at once, and shows as Cancelled
    hub = Hub(DEFAULT_TOKEN, hub_url=emulator.base_url, clock=clock, cancel=shutting_down)
    with pytest.raises(Cancelled, match="during back-off"):
        hub.list_endpoints("acme")
    with pytest.raises(Cancelled, match="while rate limited"):  # waiting, not failing at once
        hub.list_endpoints("acme")
    assert list_calls(control) == 1
